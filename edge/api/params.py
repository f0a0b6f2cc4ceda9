"""Upload API parameters (upload-spec §1.2): which are honoured, which are refused with a
400 (`REFUSED_PARAMS`: Edge cannot honour them; `eval`/`on_success` are never executed), and
their parsing into `UploadParams` (booleans, comma lists, context/metadata `k=v|k2=v2` with
escapes, eager lists, public_id rules).  Every parser raises `ApiError(400)` naming the bad
parameter.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlsplit

from edge.api.errors import ApiError
from edge.api.forms import parse_bool, text_param
from edge.assets.access import ACCESS_MODES, parse_access_control

__all__ = [
    "UploadParams", "EagerSpec", "parse_context", "parse_eager", "parse_tags", "split_list",
    "random_public_id", "check_public_id", "check_names", "delivery_type_param", "url_param",
    "access_mode_param", "access_control_param",
    "preset_params", "parse_moderation", "DEFAULT_DUPLICATE_SIMILARITY", "STORABLE_FORMATS", "KNOWN_UPLOAD_PARAMS", "REFUSED_PARAMS",
    "AUTH_PARAMS", "ANALYSIS_PARAMS", "EXPLICIT_EXTRA", "DESTROY_PARAMS", "RENAME_PARAMS",
    "TAGS_PARAMS", "CONTEXT_PARAMS", "TAG_COMMANDS", "CONTEXT_COMMANDS",
]

_ALNUM = string.ascii_lowercase + string.digits
#: Formats an upload may store (raster formats the renderer reads; SVG is refused: it can
#: reference external resources and carry scripts).
STORABLE_FORMATS = frozenset({"jpg", "png", "webp", "gif", "tiff", "heic", "avif", "jp2"})

#: Parameters always allowed on signed Upload API calls (authentication and routing).
AUTH_PARAMS = frozenset({"timestamp", "api_key", "signature", "signature_algorithm", "cloud_name",
                          "resource_type", "upload_preset", "batch_id", "source", "unsigned"})
#: Upload parameters Edge honours (spec §1.2); analysis ones are read by `edge.analysis`.
ANALYSIS_PARAMS = frozenset({
    "colors", "phash", "faces", "coordinates", "image_metadata", "media_metadata", "exif",
    "quality_analysis", "accessibility_analysis", "pages", "cinemagraph_analysis", "detection",
    "auto_tagging", "categorization", "ocr", "face_coordinates", "custom_coordinates",
})
KNOWN_UPLOAD_PARAMS = AUTH_PARAMS | ANALYSIS_PARAMS | frozenset({
    "file", "public_id", "folder", "asset_folder", "public_id_prefix",
    "use_asset_folder_as_public_id_prefix", "display_name", "use_filename_as_display_name",
    "use_filename", "unique_filename", "filename_override", "discard_original_filename",
    "overwrite", "type", "tags", "context", "metadata", "regions", "eager", "eager_async",
    "eager_notification_url", "transformation", "format", "allowed_formats", "notification_url",
    "async", "moderation", "return_delete_token", "backup", "invalidate", "access_mode", "access_control",
})
#: Parameters answered with a 400 (reason given): Edge cannot honour them.
REFUSED_PARAMS = {
    "eval": "Edge never executes JavaScript (eval)",
    "on_success": "Edge never executes JavaScript (on_success)",
    "proxy": "Edge fetches remote files directly, not through a proxy",
    "callback": "Edge answers cross-origin requests directly; callback is not supported",
    "responsive_breakpoints": "responsive_breakpoints is not supported by Edge",
    "unique_display_name": "unique_display_name is not supported by Edge",
    "background_removal": "Edge does not support the background_removal add-on",
    "raw_convert": "Edge does not support the raw_convert add-on",
    "similarity_search": "Edge does not support similarity_search",
    "visual_search": "Edge does not support visual_search",
    "auto_chaptering": "Edge does not support auto_chaptering (video only)",
    "auto_transcription": "Edge does not support auto_transcription (video only)",
    "manifest_transformation": "manifest_transformation is not supported by Edge",
    "manifest_json": "manifest_json is not supported by Edge",
    "template": "template is not supported by Edge",
    "template_vars": "template_vars is not supported by Edge",
    # not enforced by Edge's delivery: accepting them would promise what is not done
    "headers": "headers (custom delivery response headers) are not supported by Edge",
    "quality_override": "quality_override is not supported by Edge (q_auto picks the quality)",
}
EXPLICIT_EXTRA = frozenset({"public_id", "type"})
DESTROY_PARAMS = AUTH_PARAMS | frozenset({"public_id", "type", "invalidate", "notification_url"})
RENAME_PARAMS = AUTH_PARAMS | frozenset({"from_public_id", "to_public_id", "type", "to_type", "overwrite",
                                           "invalidate", "context", "metadata", "notification_url"})
TAGS_PARAMS = AUTH_PARAMS | frozenset({"tag", "public_ids", "command", "type", "notification_url"})
CONTEXT_PARAMS = AUTH_PARAMS | frozenset({"context", "public_ids", "command", "type", "notification_url"})
TAG_COMMANDS = frozenset({"add", "remove", "replace", "remove_all", "set_exclusive"})
CONTEXT_COMMANDS = frozenset({"add", "remove_all", "remove"})
_DELIVERY_TYPES = frozenset({"upload", "private", "authenticated"})


def random_public_id(n: int = 20) -> str:
    """A random public_id: `n` lowercase letters and digits (Cloudinary's form, spec §1.2)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def check_public_id(value: str, name: str = "public_id") -> str:
    """A public_id as stored: no leading/trailing `/`, no empty, `.` or `..` segment, no
    control characters, at most 255 characters.  Raises ApiError(400)."""
    v = value.strip()
    if not v:
        raise ApiError(400, f"Invalid {name} - empty")
    if len(v) > 255:
        raise ApiError(400, f"Invalid {name} - longer than 255 characters")
    if any(ord(c) < 32 or c in "\\\x7f" for c in v):
        raise ApiError(400, f"Invalid {name} - control characters or backslash")
    parts = v.split("/")
    if any(p in ("", ".", "..") for p in parts) or parts[0] == ".edge-originals":
        raise ApiError(400, f"Invalid {name} - {v[:80]}")
    return v


def _unescape_split(text: str, sep: str) -> list[str]:
    """Split `text` at unescaped `sep` (`\\` escapes the next character)."""
    out, cur, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(c + text[i + 1])
            i += 2
            continue
        if c == sep:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


def parse_context(value: Any, name: str = "context") -> dict[str, str]:
    """Context/metadata wire form `k=v|k2=v2` (`\\=` and `\\|` escape those characters inside
    values; JSON-encoded list values kept as their text) or a JSON object -> `{key: value}`.
    Raises ApiError(400) for an entry without `=` or an empty key."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
    text = ",".join(value) if isinstance(value, list) else str(value)
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise ApiError(400, f"Invalid {name} - not a JSON object or k=v|k2=v2") from None
        if isinstance(data, dict):
            return parse_context(data, name)
    out: dict[str, str] = {}
    for item in _unescape_split(text, "|"):
        if not item:
            continue
        pieces = _unescape_split(item, "=")
        if len(pieces) < 2 or not pieces[0].strip():
            raise ApiError(400, f"Invalid {name} - expected key=value, got {item[:60]!r}")
        key = pieces[0].strip().replace("\\=", "=").replace("\\|", "|")
        val = "=".join(pieces[1:]).replace("\\=", "=").replace("\\|", "|")
        out[key] = val
    return out


def split_list(value: Any) -> list[str]:
    """A comma list (`a,b`) or list of strings -> stripped non-empty items, order kept."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    out: list[str] = []
    for item in items:
        for v in (item if isinstance(item, list) else [item]):
            v = str(v).strip()
            if v and v not in out:
                out.append(v)
    return out


def parse_tags(value: Any) -> list[str]:
    tags = split_list(value)
    for t in tags:
        if len(t) > 255 or any(ord(c) < 32 for c in t):
            raise ApiError(400, f"Invalid tag - {t[:60]!r}")
    return tags


def preset_params(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A preset's settings as wire parameters (booleans as `1`/`0`, lists joined)."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if key in ("name", "unsigned", "disallow_public_id") or value is None:
            continue
        if isinstance(value, bool):
            out[key] = "1" if value else "0"
        elif isinstance(value, (int, float)):
            out[key] = str(value)
        elif isinstance(value, list) and key == "eager":
            out[key] = "|".join(str(v) for v in value)
        else:
            out[key] = value
    return out


def check_names(params: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """ApiError(400) for a parameter Edge refuses (`REFUSED_PARAMS`, unless its value is
    empty or false: nothing is asked then, e.g. a preset's `unique_display_name=false`) or one
    not in `allowed`."""
    for key, value in params.items():
        if key in REFUSED_PARAMS:
            if isinstance(value, (str, bool)) and str(value).strip().lower() in ("", "0", "false"):
                continue
            raise ApiError(400, REFUSED_PARAMS[key])
        if key not in allowed:
            raise ApiError(400, f"Unknown parameter - {key[:64]}")


def delivery_type_param(params: Mapping[str, Any], name: str = "type") -> str:
    value = text_param(params, name).strip() or "upload"
    if value not in _DELIVERY_TYPES:
        raise ApiError(400, f"Invalid {name} - {value[:40]} (upload, private or authenticated)")
    return value


@dataclass
class EagerSpec:
    """One eager derivative: `transformation` (as requested, without `/ext`), `ext` ('' for
    the original's format)."""

    transformation: str
    ext: str = ""


def parse_eager(value: Any) -> list[EagerSpec]:
    """`t1|t2`, each `transformation[/ext]` (the SDK's wire form), or a list of those."""
    items = value if isinstance(value, list) else _unescape_split(str(value or ""), "|")
    out = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        trans, ext = item, ""
        last = item.rsplit("/", 1)
        if len(last) == 2 and re.fullmatch(r"[a-z0-9]{2,5}", last[1]) and "_" not in last[1]:
            trans, ext = last[0], last[1]
        elif re.fullmatch(r"[a-z0-9]{2,5}", item) and "_" not in item:  # `/webp` alone
            trans, ext = "", item
        out.append(EagerSpec(trans, "jpg" if ext == "jpeg" else ext))
    if len(out) > 20:
        raise ApiError(400, "Too many eager transformations (max 20)")
    return out


@dataclass
class UploadParams:
    """The parsed parameters of an upload or explicit call (see spec §1.2)."""

    delivery_type: str = "upload"
    public_id: str | None = None
    folder: str = ""
    asset_folder: str | None = None
    public_id_prefix: str = ""
    use_asset_folder_prefix: bool = False
    display_name: str | None = None
    use_filename_as_display_name: bool = False
    use_filename: bool = False
    unique_filename: bool = True
    filename_override: str | None = None
    discard_original_filename: bool = False
    overwrite: bool = True
    tags: list[str] | None = None
    context: dict[str, str] | None = None
    metadata: dict[str, Any] | None = None
    eager: list[EagerSpec] = field(default_factory=list)
    eager_async: bool = False
    eager_notification_url: str = ""
    transformation: str = ""
    format: str = ""
    allowed_formats: list[str] = field(default_factory=list)
    notification_url: str = ""
    is_async: bool = False
    moderation: list[dict[str, Any]] | None = None
    return_delete_token: bool = False
    backup: bool = False
    invalidate: bool = False
    access_mode: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    batch_id: str = ""

    @classmethod
    def parse(cls, params: Mapping[str, Any], *, signed: bool) -> "UploadParams":
        """Read and check every parameter; raises ApiError(400) naming a bad one."""
        b = lambda name, default=False: parse_bool(params.get(name), name, default)  # noqa: E731
        p = cls(delivery_type=delivery_type_param(params))
        pid = text_param(params, "public_id").strip()
        p.public_id = check_public_id(pid) if pid else None
        p.folder = text_param(params, "folder").strip().strip("/")
        if p.folder:
            check_public_id(p.folder, "folder")
        if "asset_folder" in params:
            p.asset_folder = text_param(params, "asset_folder").strip().strip("/")
        p.public_id_prefix = text_param(params, "public_id_prefix").strip().strip("/")
        if p.public_id_prefix:
            check_public_id(p.public_id_prefix, "public_id_prefix")
        p.use_asset_folder_prefix = b("use_asset_folder_as_public_id_prefix")
        if "display_name" in params:
            p.display_name = text_param(params, "display_name").strip()
        p.use_filename_as_display_name = b("use_filename_as_display_name")
        p.use_filename = b("use_filename")
        p.unique_filename = b("unique_filename", True)
        if "filename_override" in params:
            p.filename_override = text_param(params, "filename_override").strip()
        p.discard_original_filename = b("discard_original_filename")
        p.overwrite = b("overwrite", signed)
        if "tags" in params:
            p.tags = parse_tags(params.get("tags"))
        if "context" in params:
            p.context = parse_context(params.get("context"))
        if "metadata" in params:
            p.metadata = parse_context(params.get("metadata"), "metadata")
        p.eager = parse_eager(params.get("eager"))
        p.eager_async = b("eager_async")
        p.eager_notification_url = url_param(params, "eager_notification_url")
        p.transformation = text_param(params, "transformation").strip().strip("/")
        fmt = text_param(params, "format").strip().lower().lstrip(".")
        p.format = "jpg" if fmt == "jpeg" else fmt
        if p.format and p.format not in STORABLE_FORMATS:
            raise ApiError(400, f"Invalid format - {fmt[:20]}")
        p.allowed_formats = ["jpg" if f == "jpeg" else f for f in split_list(params.get("allowed_formats"))]
        p.notification_url = url_param(params, "notification_url")
        p.is_async = b("async")
        p.moderation = parse_moderation(params.get("moderation"))
        p.return_delete_token = b("return_delete_token")
        p.backup = b("backup")
        p.invalidate = b("invalidate")
        if "access_mode" in params:
            p.access_mode = access_mode_param(params)
        if "access_control" in params:  # stored in extra, enforced by delivery (edge.assets.access)
            p.extra["access_control"] = access_control_param(params)
        for key in ("regions",):  # opaque: stored and returned by the Admin API
            if key in params:
                p.extra[key] = params[key]
        p.batch_id = text_param(params, "batch_id").strip()[:128]
        return p


def access_mode_param(params: Mapping[str, Any]) -> str:
    """`access_mode`: `public` or `authenticated` (`edge.assets.access`); ApiError 400 otherwise."""
    mode = text_param(params, "access_mode").strip()
    if mode not in ACCESS_MODES:
        raise ApiError(400, f"Invalid access_mode - {mode[:40]} (public or authenticated)")
    return mode


def access_control_param(params: Mapping[str, Any]) -> list[dict[str, str]] | None:
    """`access_control` rules, normalised (`edge.assets.access.parse_access_control`); None
    for an empty value (no rules: public); ApiError 400 naming the problem."""
    try:
        return parse_access_control(params.get("access_control")) or None
    except ValueError as exc:
        raise ApiError(400, f"Invalid access_control - {exc}") from None


def url_param(params: Mapping[str, Any], name: str) -> str:
    value = text_param(params, name).strip()
    if value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError(400, f"Invalid {name} - must be an http(s) URL")
    return value


#: Similarity (1 - Hamming distance / 64 of the pHashes) from which `duplicate` moderation
#: calls two images duplicates when the request gives no threshold (`duplicate` or `duplicate:0`).
DEFAULT_DUPLICATE_SIMILARITY = 0.9


def parse_moderation(value: Any) -> list[dict[str, Any]] | None:
    """`moderation`: `manual` (pending until an Admin API update approves or rejects it) and
    `duplicate[:<similarity 0..1>]` (pHash comparison with the catalogue, done at upload;
    the entry carries `threshold`).  Other kinds (aws_rek, webpurify, ...) are a 400."""
    kinds = split_list(value)
    if not kinds:
        return None
    out: list[dict[str, Any]] = []
    for kind in kinds:
        name, _, arg = kind.partition(":")
        if name == "manual" and not arg:
            out.append({"kind": "manual", "status": "pending"})
        elif name == "duplicate":
            try:
                threshold = float(arg) if arg else 0.0
            except ValueError:
                raise ApiError(400, f"Invalid moderation - {kind[:40]} (duplicate:<0..1>)") from None
            if not 0.0 <= threshold <= 1.0:
                raise ApiError(400, f"Invalid moderation - {kind[:40]} (duplicate:<0..1>)")
            out.append({"kind": "duplicate", "status": "pending",
                        "threshold": threshold or DEFAULT_DUPLICATE_SIMILARITY})
        else:
            raise ApiError(400, f"Edge does not support moderation '{kind[:40]}'")
    return out


