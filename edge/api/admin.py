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

Semantic fields asked for on details (`colors=true`, `phash=true`, ...) come from the analysis
stored for the current version; what is missing is computed once from the stored original by
`edge.analysis.analyze` and stored (`Catalogue.set_analysis`), so the next call reads it.
`update` with `detection`/`categorization`/`ocr`/`auto_tagging` re-runs those models on the
stored original the same way (models Edge lacks: 400, `edge.analysis.AnalysisRequest`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Iterable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from edge.api.auth import verify_basic
from edge.api.errors import ApiError, api_errors, json_response
from edge.api.forms import parse_bool, read_body, text_param
from edge.api.params import REFUSED_PARAMS, parse_context, parse_eager, parse_tags
from edge.api.router import ApiContext
from edge.api.upload import delivery_url, resource_json
from edge.assets.catalogue import (
    DELIVERY_TYPES, AssetMissing, AssetRecord, CatalogueError, DerivedRecord, VersionRecord,
)
from edge.assets.originals import load_original, remove_originals

__all__ = [
    "admin_routes", "admin_endpoint", "read_params", "run_blocking",
    "parse_max_results", "asset_summary", "asset_details", "SEMANTIC_FLAGS", "MAX_RESULTS",
]

log = logging.getLogger("edge.api.admin")

#: Largest page of a list call (Cloudinary's limit, spec §2.3); the default page is 10.
MAX_RESULTS = 500
DEFAULT_RESULTS = 10
#: Largest Admin API body (bytes): JSON/form parameters only, never a file.
MAX_ADMIN_BODY = 1024 * 1024
#: Assets one delete call removes at most (Cloudinary deletes 1000 per call, then `partial`).
DELETE_BATCH = 1000

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
#: Resource types of the path; Edge stores images only.
RESOURCE_TYPES = ("image", "video", "raw")
_ASSET_ID_RE = re.compile(r"^[0-9a-f]{32}$")

Handler = Callable[[Request, Any], Awaitable[Response]]


# ---- plumbing -------------------------------------------------------------------------------

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
        _check_text("path", request.path_params)
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
    _check_text("parameter", params)
    return params


def _check_text(what: str, value: Any) -> None:
    """400 for NUL, other C0 control characters (tab and newlines aside) or lone surrogates
    anywhere in `value` (text, or lists/dicts of it): no Cloudinary parameter holds them and
    databases refuse them."""
    if isinstance(value, str):
        if any((ord(c) < 32 and c not in "\t\n\r") or 0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ApiError(400, f"Invalid {what}: control characters are not allowed")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_text(what, k)
            _check_text(what, v)
    elif isinstance(value, list):
        for v in value:
            _check_text(what, v)


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


def _direction(params: Mapping[str, Any]) -> str:
    raw = text_param(params, "direction").strip().lower()
    if raw in ("", "desc", "-1", "descending"):
        return "desc"
    if raw in ("asc", "1", "ascending"):
        return "asc"
    raise ApiError(400, f"Invalid direction - {raw[:40]} (asc or desc)")


def _flag(params: Mapping[str, Any], name: str) -> bool:
    return parse_bool(params.get(name), name)


def _list_param(params: Mapping[str, Any], name: str) -> list[str]:
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


def _resource_type(request: Request) -> str:
    rt = request.path_params.get("resource_type", "image")
    if rt != "image":
        if rt in RESOURCE_TYPES:
            raise ApiError(400, f"Edge stores images only; resource_type {rt} is not supported")
        raise ApiError(404, f"Unknown resource type - {rt[:40]}")
    return rt


def _delivery_type(request: Request) -> str:
    t = request.path_params.get("type", "upload")
    if t not in DELIVERY_TYPES:
        raise ApiError(400, f"Invalid type - {t[:40]} (one of {', '.join(sorted(DELIVERY_TYPES))})")
    return t


# ---- asset JSON -----------------------------------------------------------------------------

def _iso(when: datetime | None) -> str | None:
    """ISO-8601 UTC with a `Z`, seconds precision (spec §1.4 `created_at`)."""
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")


def _urls(ctx: Any, record: Any, transformation: str = "", fmt: str = "") -> dict[str, str]:
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
        "created_at": _iso(record.created_at), "bytes": record.bytes, "width": record.width,
        "height": record.height, "asset_folder": record.asset_folder,
        "display_name": record.display_name or record.public_id.rsplit("/", 1)[-1],
        "access_mode": record.access_mode,
        **_urls(ctx, record),
    }
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
            "width": d.width, "height": d.height, **_urls(ctx, record, d.transformation, d.format)}


def _version_json(v: VersionRecord, current: int) -> dict[str, Any]:
    return {"version_id": v.version_id, "version": v.version, "format": v.format, "size": v.bytes,
            "time": _iso(v.created_at), "restorable": bool(v.kept and v.version != current)}


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
    out["last_updated"] = {"updated_at": _iso(record.updated_at or record.created_at)}
    out["usage"] = {}
    items, cursor = derived
    out["derived"] = [_derived_json(ctx, record, d) for d in items]
    if cursor:
        out["derived_next_cursor"] = cursor
    if related:
        out["related_assets"] = []
    return out


# ---- analysis on stored originals -----------------------------------------------------------

def _analysis_request(params: Mapping[str, Any], ctx: ApiContext) -> Any:
    from edge.analysis import AnalysisError, AnalysisRequest

    try:
        return AnalysisRequest.from_params(params, lenient=ctx.lenient_analysis, aliases=ctx.analysis_aliases)
    except AnalysisError as exc:
        raise ApiError(400, exc.message) from None


def _analyze_stored(ctx: Any, record: AssetRecord, params: Mapping[str, Any]) -> AssetRecord:
    """Run the analyses `params` ask for on the stored original of `record`'s current version,
    store the result (and automatic tags) and return the refreshed record.  Blocking."""
    from edge.analysis import AnalysisError, analyze

    request = _analysis_request(params, ctx)
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
    factory = getattr(ctx.deriver, "focus_factory", None)
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
        _forget(ctx, record.type, record.public_id)
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
_DETAIL_PARAMS = frozenset(_DETAIL_FLAGS + ("max_results", "derived_next_cursor", "versions", "related",
                                            "related_next_cursor"))


def _details_sync(ctx: Any, record: AssetRecord, params: Mapping[str, Any]) -> dict[str, Any]:
    flags = [f for f in _DETAIL_FLAGS if _flag(params, f)]
    missing = _missing_semantic(record, flags)
    if missing:
        record = _analyze_stored(ctx, record, missing)
    limit = parse_max_results(params, default=MAX_RESULTS)
    try:
        derived = ctx.catalogue.list_derived(record.asset_id, max_results=limit,
                                             cursor=text_param(params, "derived_next_cursor") or None)
    except ValueError as exc:
        raise ApiError(400, f"Invalid derived_next_cursor: {exc}") from None
    versions = ctx.catalogue.versions(record.asset_id)
    return asset_details(ctx, record, flags=flags, derived=derived, versions=versions,
                         show_versions=_flag(params, "versions"), related=_flag(params, "related"))


async def resource_details(request: Request, ctx: Any) -> Response:
    """`GET resources/image/<type>/<public_id>`: details of one asset (404 when unknown)."""
    _resource_type(request)
    dtype = _delivery_type(request)
    public_id = request.path_params["public_id"]
    params = await read_params(request, _DETAIL_PARAMS)

    def work() -> dict[str, Any]:
        record = ctx.catalogue.get(dtype, public_id)
        if record is None:
            raise ApiError(404, f"Resource not found - {public_id}")
        return _details_sync(ctx, record, params)

    return json_response(await run_blocking(ctx, work), request)


async def resources_or_asset(request: Request, ctx: Any) -> Response:
    """`GET resources/<segment>`: `image` lists every image; a 32-hex asset_id gives details."""
    segment = request.path_params["segment"]
    if segment in RESOURCE_TYPES:
        request.path_params["resource_type"] = segment
        return await list_resources(request, ctx)
    if not _ASSET_ID_RE.match(segment):
        raise ApiError(404, f"Resource not found - {segment[:64]}")
    params = await read_params(request, _DETAIL_PARAMS)

    def work() -> dict[str, Any]:
        record = ctx.catalogue.get_by_asset_id(segment)
        if record is None:
            raise ApiError(404, f"Resource not found - {segment}")
        return _details_sync(ctx, record, params)

    return json_response(await run_blocking(ctx, work), request)


# ---- listing --------------------------------------------------------------------------------

_LIST_COMMON = frozenset({"tags", "context", "metadata", "moderations", "fields", "max_results",
                          "next_cursor", "direction"})


def _summary_options(params: Mapping[str, Any]) -> dict[str, Any]:
    fields = _list_param(params, "fields") or None
    return {"tags": _flag(params, "tags"), "context": _flag(params, "context"),
            "metadata": _flag(params, "metadata"), "moderations": _flag(params, "moderations"),
            "fields": fields}


async def _list_answer(request: Request, ctx: Any, params: Mapping[str, Any], **filters: Any) -> Response:
    options = _summary_options(params)
    limit = parse_max_results(params)
    direction = _direction(params)
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
    _resource_type(request)
    dtype = _delivery_type(request) if "type" in request.path_params else None
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
    ids = _list_param(params, "public_ids")
    if ids:
        if prefix:
            raise ApiError(400, "Give either prefix or public_ids, not both")
        if len(ids) > MAX_RESULTS:
            raise ApiError(400, f"At most {MAX_RESULTS} public_ids per call")
        filters["public_ids"] = ids
    return await _list_answer(request, ctx, params, **filters)


async def resources_by_tag(request: Request, ctx: Any) -> Response:
    """`GET resources/image/tags/<tag>`: assets carrying `tag` (any delivery type)."""
    _resource_type(request)
    params = await read_params(request, _LIST_COMMON)
    return await _list_answer(request, ctx, params, tag=request.path_params["tag"])


async def resources_by_context(request: Request, ctx: Any) -> Response:
    """`GET resources/image/context?key=k[&value=v]`: assets whose context has key `k`
    (with value `v`)."""
    _resource_type(request)
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
    ids = _list_param(params, "asset_ids")
    if not ids:
        raise ApiError(400, "Missing required parameter - asset_ids")
    if len(ids) > 100:
        raise ApiError(400, "At most 100 asset_ids per call")
    bad = [i for i in ids if not _ASSET_ID_RE.match(i)]
    if bad:
        raise ApiError(400, f"Invalid asset_id - {bad[0][:64]}")
    options = _summary_options(params)

    def work() -> dict[str, Any]:
        found = [ctx.catalogue.get_by_asset_id(i) for i in ids]
        return {"resources": [asset_summary(ctx, r, **options) for r in found if r is not None]}

    return json_response(await run_blocking(ctx, work), request)


# ---- update ---------------------------------------------------------------------------------

_ANALYSIS_UPDATE = frozenset({"detection", "categorization", "ocr", "auto_tagging"}) | frozenset(SEMANTIC_FLAGS)
_UPDATE_PARAMS = frozenset({
    "tags", "context", "metadata", "face_coordinates", "custom_coordinates", "regions",
    "display_name", "asset_folder", "unique_display_name", "clear_invalid", "moderation_status",
    "notification_url", "batch_id", "access_mode",
    # refused with a reason (below), never silently dropped:
    "access_control", "quality_override", "background_removal", "raw_convert", "similarity_search",
    "visual_search",
}) | _ANALYSIS_UPDATE
_UPDATE_REFUSED = {
    **{k: REFUSED_PARAMS[k] for k in ("access_control", "quality_override", "background_removal", "raw_convert",
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
    if _flag(params, "unique_display_name"):
        raise ApiError(400, "Edge does not support unique_display_name")
    _flag(params, "clear_invalid")  # metadata is opaque in Edge: nothing is ever invalid
    if "access_mode" in params:
        mode = text_param(params, "access_mode")
        if mode == "authenticated":  # as on upload: a promise delivery would not keep
            raise ApiError(400, "access_mode=authenticated is not enforced by Edge's delivery; "
                                "use type=authenticated (signed delivery URLs) instead")
        if mode != "public":
            raise ApiError(400, f"Invalid access_mode - {mode[:40]} (public)")
        fields["access_mode"] = mode
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
    _resource_type(request)
    dtype = _delivery_type(request)
    public_id = request.path_params["public_id"]
    params = await read_params(request, _UPDATE_PARAMS)
    analysis_params = {k: v for k, v in params.items() if k in _ANALYSIS_UPDATE}
    if analysis_params:
        _analysis_request(analysis_params, ctx)  # 400 before any change

    def work() -> dict[str, Any]:
        record = ctx.catalogue.get(dtype, public_id)
        if record is None:
            raise ApiError(404, f"Resource not found - {public_id}")
        fields = _update_fields(params, record)
        if fields:
            record = ctx.catalogue.update(dtype, public_id, **fields)
            _forget(ctx, dtype, public_id)  # coordinates, tags, context feed delivery
        flags = [f for f in SEMANTIC_FLAGS if _flag(params, f)]
        if analysis_params:
            run = dict(analysis_params)
            if record.coordinates_faces:
                run["face_coordinates"] = "|".join(",".join(map(str, b)) for b in record.coordinates_faces)
            record = _analyze_stored(ctx, record, run)
            _forget(ctx, dtype, public_id)
        derived = ctx.catalogue.list_derived(record.asset_id)
        versions = ctx.catalogue.versions(record.asset_id)
        return asset_details(ctx, record, flags=flags, derived=derived, versions=versions)

    return json_response(await run_blocking(ctx, work), request)


# ---- delete ---------------------------------------------------------------------------------

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


def _forget(ctx: Any, type: str, public_id: str) -> None:
    """Drop delivery's remembered lookup of the asset in this worker (after a change)."""
    forget = getattr(ctx.deriver, "forget", None)
    if forget is not None:
        forget(type, public_id)


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
                _forget(ctx, t, removed.record.public_id)
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
    _resource_type(request)
    dtype = _delivery_type(request)
    params = await read_params(request, _DELETE_PARAMS)
    for name in ("notification_url", "batch_id"):
        if text_param(params, name):
            raise ApiError(400, f"Edge deletes synchronously; {name} is not supported")
    ids = _list_param(params, "public_ids")
    prefix = text_param(params, "prefix")
    all_ = _flag(params, "all")
    chosen = [n for n, v in (("public_ids", ids), ("prefix", prefix), ("all", all_)) if v]
    if len(chosen) != 1:
        raise ApiError(400, "Give exactly one of public_ids, prefix or all"
                            if chosen else "Missing required parameter - public_ids, prefix or all")
    if len(ids) > 100:
        raise ApiError(400, "At most 100 public_ids per call")
    if text_param(params, "next_cursor") and ids:
        raise ApiError(400, "next_cursor goes with prefix or all")
    keep = _flag(params, "keep_original")
    _flag(params, "invalidate")  # derived cache entries are always purged on delete
    transformations = _transformations(ctx, params)
    result = await run_blocking(ctx, _delete_sync, ctx, dtype, public_ids=ids or None,
                                prefix=prefix or None, all_=all_, tag=None, keep_original=keep,
                                transformations=transformations)
    return json_response(result, request)


async def delete_by_tag(request: Request, ctx: Any) -> Response:
    """`DELETE resources/image/tags/<tag>`: delete every asset carrying `tag` (same answer and
    options as `delete_resources`)."""
    _resource_type(request)
    params = await read_params(request, _DELETE_PARAMS - {"public_ids", "prefix", "all"})
    for name in ("notification_url", "batch_id"):
        if text_param(params, name):
            raise ApiError(400, f"Edge deletes synchronously; {name} is not supported")
    keep = _flag(params, "keep_original")
    _flag(params, "invalidate")
    result = await run_blocking(ctx, _delete_sync, ctx, None, public_ids=None, prefix=None, all_=False,
                                tag=request.path_params["tag"], keep_original=keep,
                                transformations=_transformations(ctx, params))
    return json_response(result, request)


# ---- tags, ping, usage ----------------------------------------------------------------------

async def list_tags(request: Request, ctx: Any) -> Response:
    """`GET tags/image`: distinct tags in use, sorted, optionally by `prefix`;
    `{"tags": [...], "next_cursor"?}`."""
    _resource_type(request)
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


# ---- routes ---------------------------------------------------------------------------------

async def unknown_endpoint(request: Request, ctx: Any) -> Response:
    """Any other `/v1_1/<cloud>/...` path: a JSON 404 naming it (after credentials), so an SDK
    call Edge does not implement fails clearly instead of reaching delivery."""
    raise ApiError(404, f"Edge does not implement {request.method} {request.url.path[:200]}")


async def by_moderation(request: Request, ctx: Any) -> Response:
    """`GET resources/image/moderations/<kind>/<status>`: not supported (clear 400)."""
    raise ApiError(400, "Edge does not list resources by moderation; use resources with moderations=true")

def admin_routes(ctx: Any) -> list[BaseRoute]:
    """The Admin API routes for `ctx` (an `edge.api.router.ApiContext`), upload presets
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
