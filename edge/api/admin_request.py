"""Reading Admin API requests: the endpoint wrapper (cloud name, HTTP Basic credentials,
catalogue errors as JSON answers), the closed parameter set of each call and the typed readers
of its values (booleans, lists, page size, direction, path segments).

Wire forms (upload-spec §0): GET parameters in the query string, POST/PUT/DELETE bodies as JSON
or form-urlencoded (`edge.api.forms.read_body`), query parameters merged in.
"""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Any, Awaitable, Callable, Iterable, Mapping

from starlette.requests import Request
from starlette.responses import Response

from edge.api.auth import verify_basic
from edge.api.errors import ApiError, api_errors
from edge.api.forms import parse_bool, read_body, text_param
from edge.assets.catalogue import DELIVERY_TYPES, AssetMissing, CatalogueError

__all__ = [
    "admin_endpoint", "run_blocking", "read_params", "parse_max_results", "check_text",
    "parse_direction", "flag_param", "list_param", "path_resource_type", "path_delivery_type",
    "forget_lookup", "Handler", "MAX_RESULTS", "DEFAULT_RESULTS", "MAX_ADMIN_BODY",
    "RESOURCE_TYPES", "ASSET_ID_RE"
]

#: Largest page of a list call (Cloudinary's limit, spec §2.3); the default page is 10.
MAX_RESULTS = 500
DEFAULT_RESULTS = 10
#: Largest Admin API body (bytes): JSON/form parameters only, never a file.
MAX_ADMIN_BODY = 1024 * 1024
#: Resource types of the path; Edge stores images only.
RESOURCE_TYPES = ("image", "video", "raw")
ASSET_ID_RE = re.compile(r"^[0-9a-f]{32}$")

Handler = Callable[[Request, Any], Awaitable[Response]]


def admin_endpoint(ctx: Any, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap `handler(request, ctx)` as an Admin API endpoint: the cloud name of the path must be
    `ctx.cloud_name` (else 404), HTTP Basic credentials must match (else 401), `ApiError` and
    catalogue errors become their JSON answers (`edge.api.errors.api_errors`)."""

    @api_errors
    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        cloud = request.path_params.get("cloud", "")
        if cloud != ctx.cloud_name:
            raise ApiError(404, f"Unknown cloud name - {cloud[:64]!r}")
        verify_basic(request.headers.get("authorization"), api_key=ctx.api_key, api_secret=ctx.api_secret)
        check_text("path", request.path_params)
        try:
            return await handler(request, ctx)
        except AssetMissing as exc:
            raise ApiError(404, str(exc) or "Resource not found") from None
        except CatalogueError as exc:
            status = exc.status if exc.status in (404, 409, 503) else 500
            if status == 500:
                raise
            raise ApiError(status, str(exc) or type(exc).__name__) from None

    return endpoint


async def run_blocking(ctx: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run blocking `fn(*args, **kwargs)` (catalogue, storage, pixels) in `ctx.io`."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(ctx.io, functools.partial(fn, *args, **kwargs))


def _query(request: Request) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key.endswith("[]"):
            base = key[:-2]

            cur = out.get(base)
            out[base] = (cur if isinstance(cur, list) else ([] if cur in (None, "") else [cur])) + [value]
        elif key in out:
            raise ApiError(400, f"Parameter given twice - {key[:64]}")
        else:
            out[key] = value
    return out


async def read_params(request: Request, allowed: Iterable[str], *, body: bool | None = None) -> dict[str, Any]:
    """The call's parameters: the query string, plus the body (JSON or form) for methods other
    than GET/HEAD (or when `body` is True).  Raises ApiError 400 for a parameter outside
    `allowed` (named in the message), a file part, or a malformed body."""
    params = _query(request)
    if body is None:
        body = request.method not in ("GET", "HEAD")
    if body:
        parsed = await read_body(request, max_bytes=MAX_ADMIN_BODY)
        try:
            if parsed.file_part is not None:
                raise ApiError(400, "The Admin API takes no file")
            for key, value in parsed.params.items():
                if key in params:
                    raise ApiError(400, f"Parameter given twice - {key[:64]}")
                params[key] = value
        finally:
            parsed.close()
    allowed = frozenset(allowed)
    for key in params:
        if key not in allowed:
            raise ApiError(400, f"Unsupported parameter - {key[:64]!r}")
    check_text("parameter", params)
    return params


def check_text(what: str, value: Any) -> None:
    """400 for NUL, other C0 control characters (tab and newlines aside) or lone surrogates
    anywhere in `value` (text, or lists/dicts of it): no Cloudinary parameter holds them and
    databases refuse them."""
    if isinstance(value, str):
        if any((ord(c) < 32 and c not in "\t\n\r") or 0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ApiError(400, f"Invalid {what}: control characters are not allowed")
    elif isinstance(value, dict):
        for k, v in value.items():
            check_text(what, k)
            check_text(what, v)
    elif isinstance(value, list):
        for v in value:
            check_text(what, v)


def parse_max_results(params: Mapping[str, Any], default: int = DEFAULT_RESULTS,
                      limit: int = MAX_RESULTS) -> int:
    """`max_results` as an int in 1..`limit` (`default` when absent); 400 otherwise."""
    raw = text_param(params, "max_results").strip()
    if not raw:
        return default
    try:
        n = int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid max_results - {raw[:40]}") from None
    if not 1 <= n <= limit:
        raise ApiError(400, f"max_results must be between 1 and {limit}")
    return n


def parse_direction(params: Mapping[str, Any]) -> str:
    """`direction` as `asc` | `desc` (default; also `1`/`-1`, `ascending`/`descending`); 400 else."""
    raw = text_param(params, "direction").strip().lower()
    if raw in ("", "desc", "-1", "descending"):
        return "desc"
    if raw in ("asc", "1", "ascending"):
        return "asc"
    raise ApiError(400, f"Invalid direction - {raw[:40]} (asc or desc)")


def flag_param(params: Mapping[str, Any], name: str) -> bool:
    """Boolean parameter `name` (absent: False); 400 for a value that is not a boolean."""
    return parse_bool(params.get(name), name)


def list_param(params: Mapping[str, Any], name: str) -> list[str]:
    """List parameter `name` (repeated `k[]`, a JSON list or comma-separated text) as stripped
    strings, each once; 400 for an object or non-string items."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        raise ApiError(400, f"Invalid value for {name}: expected a list")
    items = value if isinstance(value, list) else str(value).split(",")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ApiError(400, f"Invalid value for {name}: expected a list of strings")
        if item.strip() and item not in out:
            out.append(item.strip())
    return out


def path_resource_type(request: Request) -> str:
    """The path's resource type: `image`; 400 for `video`/`raw` (not stored), 404 for others."""
    rt = request.path_params.get("resource_type", "image")
    if rt != "image":
        if rt in RESOURCE_TYPES:
            raise ApiError(400, f"Edge stores images only; resource_type {rt} is not supported")
        raise ApiError(404, f"Unknown resource type - {rt[:40]}")
    return rt


def path_delivery_type(request: Request) -> str:
    """The path's delivery type (default `upload`); 400 for one the catalogue does not hold."""
    t = request.path_params.get("type", "upload")
    if t not in DELIVERY_TYPES:
        raise ApiError(400, f"Invalid type - {t[:40]} (one of {', '.join(sorted(DELIVERY_TYPES))})")
    return t


def forget_lookup(ctx: Any, type: str, public_id: str) -> None:
    """Drop delivery's remembered lookup of the asset in this worker (after a change)."""
    ctx.deriver.forget(type, public_id)
