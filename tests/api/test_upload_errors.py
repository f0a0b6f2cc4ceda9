"""`edge.api.errors`: the SDK error shape on a real uvicorn; a bug is logged and answered as a
generic JSON 500 without internals; storage/catalogue failures keep their status."""

from __future__ import annotations

import logging
import threading
import time

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from api_live import free_port

from edge.api.errors import ApiError, api_errors, json_response
from edge.assets.catalogue import CatalogueUnavailable
from edge.storage import SourceTooLarge


@api_errors
async def boom(request: Request):  # noqa: ANN201
    raise RuntimeError("secret internal detail /etc/edge.toml")


@api_errors
async def refused(request: Request):  # noqa: ANN201
    raise ApiError(409, "Resource already exists - x")


@api_errors
async def busy(request: Request):  # noqa: ANN201
    raise CatalogueUnavailable("Catalogue unavailable")


@api_errors
async def large(request: Request):  # noqa: ANN201
    raise SourceTooLarge("Original exceeds 10 bytes")


@api_errors
async def fine(request: Request):  # noqa: ANN201
    return json_response({"ok": True}, request)


@pytest.fixture(scope="module")
def base() -> str:
    app = Starlette(routes=[Route(f"/{f.__name__}", f) for f in (boom, refused, busy, large, fine)])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_bug_is_a_generic_json_500(base: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="edge.api"):
        r = httpx.get(base + "/boom")
    assert r.status_code == 500 and r.json() == {"error": {"message": "Internal server error"}}
    assert "secret" not in r.text and r.headers["x-request-id"]
    assert any("secret internal detail" in rec.getMessage() or rec.exc_info for rec in caplog.records)


@pytest.mark.parametrize("path,status,message", [
    ("/refused", 409, "Resource already exists - x"),
    ("/busy", 503, "Catalogue unavailable"),
    ("/large", 413, "Original exceeds 10 bytes"),
])
def test_known_failures_keep_their_status(base: str, path: str, status: int, message: str) -> None:
    r = httpx.get(base + path)
    assert r.status_code == status and r.json() == {"error": {"message": message}}
    assert r.headers["x-cld-error"] == message
    if status == 503:
        assert r.headers["retry-after"]


def test_request_id_is_sent_and_echoed(base: str) -> None:
    r = httpx.get(base + "/fine", headers={"X-Request-Id": "abc-123"})
    assert r.json() == {"ok": True} and r.headers["x-request-id"] == "abc-123"
    assert len(httpx.get(base + "/fine").headers["x-request-id"]) == 32


def test_non_sdk_status_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        ApiError(418, "teapot")
