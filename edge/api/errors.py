"""API errors: `ApiError(status, message)` and the JSON error answer of the Upload and Admin
APIs, `{"error": {"message": "..."}}` (upload-spec §0, §1.7).

Statuses are the ones the official SDKs map to exceptions (spec §1.7): 400 BadRequest,
401 AuthorizationRequired, 403 NotAllowed, 404 NotFound, 409 AlreadyExists, 413 (too large:
the SDK raises GeneralError), 420/429 RateLimited, 500/503 GeneralError.  `api_errors` wraps
an endpoint so that nothing escapes as a bare exception: an `ApiError` becomes its JSON answer,
anything else is logged with its traceback and answered as a generic 500 without internals.
Storage and catalogue errors keep their status (404, 413, 503, ...; their messages are
client-safe), a full render pool is a 503.  Client input must never reach the 500 path: every
parser raises `ApiError` for bad input.
"""

from __future__ import annotations

import functools
import logging
import uuid
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = ["ApiError", "SDK_STATUSES", "error_json", "api_errors", "request_id", "json_response"]

log = logging.getLogger("edge.api")

#: The HTTP statuses the SDKs understand (spec §1.7); 413 for an oversized body, 405 for a
#: method a route does not take (the SDKs raise GeneralError for both).
SDK_STATUSES = frozenset({400, 401, 403, 404, 405, 409, 413, 420, 429, 500, 503})


class ApiError(Exception):
    """A failure answered as `{"error": {"message": message}}` with HTTP `status`.

    `status` must be one of `SDK_STATUSES` (ValueError otherwise: a programming error);
    `headers` are extra response headers (e.g. `WWW-Authenticate`, `Retry-After`)."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        if status not in SDK_STATUSES:
            raise ValueError(f"not an SDK status: {status}")
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def request_id(request: Request) -> str:
    """The request's id (32 hex), made once per request and kept in `request.state`; sent as
    `X-Request-Id` on every API answer (spec §0: the Python SDK copies it into `request_id`)."""
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        rid = "".join(c for c in rid if c.isalnum() or c in "-_")[:64] or uuid.uuid4().hex
        request.state.request_id = rid
    return rid


def json_response(body: Any, request: Request, status: int = 200,
                  headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON answer with `X-Request-Id` and `Cache-Control: no-store`."""
    h = {"X-Request-Id": request_id(request), "Cache-Control": "no-store"}
    h.update(headers or {})
    return JSONResponse(body, status_code=status, headers=h)


def error_json(request: Request, status: int, message: str,
               headers: dict[str, str] | None = None) -> JSONResponse:
    """The SDK error body `{"error": {"message": message}}` with `status`; the message also
    goes to `X-Cld-Error` (single-line ASCII, at most 200 chars), as on delivery."""
    h = {"X-Cld-Error": "".join(c if 32 <= ord(c) < 127 else "?" for c in message)[:200]}
    h.update(headers or {})
    return json_response({"error": {"message": message}}, request, status, h)


Endpoint = Callable[[Request], Awaitable[Response]]


def _known_status(exc: BaseException) -> int | None:
    """The status of a storage or catalogue error (their messages are client-safe), else
    None.  A busy render pool is a 503 too."""
    from edge.assets.catalogue import CatalogueError  # noqa: PLC0415
    from edge.storage.errors import StorageError  # noqa: PLC0415

    if isinstance(exc, (StorageError, CatalogueError)):
        status = int(getattr(exc, "status", 500))
        return status if status in SDK_STATUSES and status != 500 else None
    if type(exc).__name__ in ("Overloaded", "PoolTimeout", "RenderTimeout"):
        return 503
    return None


def api_errors(endpoint: Endpoint) -> Endpoint:
    """Decorator of an API endpoint: `ApiError` -> its JSON answer; any other exception ->
    logged, then a generic 500 `{"error": {"message": "Internal server error"}}`."""

    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        try:
            response = await endpoint(request)
        except ApiError as exc:
            return error_json(request, exc.status, exc.message, exc.headers)
        except Exception as exc:  # noqa: BLE001 - known failures keep their status; bugs: 500
            known = _known_status(exc)
            if known is not None:
                if known >= 500:
                    log.warning("%s %s: %s", request.method, request.url.path, exc)
                return error_json(request, known, str(exc) or "Service unavailable",
                                  {"Retry-After": "5"} if known == 503 else None)
            log.exception("unexpected API error for %s %s", request.method, request.url.path)
            return error_json(request, 500, "Internal server error")
        response.headers.setdefault("X-Request-Id", request_id(request))
        return response

    return wrapped
