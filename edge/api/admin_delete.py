"""The Admin API delete calls: by public_ids, prefix or all of a delivery type (in batches of
`DELETE_BATCH`, then `partial` and a `next_cursor`), only some derived transformations, or by
tag; originals removed unless kept, derived cache entries purged.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from starlette.requests import Request
from starlette.responses import Response

from edge.api.admin_request import (
    MAX_RESULTS, flag_param, forget_lookup, list_param, path_delivery_type, path_resource_type, read_params,
    run_blocking,
)
from edge.api.errors import ApiError, json_response
from edge.api.forms import text_param
from edge.api.params import parse_eager
from edge.assets.originals import remove_originals

__all__ = ["DELETE_BATCH", "delete_resources", "delete_by_tag"]

log = logging.getLogger("edge.api.admin")
#: Assets one delete call removes at most (Cloudinary deletes 1000 per call, then `partial`).
DELETE_BATCH = 1000


_DELETE_PARAMS = frozenset({"public_ids", "prefix", "all", "keep_original", "invalidate",
                            "transformations", "next_cursor", "notification_url", "batch_id"})


def _canonical(cloud: str, transformation: str) -> str:
    """The canonical form of a transformation string (parameter order normalised), as the
    delivery URL parser reads it; raises `edge.url.UrlError` when it is malformed."""
    from edge.url import canonical_transformation, parse

    if not transformation:
        return ""
    return canonical_transformation(parse(f"/{cloud}/image/upload/{transformation}/x.jpg", cloud_name=cloud).components)


def _transformations(ctx: Any, params: Mapping[str, Any]) -> list[tuple[str, str]] | None:
    """The `transformations` of a delete call (the SDK's eager form `t1|t2`, each
    `transformation[/ext]`, or a list) as (canonical transformation, ext) pairs; None when
    absent (Python sends `null`).  400 for a malformed one."""
    value = params.get("transformations")
    if value in (None, "", []):
        return None
    from edge.url import UrlError

    out = []

    for spec in parse_eager(value):
        try:
            out.append((_canonical(ctx.cloud_name, spec.transformation), spec.ext))
        except UrlError as exc:
            raise ApiError(400, f"Invalid transformation - {spec.transformation[:80]}: {exc}") from None
    return out or None


def _matching_derived(ctx: Any, asset_id: str, wanted: list[tuple[str, str]]) -> list[str]:
    """Ids of the asset's derived records whose canonical transformation (and format, when
    an ext was given) is one of `wanted`."""
    from edge.url import UrlError

    ids: list[str] = []
    cursor = None
    while True:
        page, cursor = ctx.catalogue.list_derived(asset_id, max_results=MAX_RESULTS, cursor=cursor)
        for d in page:
            try:
                canon = _canonical(ctx.cloud_name, d.transformation)
            except UrlError:
                canon = d.transformation
            if any(canon == t and (not ext or ext == d.format) for t, ext in wanted):
                ids.append(d.id)
        if not cursor:
            return ids


def _purge(ctx: Any, what: Any) -> None:
    if ctx.purge is None:
        return
    try:
        ctx.purge(what)
    except Exception:  # noqa: BLE001 - a failed purge must not undo a committed delete
        log.exception("purging derived cache entries failed")


def _delete_sync(ctx: Any, dtype: str | None, *, public_ids: list[str] | None, prefix: str | None,
                 all_: bool, tag: str | None, keep_original: bool,
                 transformations: list[tuple[str, str]] | None) -> dict[str, Any]:
    cat = ctx.catalogue
    deleted: dict[str, str] = {}
    counts: dict[str, dict[str, int]] = {}
    # the assets concerned, capped at DELETE_BATCH (then `partial` + `next_cursor`)
    if public_ids is not None:
        found = cat.get_many(dtype, public_ids)
        targets = [found[p] for p in public_ids if p in found]
        for p in public_ids:
            if p not in found:
                deleted[p] = "not_found"
        more = None
    else:
        targets, more = [], None
        cursor = None
        while len(targets) < DELETE_BATCH:
            page, cursor = cat.list(type=dtype, prefix=prefix, tag=tag, direction="asc",
                                    max_results=min(MAX_RESULTS, DELETE_BATCH - len(targets)), cursor=cursor)
            targets += page
            if not cursor:
                break
        more = cursor
    if keep_original or transformations:
        for rec in targets:
            if transformations:
                ids = _matching_derived(ctx, rec.asset_id, transformations)
                gone = cat.delete_derived(rec.asset_id, ids=ids) if ids else []
            else:
                gone = cat.delete_derived(rec.asset_id)
            for d in gone:
                _purge(ctx, d)
            deleted[rec.public_id] = "deleted"
            counts[rec.public_id] = {"original": 0, "derived": len(gone)}
    else:
        by_type: dict[str, list[str]] = {}
        for rec in targets:
            by_type.setdefault(rec.type, []).append(rec.public_id)
        for t, ids in by_type.items():
            for removed in cat.delete(t, public_ids=ids):
                forget_lookup(ctx, t, removed.record.public_id)
                remove_originals(ctx.store, [removed])
                _purge(ctx, removed)
                deleted[removed.record.public_id] = "deleted"
                counts[removed.record.public_id] = {"original": 1, "derived": len(removed.derived)}
        for rec in targets:  # raced away by another client between list and delete
            deleted.setdefault(rec.public_id, "not_found")
    out: dict[str, Any] = {"deleted": deleted, "deleted_counts": counts, "partial": bool(more)}
    if more:
        out["next_cursor"] = more
    return out


async def delete_resources(request: Request, ctx: Any) -> Response:
    """`DELETE resources/image/<type>` (vector V14): exactly one of `public_ids` (list),
    `prefix` or `all=true`.  Removes each asset's row, stored originals (kept versions too)
    and derived cache entries; `keep_original=true` (or `transformations`) removes only the
    derived assets.  Answers `{"deleted": {id: "deleted"|"not_found"}, "deleted_counts":
    {id: {"original": n, "derived": n}}, "partial": bool[, "next_cursor"]}`; at most
    `DELETE_BATCH` assets per call: call again while `partial` (a `next_cursor` sent back is
    accepted; deletion always resumes from the first asset still there, which is the same)."""
    path_resource_type(request)
    dtype = path_delivery_type(request)
    params = await read_params(request, _DELETE_PARAMS)
    for name in ("notification_url", "batch_id"):
        if text_param(params, name):
            raise ApiError(400, f"Edge deletes synchronously; {name} is not supported")
    ids = list_param(params, "public_ids")
    prefix = text_param(params, "prefix")
    all_ = flag_param(params, "all")
    chosen = [n for n, v in (("public_ids", ids), ("prefix", prefix), ("all", all_)) if v]
    if len(chosen) != 1:
        raise ApiError(400, "Give exactly one of public_ids, prefix or all"
                            if chosen else "Missing required parameter - public_ids, prefix or all")
    if len(ids) > 100:
        raise ApiError(400, "At most 100 public_ids per call")
    if text_param(params, "next_cursor") and ids:
        raise ApiError(400, "next_cursor goes with prefix or all")
    keep = flag_param(params, "keep_original")
    flag_param(params, "invalidate")  # derived cache entries are always purged on delete
    transformations = _transformations(ctx, params)
    result = await run_blocking(ctx, _delete_sync, ctx, dtype, public_ids=ids or None,
                                prefix=prefix or None, all_=all_, tag=None, keep_original=keep,
                                transformations=transformations)
    return json_response(result, request)


async def delete_by_tag(request: Request, ctx: Any) -> Response:
    """`DELETE resources/image/tags/<tag>`: delete every asset carrying `tag` (same answer and
    options as `delete_resources`)."""
    path_resource_type(request)
    params = await read_params(request, _DELETE_PARAMS - {"public_ids", "prefix", "all"})
    for name in ("notification_url", "batch_id"):
        if text_param(params, name):
            raise ApiError(400, f"Edge deletes synchronously; {name} is not supported")
    keep = flag_param(params, "keep_original")
    flag_param(params, "invalidate")
    result = await run_blocking(ctx, _delete_sync, ctx, None, public_ids=None, prefix=None, all_=False,
                                tag=request.path_params["tag"], keep_original=keep,
                                transformations=_transformations(ctx, params))
    return json_response(result, request)
