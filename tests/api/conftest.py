"""Shared fixtures of the API tests (Upload API and Admin API); helpers in api_live.py.

`api` (module-scoped live server, `ApiLive`), `sdk` (the `cloudinary` module configured for
`api`, reset afterwards), `photos_http` (base URL serving tests/images), `webhooks` (a
`Listener` recording POSTs).  `api_live.start_server(tmp_path, **settings)` starts another.
Test files import helpers with `from api_live import ...` (not from conftest: several test
folders have one, and a full run would find another folder's).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

HERE = Path(__file__).resolve().parent
for p in (str(HERE.parent), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from api_live import *  # noqa: E402,F401,F403 - re-exported for older imports
from api_live import (  # noqa: E402
    ApiLive, Listener, configure_sdk, http_server, listener_handler, photos_handler, start_server,
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiLive]:
    """The default API test server (module scope: tests use distinct public_ids)."""
    with start_server(tmp_path_factory.mktemp("api")) as live:
        yield live


@pytest.fixture()
def sdk(api: ApiLive) -> Iterator[Any]:
    """The `cloudinary` SDK module configured for `api` (config reset afterwards)."""
    module = configure_sdk(api.url)
    yield module
    module.reset_config()


@pytest.fixture(scope="module")
def photos_http() -> Iterator[str]:
    """Base URL of a local HTTP server serving tests/images (remote `file` URLs)."""
    with http_server(photos_handler()) as url:
        yield url


@pytest.fixture()
def webhooks() -> Iterator[Listener]:
    """A local webhook receiver (`listener.url`), recording every POST."""
    listener = Listener()
    with http_server(listener_handler(listener)) as url:
        listener.url = url + "/hook"
        yield listener
