"""Upload presets through the Admin API (upload-spec §1.3, §2.3), as the Python SDK 1.46.3
calls them (bodies captured from `cloudinary.api`):

=====================================  ==========================  =================================
SDK call                               request                     answer
=====================================  ==========================  =================================
`create_upload_preset(name=, ...)`     `POST upload_presets`       `{"message": "created", "name"}`
`upload_presets(max_results=, ...)`    `GET upload_presets`        `{"presets": [...], "next_cursor"?}`
`upload_preset(name)`                  `GET upload_presets/<n>`    `{"name", "unsigned", "settings"}`
`update_upload_preset(name, ...)`      `PUT upload_presets/<n>`    `{"message": "updated"}`
`delete_upload_preset(name)`           `DELETE upload_presets/<n>` `{"message": "deleted"}`
=====================================  ==========================  =================================

Create/update bodies are the SDK's `build_upload_params` (upload parameters in their Upload API
wire form, booleans `"1"`/`"0"`, plus the `timestamp` it always adds, which is not a setting) and
raw `unsigned`, `disallow_public_id`, `name`, `live`.  A preset's `settings` hold only upload
parameters Edge honours (`PRESET_SETTINGS`); booleans are stored as JSON booleans, everything
else as the wire text, so the Upload API reads them exactly as if the client had sent them.
`disallow_public_id` is a setting (an unsigned upload through the preset may not choose its
public_id).  Update replaces the settings (as Cloudinary does: clients merge before updating)
and `unsigned` when given.  An unknown or unsupported parameter is a 400 naming it; a missing
preset a 404; creating an existing name a 409.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from edge.api.admin import admin_endpoint, parse_max_results, read_params, run_blocking
from edge.api.errors import ApiError, json_response
from edge.api.forms import parse_bool, text_param
from edge.assets.catalogue import PresetExists, PresetMissing, UploadPreset

__all__ = ["preset_routes", "preset_json", "preset_settings", "PRESET_SETTINGS", "BOOLEAN_SETTINGS"]

#: Upload parameters that are boolean (stored as JSON booleans).
BOOLEAN_SETTINGS = frozenset({
    "use_filename", "unique_filename", "overwrite", "discard_original_filename",
    "use_filename_as_display_name", "unique_display_name", "use_asset_folder_as_public_id_prefix",
    "colors", "phash", "faces", "image_metadata", "media_metadata", "exif", "quality_analysis",
    "accessibility_analysis", "cinemagraph_analysis", "eager_async", "async", "return_delete_token",
    "backup", "invalidate", "disallow_public_id",
})
#: Upload parameters a preset may supply (spec §1.2): naming, folders, tags/context/metadata,
#: delivery type, eager renders, incoming transformation and format rules, semantic data and
#: models, webhooks.  Per-request fields (file, public_id, signature, api_key, timestamp) and
#: JavaScript (`eval`, `on_success`) are not settings.
PRESET_SETTINGS = BOOLEAN_SETTINGS | frozenset({
    "folder", "asset_folder", "public_id_prefix", "display_name", "type", "tags", "context",
    "metadata", "face_coordinates", "custom_coordinates", "regions", "eager",
    "eager_notification_url", "transformation", "format", "allowed_formats", "notification_url",
    "detection", "auto_tagging", "categorization", "ocr", "moderation", "access_mode",
})
#: Fields of a create/update body that are not settings.
_CONTROL = frozenset({"unsigned", "disallow_public_id", "name", "live", "timestamp"})
_REFUSED = {
    "eval": "Edge never runs JavaScript: eval is not allowed in an upload preset",
    "on_success": "Edge never runs JavaScript: on_success is not allowed in an upload preset",
}
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")
_DELIVERY_TYPES = ("upload", "private", "authenticated")


def _name(value: str) -> str:
    if not _NAME_RE.match(value):
        raise ApiError(400, f"Invalid upload preset name - {value[:64]} (letters, digits, _ . -; at most 255)")
    return value


def preset_settings(params: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of a create/update body: every parameter outside `_CONTROL` must be in
    `PRESET_SETTINGS` (else 400); booleans parsed, lists joined with `,` (as the SDK signs
    them), empty values left out; `disallow_public_id` is kept as a setting.  Raises ApiError."""
    settings: dict[str, Any] = {}
    for key, value in params.items():
        if key in _CONTROL and key != "disallow_public_id":
            continue
        if key in _REFUSED:
            raise ApiError(400, _REFUSED[key])
        if key not in PRESET_SETTINGS:
            raise ApiError(400, f"Unsupported parameter - {key[:64]}")
        if key in BOOLEAN_SETTINGS:
            if value in (None, ""):
                continue
            settings[key] = parse_bool(value, key)
        elif isinstance(value, dict):
            if key not in ("metadata", "context", "regions"):
                raise ApiError(400, f"Invalid value for {key}: expected text")
            settings[key] = value
        else:
            text = text_param(params, key)
            if text != "":
                settings[key] = text
    if settings.get("type", "upload") not in _DELIVERY_TYPES:
        raise ApiError(400, f"Invalid type - {str(settings['type'])[:40]}")
    if "auto_tagging" in settings or "detection" in settings or "categorization" in settings \
            or "ocr" in settings:
        from edge.analysis import AnalysisError, AnalysisRequest

        try:  # a preset naming a model Edge lacks would break every upload through it
            AnalysisRequest.from_params(settings)
        except AnalysisError as exc:
            raise ApiError(400, exc.message) from None
    return settings


def preset_json(preset: UploadPreset) -> dict[str, Any]:
    """A preset as `GET upload_presets[/<name>]` answer it: `{"name", "unsigned", "settings"}`."""
    return {"name": preset.name, "unsigned": bool(preset.unsigned), "settings": dict(preset.settings)}


def _live(params: Mapping[str, Any]) -> None:
    if parse_bool(params.get("live"), "live"):
        raise ApiError(400, "Edge stores images only; live (video streaming) presets are not supported")


_BODY = PRESET_SETTINGS | _CONTROL | frozenset(_REFUSED)


async def create_preset(request: Request, ctx: Any) -> Response:
    """`POST upload_presets`: create (random name when none is given)."""
    params = await read_params(request, _BODY)
    _live(params)
    name = _name(text_param(params, "name")) if text_param(params, "name") else secrets.token_hex(4)
    unsigned = parse_bool(params.get("unsigned"), "unsigned")
    settings = preset_settings(params)
    try:
        await run_blocking(ctx, ctx.catalogue.create_preset, name, unsigned=unsigned, settings=settings)
    except PresetExists:
        raise ApiError(409, f"Upload preset {name} already exists") from None
    return json_response({"message": "created", "name": name}, request)


async def list_presets(request: Request, ctx: Any) -> Response:
    """`GET upload_presets`: presets sorted by name, `max_results` (default 10, max 500)."""
    params = await read_params(request, {"max_results", "next_cursor"})
    limit = parse_max_results(params)
    cursor = text_param(params, "next_cursor") or None
    try:
        presets, more = await run_blocking(ctx, ctx.catalogue.list_presets, max_results=limit, cursor=cursor)
    except ValueError as exc:
        raise ApiError(400, f"Invalid next_cursor: {exc}") from None
    body: dict[str, Any] = {"presets": [preset_json(p) for p in presets]}
    if more:
        body["next_cursor"] = more
    return json_response(body, request)


async def get_preset(request: Request, ctx: Any) -> Response:
    """`GET upload_presets/<name>` (404 when unknown)."""
    await read_params(request, {"max_results"})
    name = request.path_params["name"]
    preset = await run_blocking(ctx, ctx.catalogue.get_preset, name)
    if preset is None:
        raise ApiError(404, f"Upload preset not found - {name[:64]}")
    return json_response(preset_json(preset), request)


async def update_preset(request: Request, ctx: Any) -> Response:
    """`PUT upload_presets/<name>`: replace the settings; `unsigned` changes when given."""
    name = request.path_params["name"]
    params = await read_params(request, _BODY - {"name"})
    _live(params)
    unsigned = parse_bool(params["unsigned"], "unsigned") if params.get("unsigned") not in (None, "") else None
    settings = preset_settings(params)
    try:
        await run_blocking(ctx, ctx.catalogue.update_preset, name, unsigned=unsigned, settings=settings,
                           replace=True)
    except PresetMissing:
        raise ApiError(404, f"Upload preset not found - {name[:64]}") from None
    return json_response({"message": "updated"}, request)


async def delete_preset(request: Request, ctx: Any) -> Response:
    """`DELETE upload_presets/<name>` (404 when unknown)."""
    await read_params(request, ())
    name = request.path_params["name"]
    if not await run_blocking(ctx, ctx.catalogue.delete_preset, name):
        raise ApiError(404, f"Upload preset not found - {name[:64]}")
    return json_response({"message": "deleted"}, request)


def preset_routes(ctx: Any) -> list[BaseRoute]:
    """The upload-preset routes under `/v1_1/{cloud}/upload_presets` (HTTP Basic)."""

    async def collection(request: Request, c: Any) -> Response:
        return await (create_preset if request.method == "POST" else list_presets)(request, c)

    async def item(request: Request, c: Any) -> Response:
        handler = {"GET": get_preset, "PUT": update_preset, "DELETE": delete_preset}[request.method]
        return await handler(request, c)

    base = "/v1_1/{cloud}/upload_presets"
    return [
        Route(base, admin_endpoint(ctx, collection), methods=["GET", "POST"]),
        Route(base + "/{name}", admin_endpoint(ctx, item), methods=["GET", "PUT", "DELETE"]),
    ]
