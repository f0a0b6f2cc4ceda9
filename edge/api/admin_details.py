"""Admin API asset answers: the summary of list calls, the details of one asset (derived
assets, versions, semantic data) and the details endpoints.

Semantic fields asked for on details (`colors=true`, `phash=true`, ...) come from the analysis
stored for the current version; what is missing is computed once from the stored original by
`edge.analysis.analyze` and stored (`Catalogue.set_analysis`), so the next call reads it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from starlette.requests import Request
from starlette.responses import Response

from edge.api.admin_request import (
    MAX_RESULTS, flag_param, forget_lookup, parse_max_results, path_delivery_type, path_resource_type,
    read_params, run_blocking,
)
from edge.api.errors import ApiError, json_response
from edge.api.forms import text_param
from edge.api.context import ApiContext
from edge.api.resources import delivery_url, resource_json
from edge.assets.catalogue import AssetRecord, DerivedRecord, VersionRecord
from edge.assets.originals import load_original

__all__ = [
    "SEMANTIC_FLAGS", "DETAIL_PARAMS", "iso_time", "asset_urls", "asset_summary",
    "asset_details", "analysis_request", "analyze_stored", "details_sync", "resource_details"
]

#: Detail flags that name stored semantic data: flag -> the analysis key that proves it is stored.
SEMANTIC_FLAGS: dict[str, str] = {
    "colors": "colors", "phash": "phash", "faces": "faces", "image_metadata": "image_metadata",
    "media_metadata": "image_metadata", "exif": "exif", "quality_analysis": "quality_analysis",
    "accessibility_analysis": "accessibility_analysis", "cinemagraph_analysis": "cinemagraph_analysis",
}
#: Response fields each semantic flag returns (edge.analysis field table).
_FLAG_FIELDS: dict[str, tuple[str, ...]] = {
    "colors": ("colors", "predominant", "illustration_score", "semi_transparent", "grayscale"),
    "phash": ("phash",), "faces": ("faces",), "image_metadata": ("image_metadata",),
    "media_metadata": ("image_metadata",), "exif": ("exif",),
    "quality_analysis": ("quality_analysis", "quality_score"),
    "accessibility_analysis": ("accessibility_analysis",),
    "cinemagraph_analysis": ("cinemagraph_analysis",),
}


def iso_time(when: datetime | None) -> str | None:
    """ISO-8601 UTC with a `Z`, seconds precision (spec §1.4 `created_at`)."""
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")


def asset_urls(ctx: Any, record: Any, transformation: str = "", fmt: str = "") -> dict[str, str]:
    """`url` and `secure_url` of the asset (or of one derived asset: `transformation`, `fmt`)."""
    return {"url": delivery_url(ctx.public_url, ctx.cloud_name, record, transformation, fmt),
            "secure_url": delivery_url(ctx.secure_url, ctx.cloud_name, record, transformation, fmt)}


def asset_summary(ctx: Any, record: AssetRecord, *, tags: bool = False, context: bool = False,
                  metadata: bool = False, moderations: bool = False,
                  fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The asset as list calls return it (spec §2.3 summary): asset_id, public_id, format,
    version, resource_type, type, created_at (ISO-8601 Z), bytes, width, height (px),
    asset_folder, display_name, access_mode, url, secure_url; plus tags/context/metadata/
    moderation when asked.  `fields` keeps only the named fields (plus asset_id, public_id,
    resource_type, type)."""
    out: dict[str, Any] = {
        "asset_id": record.asset_id, "public_id": record.public_id, "format": record.format,
        "version": record.version, "resource_type": record.resource_type, "type": record.type,
        "created_at": iso_time(record.created_at), "bytes": record.bytes, "width": record.width,
        "height": record.height, "asset_folder": record.asset_folder,
        "display_name": record.display_name or record.public_id.rsplit("/", 1)[-1],
        "access_mode": record.access_mode,
        **asset_urls(ctx, record),
    }
    if (record.extra or {}).get("access_control"):
        out["access_control"] = [dict(r) for r in record.extra["access_control"]]
    want = set(fields) if fields else None
    if tags or (want and "tags" in want):
        out["tags"] = list(record.tags)
    if (context or (want and "context" in want)) and record.context:
        out["context"] = {"custom": dict(record.context)}
    if (metadata or (want and "metadata" in want)) and record.metadata:
        out["metadata"] = dict(record.metadata)
    if (moderations or (want and "moderation" in want)) and record.moderation:
        out["moderation"] = [dict(m) for m in record.moderation]

    if want is not None:
        keep = want | {"asset_id", "public_id", "resource_type", "type"}
        out = {k: v for k, v in out.items() if k in keep}
    return out


def _derived_json(ctx: Any, record: AssetRecord, d: DerivedRecord) -> dict[str, Any]:
    return {"transformation": d.transformation, "format": d.format, "bytes": d.bytes, "id": d.id,
            "width": d.width, "height": d.height, **asset_urls(ctx, record, d.transformation, d.format)}


def _version_json(v: VersionRecord, current: int) -> dict[str, Any]:
    return {"version_id": v.version_id, "version": v.version, "format": v.format, "size": v.bytes,
            "time": iso_time(v.created_at), "restorable": bool(v.kept and v.version != current)}


def asset_details(ctx: Any, record: AssetRecord, *, flags: Iterable[str] = (),
                  derived: tuple[list[DerivedRecord], str | None] = ([], None),
                  versions: list[VersionRecord] | None = None, show_versions: bool = False,
                  related: bool = False) -> dict[str, Any]:
    """The asset as details/update answer it (spec §2.3): every upload-response field (§1.4)
    of the current version, plus `access_mode`, `backup` (a past version's bytes are kept),
    `last_updated`, `usage`, `derived` (`[{transformation, format, bytes, id, width, height,
    url, secure_url}]`, with `derived_next_cursor` when there are more), `coordinates` when
    any exist, stored `info` (add-on results), the semantic fields of `flags` from the stored
    analysis, and `versions` (`[{version_id, version, format, size, time, restorable}]`)
    when `show_versions`."""
    out = resource_json(ctx, record, analysis={})
    out.pop("signature", None)  # an upload answer's field, not a resource's
    out["access_mode"] = record.access_mode
    analysis = record.analysis or {}
    if analysis.get("info"):
        out["info"] = analysis["info"]
    for flag in flags:
        if flag == "coordinates":
            continue
        if flag == "pages":
            out["pages"] = analysis.get("pages", record.pages)
            continue
        if flag == "faces":
            out["faces"] = [list(b) for b in (record.coordinates_faces or analysis.get("faces") or [])]
            continue
        for name in _FLAG_FIELDS.get(flag, ()):
            if name in analysis:
                out[name] = analysis[name]
    if show_versions:
        out["versions"] = [_version_json(v, record.version) for v in versions or ()]
    out["backup"] = bool(versions and any(v.kept for v in versions if v.version != record.version))
    out["last_updated"] = {"updated_at": iso_time(record.updated_at or record.created_at)}
    out["usage"] = {}
    items, cursor = derived
    out["derived"] = [_derived_json(ctx, record, d) for d in items]
    if cursor:
        out["derived_next_cursor"] = cursor
    if related:
        out["related_assets"] = []
    return out


# ---- analysis on stored originals -----------------------------------------------------------

def analysis_request(params: Mapping[str, Any], ctx: ApiContext) -> Any:
    """The `edge.analysis.AnalysisRequest` of an Admin API call's parameters (the operator's
    leniency and aliases applied); 400 for malformed values or models Edge lacks."""
    from edge.analysis import AnalysisError, AnalysisRequest

    try:
        return AnalysisRequest.from_params(params, lenient=ctx.lenient_analysis, aliases=ctx.analysis_aliases)
    except AnalysisError as exc:
        raise ApiError(400, exc.message) from None


def analyze_stored(ctx: Any, record: AssetRecord, params: Mapping[str, Any]) -> AssetRecord:
    """Run the analyses `params` ask for on the stored original of `record`'s current version,
    store the result (and automatic tags) and return the refreshed record.  Blocking."""
    from edge.analysis import AnalysisError, analyze

    request = analysis_request(params, ctx)
    if not request.any():
        return record
    try:
        data = load_original(ctx.store, record).data
    except Exception as exc:  # noqa: BLE001 - storage errors are mapped below
        from edge.storage.errors import AssetNotFound, OriginUnavailable

        if isinstance(exc, AssetNotFound):
            raise ApiError(404, f"Original of {record.public_id} is missing from the origin") from None
        if isinstance(exc, OriginUnavailable):
            raise ApiError(503, "Origin unavailable") from None
        raise
    focus = None
    factory = ctx.deriver.focus_factory
    if factory is not None:  # detections land in vision's cache: g_face/g_auto reuse them
        try:
            focus = factory(record.public_id, record.version_id)
        except Exception:  # noqa: BLE001 - no focus provider: the analysis still runs
            focus = None
    try:
        result = analyze(data, request, asset_token=record.version_id, focus=focus)
    except AnalysisError as exc:
        raise ApiError(400, exc.message) from None
    auto_tags = list(result.pop("tags", []) or [])
    result.pop("coordinates", None)
    if request.face_coordinates is not None:
        result.pop("faces", None)  # an override is stored as coordinates, not as detection
    elif result.get("faces") and not record.coordinates_faces:
        # detected faces become the asset's face coordinates (g_face uses them), as on upload
        record = ctx.catalogue.update(record.type, record.public_id,
                                      coordinates_faces=[list(b) for b in result["faces"]])
        forget_lookup(ctx, record.type, record.public_id)
    updated = ctx.catalogue.set_analysis(record.asset_id, record.version, result, auto_tags=auto_tags)
    return updated or record


def _missing_semantic(record: AssetRecord, flags: Iterable[str]) -> dict[str, str]:
    missing: dict[str, str] = {}
    analysis = record.analysis or {}
    for flag in flags:
        key = SEMANTIC_FLAGS.get(flag)
        if key is None:
            continue
        if flag == "faces" and record.coordinates_faces:
            continue
        if key not in analysis:
            missing[flag] = "true"
    if "coordinates" in flags and not record.coordinates_faces and "faces" not in analysis:
        missing["faces"] = "true"  # coordinates.faces: detect once, like faces=true
    return missing


# ---- resource details -----------------------------------------------------------------------

_DETAIL_FLAGS = ("exif", "faces", "colors", "image_metadata", "media_metadata", "cinemagraph_analysis",
                 "pages", "phash", "coordinates", "quality_analysis", "accessibility_analysis")
DETAIL_PARAMS = frozenset(_DETAIL_FLAGS + ("max_results", "derived_next_cursor", "versions", "related",
                                            "related_next_cursor"))


def details_sync(ctx: Any, record: AssetRecord, params: Mapping[str, Any]) -> dict[str, Any]:
    """Blocking: the details answer of `record` for the details `params` (semantic data
    computed and stored first when asked for and missing; derived assets paged)."""
    flags = [f for f in _DETAIL_FLAGS if flag_param(params, f)]
    missing = _missing_semantic(record, flags)
    if missing:
        record = analyze_stored(ctx, record, missing)
    limit = parse_max_results(params, default=MAX_RESULTS)
    try:
        derived = ctx.catalogue.list_derived(record.asset_id, max_results=limit,
                                             cursor=text_param(params, "derived_next_cursor") or None)
    except ValueError as exc:
        raise ApiError(400, f"Invalid derived_next_cursor: {exc}") from None
    versions = ctx.catalogue.versions(record.asset_id)
    return asset_details(ctx, record, flags=flags, derived=derived, versions=versions,
                         show_versions=flag_param(params, "versions"), related=flag_param(params, "related"))


async def resource_details(request: Request, ctx: Any) -> Response:
    """`GET resources/image/<type>/<public_id>`: details of one asset (404 when unknown)."""
    path_resource_type(request)
    dtype = path_delivery_type(request)
    public_id = request.path_params["public_id"]
    params = await read_params(request, DETAIL_PARAMS)

    def work() -> dict[str, Any]:
        record = ctx.catalogue.get(dtype, public_id)
        if record is None:
            raise ApiError(404, f"Resource not found - {public_id}")
        return details_sync(ctx, record, params)

    return json_response(await run_blocking(ctx, work), request)


