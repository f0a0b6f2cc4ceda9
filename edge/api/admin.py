"""The Admin API (upload-spec §2.3): asset listing and details, update, delete, tags, ping and
usage, under `/v1_1/<cloud>/` with HTTP Basic `api_key:api_secret` (`edge.api.auth.verify_basic`).

Routes (`admin_routes(ctx)`; upload presets are in `edge.api.presets`):

==========================================================  =====================================
`GET  resources/image[/<type>]`                             list (`prefix`, `public_ids[]`, ...)
`GET  resources/image/tags/<tag>`                           list by tag
`GET  resources/image/context`                              list by context `key` [+ `value`]
`GET  resources/by_asset_ids?asset_ids[]=...`               list by asset_id
`GET  resources/image/<type>/<public_id>`                   details (public_id may hold `/`)
`GET  resources/<asset_id>`                                 details by asset_id
`POST resources/image/<type>/<public_id>`                   update
`DELETE resources/image/<type>`                             delete (`public_ids`, `prefix`, `all`)
`DELETE resources/image/tags/<tag>`                         delete by tag
`GET  tags/image`                                           tags in use
`GET  ping`, `GET usage[/<date>]`
==========================================================  =====================================

Wire forms (spec §0, captured from the Python SDK 1.46.3): GET parameters in the query string
(booleans `true`/`false`, lists as repeated `k[]`), POST/PUT/DELETE bodies as JSON (older SDKs:
form-urlencoded; both are read by `edge.api.forms.read_body`, query parameters are merged in).
Every endpoint has a closed parameter set: an unknown parameter, or one Edge cannot honour, is a
400 naming it; nothing is silently dropped.  Errors are `{"error": {"message": ...}}` with the
SDK's statuses: 401 bad credentials, 404 `Resource not found - <public_id>`, 400 malformed input,
503 when the catalogue or origin is unreachable.

One module per concern: `edge.api.admin_request` (endpoint wrapper, parameter readers),
`admin_details` (asset JSON, details, semantic data), `admin_list` (listings, tags),
`admin_update`, `admin_delete`; this module holds ping, usage and the routes.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from edge.api.admin_delete import delete_by_tag, delete_resources
from edge.api.admin_details import (
    DETAIL_PARAMS, SEMANTIC_FLAGS, asset_details, asset_summary, details_sync, resource_details,
)
from edge.api.admin_list import (
    list_resources, list_tags, resources_by_asset_ids, resources_by_context, resources_by_tag,
)
from edge.api.admin_request import (
    ASSET_ID_RE, MAX_RESULTS, RESOURCE_TYPES, Handler, admin_endpoint, parse_max_results, read_params,
    run_blocking,
)
from edge.api.admin_update import update_resource
from edge.api.errors import ApiError, json_response

__all__ = [
    "admin_routes", "resources_or_asset", "ping", "usage", "admin_endpoint", "read_params",
    "run_blocking", "parse_max_results", "asset_summary", "asset_details", "SEMANTIC_FLAGS",
    "MAX_RESULTS"
]


async def ping(request: Request, ctx: Any) -> Response:
    """`GET ping` -> `{"status": "ok"}` once credentials and the catalogue answer."""
    await read_params(request, ())
    await run_blocking(ctx, ctx.catalogue.check)
    return json_response({"status": "ok"}, request)


async def usage(request: Request, ctx: Any) -> Response:
    """`GET usage[/<YYYY-MM-DD>]`: what the catalogue counts now — `resources`,
    `derived_resources`, `storage.usage` (bytes of stored originals incl. kept versions, plus
    recorded derived assets), `objects.usage`, `media_limits`.  Edge meters no bandwidth or
    credits, so those keys are absent; a past date is a 400."""
    await read_params(request, ())
    date = request.path_params.get("date")
    today = datetime.now(timezone.utc).date()
    if date is not None:
        if date not in (today.isoformat(), today.strftime("%d-%m-%Y")):
            raise ApiError(400, "Edge reports current usage only (no usage history)")
    u = await run_blocking(ctx, ctx.catalogue.usage)
    body = {
        "plan": "Edge (self-hosted)",
        "last_updated": today.isoformat(),
        "date_requested": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": u.resources,
        "derived_resources": u.derived_resources,
        "objects": {"usage": u.resources + u.derived_resources},
        "storage": {"usage": u.storage_bytes + u.derived_bytes, "originals": u.storage_bytes,
                    "derived": u.derived_bytes},
        "upload_presets": u.presets,
        "media_limits": {"image_max_size_bytes": ctx.max_upload_bytes},
    }
    return json_response(body, request)


async def resources_or_asset(request: Request, ctx: Any) -> Response:
    """`GET resources/<segment>`: `image` lists every image; a 32-hex asset_id gives details."""
    segment = request.path_params["segment"]

    if segment in RESOURCE_TYPES:
        request.path_params["resource_type"] = segment
        return await list_resources(request, ctx)
    if not ASSET_ID_RE.match(segment):
        raise ApiError(404, f"Resource not found - {segment[:64]}")
    params = await read_params(request, DETAIL_PARAMS)

    def work() -> dict[str, Any]:
        record = ctx.catalogue.get_by_asset_id(segment)
        if record is None:
            raise ApiError(404, f"Resource not found - {segment}")
        return details_sync(ctx, record, params)

    return json_response(await run_blocking(ctx, work), request)


# ---- routes ---------------------------------------------------------------------------------

async def unknown_endpoint(request: Request, ctx: Any) -> Response:
    """Any other `/v1_1/<cloud>/...` path: a JSON 404 naming it (after credentials), so an SDK
    call Edge does not implement fails clearly instead of reaching delivery."""
    raise ApiError(404, f"Edge does not implement {request.method} {request.url.path[:200]}")


async def by_moderation(request: Request, ctx: Any) -> Response:
    """`GET resources/image/moderations/<kind>/<status>`: not supported (clear 400)."""
    raise ApiError(400, "Edge does not list resources by moderation; use resources with moderations=true")

def admin_routes(ctx: Any) -> list[BaseRoute]:
    """The Admin API routes for `ctx` (an `edge.api.context.ApiContext`), upload presets
    included; more specific paths come first."""
    from edge.api.presets import preset_routes  # noqa: PLC0415 - presets imports this module

    def r(path: str, handler: Handler, methods: list[str]) -> Route:
        return Route("/v1_1/{cloud}/" + path, admin_endpoint(ctx, handler), methods=methods)

    async def tag_dispatch(request: Request, c: Any) -> Response:
        return await (delete_by_tag if request.method == "DELETE" else resources_by_tag)(request, c)

    async def type_dispatch(request: Request, c: Any) -> Response:
        return await (delete_resources if request.method == "DELETE" else list_resources)(request, c)

    async def asset_dispatch(request: Request, c: Any) -> Response:
        return await (update_resource if request.method == "POST" else resource_details)(request, c)

    return [
        r("ping", ping, ["GET"]),
        r("usage", usage, ["GET"]),
        r("usage/{date}", usage, ["GET"]),
        r("tags/{resource_type}", list_tags, ["GET"]),
        *preset_routes(ctx),
        r("resources/by_asset_ids", resources_by_asset_ids, ["GET"]),
        r("resources/{resource_type}/tags/{tag:path}", tag_dispatch, ["GET", "DELETE"]),
        r("resources/{resource_type}/context", resources_by_context, ["GET"]),
        r("resources/{resource_type}/moderations/{kind}/{status}", by_moderation, ["GET"]),
        r("resources/{resource_type}/{type}", type_dispatch, ["GET", "DELETE"]),
        r("resources/{resource_type}/{type}/{public_id:path}", asset_dispatch, ["GET", "POST"]),
        r("resources/{segment}", resources_or_asset, ["GET"]),
        Route("/v1_1/{cloud}/{rest:path}", admin_endpoint(ctx, unknown_endpoint),  # last: any method
              methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
    ]
