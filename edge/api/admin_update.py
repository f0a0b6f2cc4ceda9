"""The Admin API `update` call: tags, context, metadata, coordinates, display name, folder,
moderation, access mode and access control of one asset, and re-running analyses on its stored original
(models Edge lacks: 400, `edge.analysis.AnalysisRequest`).
"""

from __future__ import annotations

from typing import Any, Mapping

from starlette.requests import Request
from starlette.responses import Response

from edge.api.admin_details import SEMANTIC_FLAGS, analysis_request, analyze_stored, asset_details
from edge.api.admin_request import (
    flag_param, forget_lookup, path_delivery_type, path_resource_type, read_params, run_blocking,
)
from edge.api.errors import ApiError, json_response
from edge.api.forms import text_param
from edge.api.params import REFUSED_PARAMS, access_control_param, access_mode_param, parse_context, parse_tags
from edge.assets.catalogue import AssetRecord

__all__ = ["update_resource"]


_ANALYSIS_UPDATE = frozenset({"detection", "categorization", "ocr", "auto_tagging"}) | frozenset(SEMANTIC_FLAGS)
_UPDATE_PARAMS = frozenset({
    "tags", "context", "metadata", "face_coordinates", "custom_coordinates", "regions",
    "display_name", "asset_folder", "unique_display_name", "clear_invalid", "moderation_status",
    "notification_url", "batch_id", "access_mode",
    "access_control",
    # refused with a reason (below), never silently dropped:
    "quality_override", "background_removal", "raw_convert", "similarity_search",
    "visual_search",
}) | _ANALYSIS_UPDATE
_UPDATE_REFUSED = {
    **{k: REFUSED_PARAMS[k] for k in ("quality_override", "background_removal", "raw_convert",
                                      "similarity_search", "visual_search")},
    "notification_url": "Edge runs update synchronously; notification_url is not supported here",
    "batch_id": "Edge runs update synchronously; batch_id is not supported here",
}
_MODERATION_STATUSES = ("approved", "rejected", "pending")


def _coords_field(params: Mapping[str, Any], name: str) -> list[list[int]] | None:
    if name not in params:
        return None
    from edge.analysis.request import AnalysisError, parse_coordinates

    try:
        boxes = parse_coordinates(name, params[name])
    except AnalysisError as exc:
        raise ApiError(400, exc.message) from None
    return [list(b) for b in (boxes or ())]


def _update_fields(params: Mapping[str, Any], record: AssetRecord) -> dict[str, Any]:
    """Catalogue fields an update call sets (validated; 400 on bad values)."""
    for name, reason in _UPDATE_REFUSED.items():
        if name in params and params[name] not in ("", None, []):
            raise ApiError(400, reason)
    fields: dict[str, Any] = {}
    if "tags" in params:
        if isinstance(params["tags"], dict):
            raise ApiError(400, "Invalid value for tags: expected a list")
        fields["tags"] = parse_tags(params["tags"])
    if "context" in params:
        fields["context"] = parse_context(params["context"])
    if "metadata" in params:
        fields["metadata"] = parse_context(params["metadata"], "metadata")
    for wire, field in (("custom_coordinates", "coordinates_custom"), ("face_coordinates", "coordinates_faces")):
        boxes = _coords_field(params, wire)
        if boxes is not None:
            for x, y, w, h in boxes:
                if x + w > record.width or y + h > record.height:
                    raise ApiError(400, f"Invalid {wire}: box {[x, y, w, h]} exceeds the image "
                                        f"({record.width}x{record.height})")
            fields[field] = boxes
    if "regions" in params:
        regions = params["regions"]

        if isinstance(regions, str) and regions.strip():
            import json

            try:
                regions = json.loads(regions)
            except ValueError:
                raise ApiError(400, "Invalid regions: expected JSON") from None
        fields["extra"] = {"regions": regions or None}
    if "display_name" in params:
        fields["display_name"] = text_param(params, "display_name")
    if "asset_folder" in params:
        folder = text_param(params, "asset_folder").strip("/")
        if any(p in (".", "..") for p in folder.split("/")):
            raise ApiError(400, f"Invalid asset_folder - {folder[:64]}")
        fields["asset_folder"] = folder
    if flag_param(params, "unique_display_name"):
        raise ApiError(400, "Edge does not support unique_display_name")
    flag_param(params, "clear_invalid")  # metadata is opaque in Edge: nothing is ever invalid
    if "access_mode" in params:  # delivery enforces it at once (edge.assets.access)
        fields["access_mode"] = access_mode_param(params)
    if "access_control" in params:  # an empty list clears the rules
        fields.setdefault("extra", {})["access_control"] = access_control_param(params)
    if "moderation_status" in params:
        status = text_param(params, "moderation_status")
        if status not in _MODERATION_STATUSES:
            raise ApiError(400, f"Invalid moderation_status - {status[:40]} (approved, rejected or pending)")
        others = [dict(m) for m in record.moderation if m.get("kind") != "manual"]
        fields["moderation"] = [{"kind": "manual", "status": status}] + others
    return fields


async def update_resource(request: Request, ctx: Any) -> Response:
    """`POST resources/image/<type>/<public_id>` (spec §2.3, vector V12): `tags` replace all
    tags, `context` replaces the context, `metadata` is merged, coordinates replace, plus
    `display_name`, `asset_folder`, `moderation_status`; `detection`/`categorization`/`ocr`/
    `auto_tagging` and the semantic flags run on the stored original.  Answers the updated
    asset in the details shape (with `info` when models ran)."""
    path_resource_type(request)
    dtype = path_delivery_type(request)
    public_id = request.path_params["public_id"]
    params = await read_params(request, _UPDATE_PARAMS)
    analysis_params = {k: v for k, v in params.items() if k in _ANALYSIS_UPDATE}
    if analysis_params:
        analysis_request(analysis_params, ctx)  # 400 before any change

    def work() -> dict[str, Any]:
        record = ctx.catalogue.get(dtype, public_id)
        if record is None:
            raise ApiError(404, f"Resource not found - {public_id}")
        fields = _update_fields(params, record)
        if fields:
            record = ctx.catalogue.update(dtype, public_id, **fields)
            forget_lookup(ctx, dtype, public_id)  # coordinates, tags, context feed delivery
        flags = [f for f in SEMANTIC_FLAGS if flag_param(params, f)]
        if analysis_params:
            run = dict(analysis_params)
            if record.coordinates_faces:
                run["face_coordinates"] = "|".join(",".join(map(str, b)) for b in record.coordinates_faces)
            record = analyze_stored(ctx, record, run)
            forget_lookup(ctx, dtype, public_id)
        derived = ctx.catalogue.list_derived(record.asset_id)
        versions = ctx.catalogue.versions(record.asset_id)
        return asset_details(ctx, record, flags=flags, derived=derived, versions=versions)

    return json_response(await run_blocking(ctx, work), request)
