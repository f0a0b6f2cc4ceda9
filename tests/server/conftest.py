"""Fixtures of the server tests: the default live server, its origin of real photos, and the
SeaweedFS S3 server.  Helpers live in edge_live.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

TESTS = Path(__file__).resolve().parents[1]
for p in (str(TESTS), str(Path(__file__).resolve().parent)):
    if p not in sys.path:
        sys.path.insert(0, p)

from s3server import s3_server  # noqa: E402,F401  (re-exported fixture)

from edge_live import SECRET, Live, Settings, create_app, make_origin, serve_app  # noqa: E402


@pytest.fixture(scope="module")
def origin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_origin(tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="module")
def live(origin_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The default test server: disk origin, disk cache, signed=addons, secret SECRET."""
    settings = Settings(origin=str(origin_dir), cache=str(tmp_path_factory.mktemp("cache")),
                        api_secret=SECRET, cloud_name="demo", memory_cache_mb=64, access_log="off")
    with serve_app(create_app(settings)) as server:
        yield server
