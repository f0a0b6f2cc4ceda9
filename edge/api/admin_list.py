"""Admin API listings: assets by type and prefix, by tag, by context, by asset_id, and the
tags in use; pages of at most `MAX_RESULTS` with opaque `next_cursor`s.
"""

from __future__ import annotations

from typing import Any, Mapping

from starlette.requests import Request
from starlette.responses import Response

from edge.api.admin_details import asset_summary
from edge.api.admin_request import (
    ASSET_ID_RE, MAX_RESULTS, flag_param, list_param, parse_direction, parse_max_results, path_delivery_type,
    path_resource_type, read_params, run_blocking,
)
from edge.api.errors import ApiError, json_response
from edge.api.forms import text_param
from edge.assets.catalogue import DELIVERY_TYPES

__all__ = [
    "list_resources", "resources_by_tag", "resources_by_context", "resources_by_asset_ids",
    "list_tags"
]


_LIST_COMMON = frozenset({"tags", "context", "metadata", "moderations", "fields", "max_results",
                          "next_cursor", "direction"})


def _summary_options(params: Mapping[str, Any]) -> dict[str, Any]:
    fields = list_param(params, "fields") or None
    return {"tags": flag_param(params, "tags"), "context": flag_param(params, "context"),
            "metadata": flag_param(params, "metadata"), "moderations": flag_param(params, "moderations"),
            "fields": fields}


async def _list_answer(request: Request, ctx: Any, params: Mapping[str, Any], **filters: Any) -> Response:
    options = _summary_options(params)
    limit = parse_max_results(params)
    direction = parse_direction(params)
    cursor = text_param(params, "next_cursor") or None

    def work() -> dict[str, Any]:
        try:
            records, next_cursor = ctx.catalogue.list(direction=direction, max_results=limit,
                                                      cursor=cursor, **filters)
        except ValueError as exc:
            raise ApiError(400, f"Invalid next_cursor or filter: {exc}") from None
        out: dict[str, Any] = {"resources": [asset_summary(ctx, r, **options) for r in records]}
        if next_cursor:
            out["next_cursor"] = next_cursor
        return out

    return json_response(await run_blocking(ctx, work), request)


async def list_resources(request: Request, ctx: Any) -> Response:
    """`GET resources/image[/<type>]`: assets by `prefix` (literal start of public_id) or
    `public_ids[]`, newest first unless `direction=asc`; `start_at` is refused (400)."""
    path_resource_type(request)
    dtype = path_delivery_type(request) if "type" in request.path_params else None
    params = await read_params(request, _LIST_COMMON | {"prefix", "public_ids", "start_at", "type"})
    if "type" in params:  # older SDKs send the type as a parameter
        if dtype is not None and params["type"] != dtype:
            raise ApiError(400, "type given twice with different values")
        dtype = text_param(params, "type")
        if dtype not in DELIVERY_TYPES:
            raise ApiError(400, f"Invalid type - {dtype[:40]}")
    if text_param(params, "start_at"):
        raise ApiError(400, "Edge does not support start_at; page with next_cursor instead")
    filters: dict[str, Any] = {"type": dtype}
    prefix = text_param(params, "prefix")
    if prefix:
        filters["prefix"] = prefix
    ids = list_param(params, "public_ids")
    if ids:
        if prefix:
            raise ApiError(400, "Give either prefix or public_ids, not both")
        if len(ids) > MAX_RESULTS:
            raise ApiError(400, f"At most {MAX_RESULTS} public_ids per call")
        filters["public_ids"] = ids
    return await _list_answer(request, ctx, params, **filters)


async def resources_by_tag(request: Request, ctx: Any) -> Response:
    """`GET resources/image/tags/<tag>`: assets carrying `tag` (any delivery type)."""
    path_resource_type(request)
    params = await read_params(request, _LIST_COMMON)
    return await _list_answer(request, ctx, params, tag=request.path_params["tag"])


async def resources_by_context(request: Request, ctx: Any) -> Response:
    """`GET resources/image/context?key=k[&value=v]`: assets whose context has key `k`
    (with value `v`)."""
    path_resource_type(request)
    params = await read_params(request, _LIST_COMMON | {"key", "value"})
    key = text_param(params, "key")
    if not key:
        raise ApiError(400, "Missing required parameter - key")
    value = text_param(params, "value") or None
    return await _list_answer(request, ctx, params, context_key=key, context_value=value)


async def resources_by_asset_ids(request: Request, ctx: Any) -> Response:
    """`GET resources/by_asset_ids?asset_ids[]=...`: the existing assets among the ids, in
    request order (unknown ids are left out, as Cloudinary does)."""
    params = await read_params(request, {"asset_ids", "tags", "context", "metadata", "moderations", "fields"})
    ids = list_param(params, "asset_ids")
    if not ids:
        raise ApiError(400, "Missing required parameter - asset_ids")
    if len(ids) > 100:
        raise ApiError(400, "At most 100 asset_ids per call")
    bad = [i for i in ids if not ASSET_ID_RE.match(i)]

    if bad:
        raise ApiError(400, f"Invalid asset_id - {bad[0][:64]}")
    options = _summary_options(params)

    def work() -> dict[str, Any]:
        found = [ctx.catalogue.get_by_asset_id(i) for i in ids]
        return {"resources": [asset_summary(ctx, r, **options) for r in found if r is not None]}

    return json_response(await run_blocking(ctx, work), request)


# ---- tags, ping, usage ----------------------------------------------------------------------

async def list_tags(request: Request, ctx: Any) -> Response:
    """`GET tags/image`: distinct tags in use, sorted, optionally by `prefix`;
    `{"tags": [...], "next_cursor"?}`."""
    path_resource_type(request)
    params = await read_params(request, {"prefix", "max_results", "next_cursor"})
    limit = parse_max_results(params)
    prefix = text_param(params, "prefix") or None
    cursor = text_param(params, "next_cursor") or None

    def work() -> dict[str, Any]:
        try:
            tags, more = ctx.catalogue.tags_list(prefix=prefix, max_results=limit, cursor=cursor)
        except ValueError as exc:
            raise ApiError(400, f"Invalid next_cursor: {exc}") from None
        return {"tags": tags, **({"next_cursor": more} if more else {})}

    return json_response(await run_blocking(ctx, work), request)
