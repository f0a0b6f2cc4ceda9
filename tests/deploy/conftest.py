"""Fixtures of the deploy tests: a real Edge (uvicorn on 127.0.0.1, as tests/server starts it)
and a real nginx running the shipped deploy/nginx.conf in front of it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
for p in (str(TESTS), str(TESTS / "server"), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from edge_live import SECRET, Live, Settings, create_app, free_port, make_origin, serve_app  # noqa: E402
from nginx_live import Nginx, nginx_binary, run_nginx  # noqa: E402
from s3server import s3_server  # noqa: E402,F401  (re-exported fixture)


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """Edge on the test photos (tests/server's origin), its own cache tier off so every nginx
    miss reaches a render, signed=addons with SECRET."""
    origin = make_origin(tmp_path_factory.mktemp("media"))
    settings = Settings(origin=str(origin), cache="none", api_secret=SECRET, cloud_name="demo",
                        memory_cache_mb=0)
    with serve_app(create_app(settings)) as server:
        yield server


@pytest.fixture(scope="module")
def nginx(edge: Live, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    """nginx with the shipped config, proxying to `edge`."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (.ci/run installs Debian's package)")
    edge_port = int(edge.url.rsplit(":", 1)[1])
    with run_nginx(binary, tmp_path_factory.mktemp("nginx"), edge_port=edge_port,
                   listen_port=free_port()) as server:
        yield server
