"""Reading and answering Analyze API requests (upload-spec §5): the JSON body (bounded), the
closed key sets of both request forms, typed fields, the model name, and every failure as the
§5.1 error envelope ``{"error": {"category", "code", "message", "details", "request_id"}}``.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from edge.api.analyze_sources import AnalyzeError
from edge.api.errors import ApiError, json_response, request_id

__all__ = [
    "MAX_BODY_BYTES", "TOP_KEYS", "SDK_KEYS", "PARAM_KEYS", "Endpoint", "error_response", "v2_errors",
    "parse_flag", "parse_url", "refuse_unknown", "read_json", "resolve_model",
]

log = logging.getLogger("edge.api.analyze")

#: Largest JSON request body, bytes.
MAX_BODY_BYTES = 256 * 1024
#: Keys of the §5.1 body, of the SDK form's body and of its `parameters`.
TOP_KEYS = frozenset({"source", "async", "notification_url"})
SDK_KEYS = frozenset({"analysis_type", "uri", "parameters"})
PARAM_KEYS = frozenset({"async", "notification_url"})
#: A Starlette endpoint.
Endpoint = Callable[[Request], Awaitable[Response]]


def error_response(request: Request, exc: AnalyzeError) -> JSONResponse:
    """`exc` as the §5.1 error envelope (plus `limits` for a 429), also in `X-Cld-Error`."""
    body: dict[str, Any] = {"error": {"category": exc.category, "code": exc.code, "message": exc.message,
                                      "details": exc.details, "request_id": request_id(request)}}
    if exc.limits is not None:
        body["limits"] = exc.limits
    headers = {"X-Cld-Error": "".join(c if 32 <= ord(c) < 127 else "?" for c in exc.message)[:200], **exc.headers}
    return json_response(body, request, exc.status, headers)


def v2_errors(endpoint: Endpoint) -> Endpoint:
    """Every failure of `endpoint` as the §5.1 error envelope; unexpected ones are logged and
    answered 500 ``internal_error`` without internals."""

    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except AnalyzeError as exc:
            return error_response(request, exc)
        except ApiError as exc:
            code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}
            return error_response(request, AnalyzeError(exc.status, code.get(exc.status, "bad_request"),
                                                         exc.message, headers=exc.headers))
        except Exception as exc:  # noqa: BLE001 - storage/catalogue errors keep their status
            status = int(getattr(exc, "status", 500) or 500)
            if status in (404, 503) and type(exc).__module__.startswith(("edge.storage", "edge.assets")):
                return error_response(request, AnalyzeError(status, "unavailable" if status == 503 else "not_found",
                                                             str(exc) or "Service unavailable",
                                                             headers={"Retry-After": "5"} if status == 503 else None))
            if type(exc).__name__ in ("Overloaded", "PoolTimeout", "RenderTimeout"):
                return error_response(request, AnalyzeError(503, "overloaded", "Edge is busy; retry later",
                                                             headers={"Retry-After": "5"}))
            log.exception("unexpected Analyze API error for %s %s", request.method, request.url.path)
            return error_response(request, AnalyzeError(500, "internal_error", "Internal server error"))

    return wrapped


def parse_flag(name: str, value: Any) -> bool:
    """A boolean body field (`true`/`false`, 1/0); 400 `invalid_parameter` otherwise."""
    from edge.analysis.request import AnalysisError, parse_bool

    try:
        return parse_bool(name, value)
    except AnalysisError as exc:
        raise AnalyzeError(400, "invalid_parameter", exc.message, details={"parameter": name}) from None


def parse_url(name: str, value: Any) -> str:
    """An http(s) URL field of at most 2048 characters, or '' when absent; 400 otherwise."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not value.startswith(("http://", "https://")) or len(value) > 2048:
        raise AnalyzeError(400, "invalid_parameter", f"{name} must be an http(s) URL", details={"parameter": name})
    return value


def refuse_unknown(keys: Any, allowed: frozenset[str], where: str) -> None:
    """400 `unknown_parameter` naming the first key of `keys` not in `allowed` (`where`: the
    key's path prefix in the message, e.g. `parameters.`)."""
    extra = sorted(str(k)[:64] for k in keys if k not in allowed)
    if extra:
        raise AnalyzeError(400, "unknown_parameter", f"Unknown parameter {where}{extra[0]}",
                           details={"unknown": extra, "allowed": sorted(allowed)})


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object of the request body (`{}` for an empty body).  Raises `AnalyzeError`:
    413 above `MAX_BODY_BYTES`, 400 for a body that is not a JSON object."""
    import json

    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise AnalyzeError(413, "request_too_large", f"Request body is larger than {MAX_BODY_BYTES} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise AnalyzeError(413, "request_too_large", f"Request body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise AnalyzeError(400, "invalid_json", "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise AnalyzeError(400, "invalid_json", "Request body must be a JSON object")
    return body

def resolve_model(name: Any) -> Any:
    """The `edge.analysis.models_v2` spec of model `name`.  Raises `AnalyzeError` 400
    (`model_not_available` for a documented model Edge lacks, `unknown_model` otherwise)."""
    from edge.analysis.models_v2 import ModelUnavailable, UnknownModel, offered, resolve

    if not isinstance(name, str) or not name:
        raise AnalyzeError(400, "invalid_parameter", "analysis_type must be a model name",
                           details={"models": offered()})
    try:
        return resolve(name)
    except ModelUnavailable as exc:
        raise AnalyzeError(400, "model_not_available", exc.message,
                           details={"model": exc.name, "models": exc.offered}) from None
    except UnknownModel as exc:
        raise AnalyzeError(400, "unknown_model", exc.message,
                           details={"model": exc.name, "models": exc.offered}) from None
