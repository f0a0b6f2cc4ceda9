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
parameters Edge honours (`PRESET_SETTINGS`), each checked with the Upload API's own parser
(`edge.api.params.UploadParams`, `edge.analysis.AnalysisRequest`), so a preset can never make
the uploads through it fail; booleans are stored as JSON booleans, everything else as the wire
text (objects for `context`/`metadata`/`regions` sent as JSON objects), so the Upload API reads
them (`edge.api.params.preset_params`) exactly as if the client had sent them.
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

from edge.api.admin_request import admin_endpoint, parse_max_results, read_params, run_blocking
from edge.api.errors import ApiError, json_response
from edge.api.forms import parse_bool, text_param
from edge.api.params import AUTH_PARAMS, KNOWN_UPLOAD_PARAMS, REFUSED_PARAMS, UploadParams, preset_params
from edge.assets.catalogue import PresetExists, PresetMissing, UploadPreset

__all__ = ["preset_routes", "preset_json", "preset_settings", "PRESET_SETTINGS", "BOOLEAN_SETTINGS"]

#: Upload parameters that are boolean (stored as JSON booleans).
BOOLEAN_SETTINGS = frozenset({
    "use_filename", "unique_filename", "overwrite", "discard_original_filename",
    "use_filename_as_display_name", "use_asset_folder_as_public_id_prefix",
    "colors", "phash", "faces", "coordinates", "image_metadata", "media_metadata", "exif",
    "quality_analysis", "accessibility_analysis", "pages", "cinemagraph_analysis", "eager_async",
    "async", "return_delete_token", "backup", "invalidate", "disallow_public_id",
})
#: Upload parameters a preset may supply: every parameter the Upload API honours
#: (`edge.api.params.KNOWN_UPLOAD_PARAMS`) except what identifies one request or its sender
#: (file, public_id, filename_override, signature fields, batch_id, ...), plus
#: `disallow_public_id`.  Parameters the Upload API refuses (`REFUSED_PARAMS`: `eval`,
#: `on_success`, add-ons Edge lacks) are refused here with the same message.
PRESET_SETTINGS = (KNOWN_UPLOAD_PARAMS - AUTH_PARAMS - {"file", "public_id", "filename_override"}) \
    | {"disallow_public_id"}
#: Fields of a create/update body that are not settings.
_CONTROL = frozenset({"unsigned", "disallow_public_id", "name", "live", "timestamp"})
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")


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
        if key in REFUSED_PARAMS:
            if isinstance(value, (str, bool)) and str(value).strip().lower() in ("", "0", "false"):
                continue  # nothing asked (e.g. unique_display_name=false): nothing stored
            raise ApiError(400, REFUSED_PARAMS[key])
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
    # every value must parse as the Upload API will parse it: a bad preset would break every
    # upload through it, so it is refused now
    wire = preset_params(settings)
    UploadParams.parse(wire, signed=True)
    from edge.analysis import AnalysisError, AnalysisRequest

    try:
        AnalysisRequest.from_params(wire)
    except AnalysisError as exc:
        raise ApiError(400, exc.message) from None
    return settings


def preset_json(preset: UploadPreset) -> dict[str, Any]:
    """A preset as `GET upload_presets[/<name>]` answer it: `{"name", "unsigned", "settings"}`."""
    return {"name": preset.name, "unsigned": bool(preset.unsigned), "settings": dict(preset.settings)}


def _live(params: Mapping[str, Any]) -> None:
    if parse_bool(params.get("live"), "live"):
        raise ApiError(400, "Edge stores images only; live (video streaming) presets are not supported")


_BODY = PRESET_SETTINGS | _CONTROL | frozenset(REFUSED_PARAMS)


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
