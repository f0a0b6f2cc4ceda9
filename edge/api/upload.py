"""The Upload API endpoints (upload-spec §1-§2.2): `POST /v1_1/<cloud>/image/upload`,
`explicit`, `destroy`, `rename`, `tags`, `context` and `delete_by_token`.

Flow of an upload: body read (streamed, `edge.api.forms`) -> authentication (signature or
unsigned preset, `edge.api.auth`) -> every parameter checked (a parameter Edge does not honour
is a 400 naming it, never silently dropped; `eval`/`on_success` are never executed) -> `file`
resolved (file part, http(s) URL through the fetch origin and its SSRF rules, data URI, bare
base64) -> image validated with pyvips (header, limits, a full shrink-on-load decode: a text
file or a truncated image is a 400 and nothing is stored) -> optional incoming `transformation`
/ `format` rendered by the delivery renderer -> analysis (`edge.analysis`) -> original written
under a new version_id key (atomic) -> `Catalogue.publish` -> previous bytes removed (unless
`backup`) and, with `invalidate`, the old derived cache entries purged -> `eager` renders
through `edge.derive.Deriver` (the delivery miss path, same cache keys) -> response JSON with
every §1.4 field.  `async=1` answers `{"status": "pending", ...}` once the original is stored
and continues (analysis, eager, webhook) in the background; `eager_async` and
`notification_url` likewise (webhooks: `edge.api.webhooks`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import io
import json
import logging
import os
import re
import secrets
import string
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Callable, Mapping, Sequence
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from edge.api.auth import NON_SIGNABLE_TAG_PARAMS, UploadAuth, authenticate_upload, response_signature
from edge.api.errors import ApiError, api_errors, json_response
from edge.api.forms import Body, parse_bool, read_body, text_param
from edge.api.router import ApiContext
from edge.derive import FixedHints, target_of
from edge.storage import AssetNotFound, FetchDenied, OriginUnavailable, SourceTooLarge, StorageError
from edge.storage.writable import original_key

__all__ = [
    "upload_routes", "UploadParams", "parse_context", "random_public_id", "resource_json",
    "KNOWN_UPLOAD_PARAMS", "REFUSED_PARAMS", "make_delete_token", "read_delete_token",
]

log = logging.getLogger("edge.api")

_ALNUM = string.ascii_lowercase + string.digits
#: Formats an upload may store (raster formats the renderer reads; SVG is refused: it can
#: reference external resources and carry scripts).
STORABLE_FORMATS = frozenset({"jpg", "png", "webp", "gif", "tiff", "heic", "avif", "jp2"})
#: Validation decode size, px on the longer side (shrink-on-load: the whole file is read).
_PROBE_PX = 64
DELETE_TOKEN_TTL_S = 600
_DATA_URI = re.compile(r"^data:([\w-]+/[\w.+-]+)?((?:;[\w-]+=[\w.-]+)*);base64,([a-zA-Z0-9/+\n\r=_-]+)$", re.S)
_B64 = re.compile(r"^[A-Za-z0-9+/\r\n]+={0,2}\s*$")

#: Parameters always allowed on signed Upload API calls (authentication and routing).
_AUTH_PARAMS = frozenset({"timestamp", "api_key", "signature", "signature_algorithm", "cloud_name",
                          "resource_type", "upload_preset", "batch_id", "source", "unsigned"})
#: Upload parameters Edge honours (spec §1.2); analysis ones are read by `edge.analysis`.
_ANALYSIS_PARAMS = frozenset({
    "colors", "phash", "faces", "coordinates", "image_metadata", "media_metadata", "exif",
    "quality_analysis", "accessibility_analysis", "pages", "cinemagraph_analysis", "detection",
    "auto_tagging", "categorization", "ocr", "face_coordinates", "custom_coordinates",
})
KNOWN_UPLOAD_PARAMS = _AUTH_PARAMS | _ANALYSIS_PARAMS | frozenset({
    "file", "public_id", "folder", "asset_folder", "public_id_prefix",
    "use_asset_folder_as_public_id_prefix", "display_name", "use_filename_as_display_name",
    "use_filename", "unique_filename", "filename_override", "discard_original_filename",
    "overwrite", "type", "tags", "context", "metadata", "regions", "eager", "eager_async",
    "eager_notification_url", "transformation", "format", "allowed_formats", "notification_url",
    "async", "moderation", "return_delete_token", "backup", "invalidate", "access_mode",
    "access_control", "headers", "quality_override",
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
}
_EXPLICIT_EXTRA = frozenset({"public_id", "type"})
_DESTROY_PARAMS = _AUTH_PARAMS | frozenset({"public_id", "type", "invalidate", "notification_url"})
_RENAME_PARAMS = _AUTH_PARAMS | frozenset({"from_public_id", "to_public_id", "type", "to_type", "overwrite",
                                           "invalidate", "context", "metadata", "notification_url"})
_TAGS_PARAMS = _AUTH_PARAMS | frozenset({"tag", "public_ids", "command", "type", "notification_url"})
_CONTEXT_PARAMS = _AUTH_PARAMS | frozenset({"context", "public_ids", "command", "type", "notification_url"})
_TAG_COMMANDS = frozenset({"add", "remove", "replace", "remove_all", "set_exclusive"})
_CONTEXT_COMMANDS = frozenset({"add", "remove_all", "remove"})
_DELIVERY_TYPES = frozenset({"upload", "private", "authenticated"})


# ---- parameter parsing ---------------------------------------------------------------------
def random_public_id(n: int = 20) -> str:
    """A random public_id: `n` lowercase letters and digits (Cloudinary's form, spec §1.2)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def _check_public_id(value: str, name: str = "public_id") -> str:
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


def _list(value: Any) -> list[str]:
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


def _tags(value: Any) -> list[str]:
    tags = _list(value)
    for t in tags:
        if len(t) > 255 or any(ord(c) < 32 for c in t):
            raise ApiError(400, f"Invalid tag - {t[:60]!r}")
    return tags


def _preset_params(settings: Mapping[str, Any]) -> dict[str, Any]:
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


def _check_names(params: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for key in params:
        if key in REFUSED_PARAMS:
            raise ApiError(400, REFUSED_PARAMS[key])
        if key not in allowed:
            raise ApiError(400, f"Unknown parameter - {key[:64]}")


def _delivery_type(params: Mapping[str, Any], name: str = "type") -> str:
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


def _parse_eager(value: Any) -> list[EagerSpec]:
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
    moderation: list[dict[str, str]] | None = None
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
        p = cls(delivery_type=_delivery_type(params))
        pid = text_param(params, "public_id").strip()
        p.public_id = _check_public_id(pid) if pid else None
        p.folder = text_param(params, "folder").strip().strip("/")
        if p.folder:
            _check_public_id(p.folder, "folder")
        if "asset_folder" in params:
            p.asset_folder = text_param(params, "asset_folder").strip().strip("/")
        p.public_id_prefix = text_param(params, "public_id_prefix").strip().strip("/")
        if p.public_id_prefix:
            _check_public_id(p.public_id_prefix, "public_id_prefix")
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
            p.tags = _tags(params.get("tags"))
        if "context" in params:
            p.context = parse_context(params.get("context"))
        if "metadata" in params:
            p.metadata = parse_context(params.get("metadata"), "metadata")
        p.eager = _parse_eager(params.get("eager"))
        p.eager_async = b("eager_async")
        p.eager_notification_url = _url_param(params, "eager_notification_url")
        p.transformation = text_param(params, "transformation").strip().strip("/")
        fmt = text_param(params, "format").strip().lower().lstrip(".")
        p.format = "jpg" if fmt == "jpeg" else fmt
        if p.format and p.format not in STORABLE_FORMATS:
            raise ApiError(400, f"Invalid format - {fmt[:20]}")
        p.allowed_formats = ["jpg" if f == "jpeg" else f for f in _list(params.get("allowed_formats"))]
        p.notification_url = _url_param(params, "notification_url")
        p.is_async = b("async")
        p.moderation = _moderation(params.get("moderation"))
        p.return_delete_token = b("return_delete_token")
        p.backup = b("backup")
        p.invalidate = b("invalidate")
        if "access_mode" in params:
            mode = text_param(params, "access_mode").strip()
            if mode not in ("public", "authenticated"):
                raise ApiError(400, f"Invalid access_mode - {mode[:40]} (public or authenticated)")
            p.access_mode = mode
        for key in ("regions", "access_control", "headers", "quality_override"):
            if key in params:
                p.extra[key] = params[key]
        p.batch_id = text_param(params, "batch_id").strip()[:128]
        return p


def _url_param(params: Mapping[str, Any], name: str) -> str:
    value = text_param(params, name).strip()
    if value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError(400, f"Invalid {name} - must be an http(s) URL")
    return value


def _moderation(value: Any) -> list[dict[str, str]] | None:
    kinds = _list(value)
    if not kinds:
        return None
    out = []
    for kind in kinds:
        if kind != "manual":
            raise ApiError(400, f"Edge does not support moderation '{kind[:40]}'")
        out.append({"kind": "manual", "status": "pending"})
    return out


# ---- the file ------------------------------------------------------------------------------
@dataclass
class Incoming:
    """The uploaded original: `file` (a seekable binary file: the spooled multipart part,
    so a large upload is not held in memory unless analysis or a conversion needs all of
    its bytes), `size` (bytes), `filename` (original name without folders, '' when none),
    where it came from (`origin`: part, url, data_uri, base64, chunks).  Blocking methods."""

    file: BinaryIO
    size: int
    filename: str
    origin: str

    @classmethod
    def of_bytes(cls, data: bytes, filename: str, origin: str) -> "Incoming":
        return cls(io.BytesIO(data), len(data), filename, origin)

    def head(self, n: int) -> bytes:
        """The first `n` bytes."""
        self.file.seek(0)
        return self.file.read(n)

    def tail(self, n: int) -> bytes:
        """The last `n` bytes (fewer for a small file)."""
        self.file.seek(max(0, self.size - n))
        return self.file.read(n)

    def read(self) -> bytes:
        """All bytes (in memory: only for analysis, conversions and full validation)."""
        self.file.seek(0)
        return self.file.read()

    def md5(self) -> str:
        """Hex MD5 of the bytes (the `etag`), read in 1 MiB chunks."""
        h = hashlib.md5()
        self.file.seek(0)
        for chunk in iter(lambda: self.file.read(1024 * 1024), b""):
            h.update(chunk)
        return h.hexdigest()

    def rewound(self) -> BinaryIO:
        """The file positioned at its start (to store it)."""
        self.file.seek(0)
        return self.file


def _filename_base(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem


def _resolve_file(ctx: ApiContext, body: Body) -> Incoming:
    """Blocking: the `file` of an upload as bytes (see `Incoming`).  Raises ApiError 400
    (missing, unreadable, remote failure), 413 (too large)."""
    if body.file_part is not None:
        part = body.file_part
        part.file.seek(0, os.SEEK_END)
        size = part.file.tell()
        name = part.filename if part.filename not in ("file", "stream", "blob") else ""
        return Incoming(part.file, size, _filename_base(name), "part")
    value = body.params.get("file")
    if isinstance(value, list):
        raise ApiError(400, "Invalid file - several values")
    text = str(value or "").strip()
    if not text:
        raise ApiError(400, "Missing required parameter - file")
    if text.startswith("data:"):
        m = _DATA_URI.match(text)
        if m is None:
            raise ApiError(400, "Invalid file - malformed data URI")
        data = _b64decode(m.group(3))
        return Incoming.of_bytes(data, "", "data_uri")
    scheme = text.split(":", 1)[0].lower() if ":" in text[:10] else ""
    if scheme in ("http", "https"):
        return Incoming.of_bytes(_fetch(ctx, text), _filename_base(urlsplit(text).path), "url")
    if scheme in ("ftp", "s3", "gs", "file"):
        raise ApiError(400, f"Error in loading {text[:200]} - Edge fetches http(s) URLs only")
    if _B64.match(text[:4096]) and len(text) >= 8 and len(re.sub(r"\s+", "", text)) % 4 == 0:
        return Incoming.of_bytes(_b64decode(text), "", "base64")
    raise ApiError(400, "Invalid file - not a file part, http(s) URL, data URI or base64 text")


def _b64decode(text: str) -> bytes:
    try:
        compact = re.sub(r"\s+", "", text)
        if "-" in compact or "_" in compact:
            return base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4))
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "Invalid file - malformed base64") from None


def _fetch(ctx: ApiContext, url: str) -> bytes:
    try:
        source = ctx.fetch_origin.load(url)
    except SourceTooLarge:
        raise ApiError(413, f"File size (>{ctx.max_upload_bytes}) exceeds maximum allowed "
                            f"({ctx.max_upload_bytes})") from None
    except (FetchDenied, AssetNotFound, OriginUnavailable) as exc:
        raise ApiError(400, f"Error in loading {url[:200]} - {exc}") from None
    if len(source.data) > ctx.max_upload_bytes:
        raise ApiError(413, f"File size ({len(source.data)}) exceeds maximum allowed ({ctx.max_upload_bytes})")
    return source.data


_RANGE = re.compile(r"^bytes (\d{1,15})-(\d{1,15})/(\d{1,15})$")
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class ChunkedUpload:
    """One chunk of the SDK's `upload_large` (headers `Content-Range: bytes a-b/total` and
    `X-Unique-Upload-Id`).  Chunks are written at their offset into `<dir>/<id>.part` (a
    folder every worker process of this machine shares: several nodes need sticky sessions
    for chunked uploads), with one marker file per received range; the request completing
    the range hands the whole file on.  Every chunk is authenticated like any upload."""

    upload_id: str
    start: int
    end: int
    total: int
    folder: Path

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], ctx: ApiContext) -> "ChunkedUpload":
        """Parse the chunk headers; ApiError 400 (malformed) or 413 (total too large)."""
        m = _RANGE.match(headers.get("content-range", "").strip())
        uid = headers.get("x-unique-upload-id", "").strip()
        if m is None or not _UPLOAD_ID.match(uid):
            raise ApiError(400, "Invalid Content-Range or X-Unique-Upload-Id for a chunked upload")
        start, end, total = (int(g) for g in m.groups())
        if not (0 <= start <= end < total):
            raise ApiError(400, "Invalid Content-Range for a chunked upload")
        if total > ctx.max_upload_bytes:
            raise ApiError(413, f"File size ({total}) exceeds maximum allowed ({ctx.max_upload_bytes})")
        folder = Path(ctx.extra.get("chunk_dir") or Path(tempfile.gettempdir()) / "edge-upload-chunks")
        return cls(uid, start, end, total, folder)

    def add(self, incoming: Incoming) -> Incoming | None:
        """Blocking: store this chunk; the whole file once every byte arrived, else None."""
        if incoming.size != self.end - self.start + 1:
            raise ApiError(400, f"Chunk size {incoming.size} does not match Content-Range "
                                f"{self.start}-{self.end}")
        self.folder.mkdir(parents=True, exist_ok=True)
        part = self.folder / f"{self.upload_id}.part"
        fd = os.open(part, os.O_RDWR | os.O_CREAT, 0o600)
        incoming.file.seek(0)
        try:
            offset = self.start
            for chunk in iter(lambda: incoming.file.read(1024 * 1024), b""):
                os.pwrite(fd, chunk, offset)
                offset += len(chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        (self.folder / f"{self.upload_id}.{self.start}-{self.end}.got").touch()
        got = []
        for marker in self.folder.glob(f"{self.upload_id}.*-*.got"):
            a, b = marker.name[len(self.upload_id) + 1:-4].split("-")
            got.append((int(a), int(b)))
        covered = 0
        for a, b in sorted(got):
            if a > covered:
                return None
            covered = max(covered, b + 1)
        if covered < self.total:
            return None
        whole = open(part, "rb")  # noqa: SIM115 - closed by the caller (Incoming.file)
        for marker in self.folder.glob(f"{self.upload_id}.*"):
            try:
                marker.unlink()  # the open handle keeps the assembled file readable
            except OSError:
                pass
        return Incoming(whole, self.total, incoming.filename, "chunks")


@dataclass
class Probe:
    """What validation found: px `width`/`height` (as displayed), `format`, `pages`."""

    width: int
    height: int
    format: str
    pages: int


def _complete(data: bytes, fmt: str) -> bool:
    """True when the file visibly ends where its format says it ends: a JPEG's EOI marker
    (trailing NUL padding allowed), a PNG's IEND chunk, a GIF's trailer byte.  Files that pass
    skip the validation decode; anything else is decoded in full."""
    if fmt == "jpg":
        return data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if fmt == "png":
        return data.endswith(b"IEND\xaeB`\x82")
    if fmt == "gif":
        return data.endswith(b";")
    return False


#: Bytes read for the header of a JPEG/PNG (EXIF and most ICC profiles fit; else all is read).
_HEAD_BYTES = 256 * 1024


def probe_image(incoming: "Incoming | bytes", limits: Any) -> Probe:
    """Blocking: validate `data` as an image Edge can store and render: header, limits
    (`edge.render.limits.Limits`: bytes, pixels, frames), then either the structural end
    check of `_complete` (JPEG/PNG/GIF, microseconds) or a full strict decode of the first
    frame at shrink-on-load size (about 90 ms for a 16 MP JPEG), so a truncated file fails
    here, not at delivery.  (A JPEG/PNG damaged in the middle but complete at its end is
    accepted and answers 400 at delivery: strict decoding there.)
    Raises ApiError(400) `Invalid image file - ...` / `File format not allowed`."""
    from edge.render.errors import RenderError  # noqa: PLC0415 - render loads pyvips
    from edge.render.source import check_limits, decode, read_header

    if isinstance(incoming, bytes):
        incoming = Incoming.of_bytes(incoming, "", "bytes")
    if incoming.size == 0:
        raise ApiError(400, "Invalid image file - empty file")
    data: bytes | None = None
    header = None
    if incoming.size > _HEAD_BYTES:  # JPEG/PNG headers come first: no need to read it all
        try:
            header = read_header(incoming.head(_HEAD_BYTES))
        except RenderError:
            header = None
        if header is not None and header.format not in ("jpg", "png"):
            header = None  # GIF frame counts, TIFF pages ... need the whole file
    if header is None:
        data = incoming.read()
        try:
            header = read_header(data)
        except RenderError:
            raise ApiError(400, "Invalid image file - not an image, corrupt or unsupported format") from None
    if header.format not in STORABLE_FORMATS:
        raise ApiError(400, f"File format not allowed - {header.format}")
    try:
        check_limits(header, limits, frames=header.frames, source_bytes=incoming.size)
    except RenderError as exc:
        raise ApiError(413 if "file too large" in str(exc) else 400, f"Invalid image file - {exc}") from None
    if not _complete(incoming.tail(64 * 1024), header.format):
        if data is None:
            data = incoming.read()
        scale = _PROBE_PX / max(header.width, header.height, 1)
        size = (max(1, round(header.width * min(1.0, scale))), max(1, round(header.height * min(1.0, scale))))
        try:
            decode(data, header, page=0, shrink_to=size).avg()
        except Exception:  # noqa: BLE001 - pyvips.Error / RenderError: the pixels do not decode
            raise ApiError(400, "Invalid image file - truncated or corrupt image data") from None
    return Probe(header.width, header.height, header.format, header.frames)


# ---- response ------------------------------------------------------------------------------
def _iso(dt: Any) -> str:
    if dt is None:
        return ""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _escape_public_id(public_id: str) -> str:
    return quote(public_id, safe="/:@!$'()*+,;=-._~")


def delivery_url(base: str, cloud: str, record: Any, transformation: str = "", ext: str = "") -> str:
    """`<base>/<cloud>/image/<type>/[<transformation>/]v<version>/<public_id>.<ext>`."""
    t = f"{transformation}/" if transformation else ""
    return (f"{base}/{cloud}/image/{record.type}/{t}v{record.version}/"
            f"{_escape_public_id(record.public_id)}.{ext or record.format}")


def resource_json(ctx: ApiContext, record: Any, *, api_key: str | None = None,
                  analysis: Mapping[str, Any] | None = None, algorithm: str = "sha1") -> dict[str, Any]:
    """The upload-response JSON of `record` (spec §1.4): every field with its type, context
    and metadata only when set, `coordinates` when any, plus the analysis fields (`analysis`
    or the record's stored ones); `algorithm` hashes the response `signature`."""
    out: dict[str, Any] = {
        "asset_id": record.asset_id, "public_id": record.public_id, "version": int(record.version),
        "version_id": record.version_id,
        "signature": response_signature(record.public_id, record.version, ctx.api_secret, algorithm),
        "width": int(record.width), "height": int(record.height), "format": record.format,
        "resource_type": record.resource_type, "created_at": _iso(record.created_at),
        "tags": list(record.tags), "pages": int(record.pages), "bytes": int(record.bytes),
        "type": record.type, "etag": record.etag, "placeholder": bool(record.placeholder),
        "url": delivery_url(ctx.public_url, ctx.cloud_name, record),
        "secure_url": delivery_url(ctx.secure_url, ctx.cloud_name, record),
        "asset_folder": record.asset_folder or "",
        "display_name": record.display_name or record.public_id.rsplit("/", 1)[-1],
    }
    if record.access_mode and record.access_mode != "public":
        out["access_mode"] = record.access_mode
    if record.original_filename is not None:
        out["original_filename"] = record.original_filename
    if api_key:
        out["api_key"] = api_key
    if record.context:
        out["context"] = {"custom": dict(record.context)}
    if record.metadata:
        out["metadata"] = dict(record.metadata)
    coords: dict[str, Any] = {}
    if record.coordinates_custom:
        coords["custom"] = [list(b) for b in record.coordinates_custom]
    if record.coordinates_faces:
        coords["faces"] = [list(b) for b in record.coordinates_faces]
    if coords:
        out["coordinates"] = coords
    if record.moderation:
        out["moderation"] = [dict(m) for m in record.moderation]
    data = dict(record.analysis if analysis is None else analysis)
    data.pop("tags", None)
    for key, value in data.items():
        if key == "coordinates" and isinstance(value, dict):
            out.setdefault("coordinates", {}).update(value)
        elif key not in out:
            out[key] = value
    return out


# ---- delete tokens -------------------------------------------------------------------------
def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_delete_token(secret: str, record: Any, now: float | None = None) -> str:
    """A stateless delete token for `record`, valid `DELETE_TOKEN_TTL_S` s: base64url(JSON of
    asset_id, type, public_id, version, expiry) + `.` + HMAC-SHA256 of it with the secret."""
    exp = int((time.time() if now is None else now) + DELETE_TOKEN_TTL_S)
    body = _b64u(json.dumps([record.asset_id, record.type, record.public_id, record.version, exp],
                            separators=(",", ":")).encode())
    mac = _b64u(hmac.new(secret.encode(), b"delete_token:" + body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def read_delete_token(secret: str, token: str, now: float | None = None) -> tuple[str, str, str]:
    """`(asset_id, type, public_id)` of a valid, unexpired delete token; ApiError(400/401)."""
    body, _, mac = token.strip().partition(".")
    want = _b64u(hmac.new(secret.encode(), b"delete_token:" + body.encode(), hashlib.sha256).digest())
    if not body or not hmac.compare_digest(want.encode(), mac.encode("ascii", "replace")):
        raise ApiError(401, "Invalid token")
    try:
        asset_id, type_, public_id, _version, exp = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise ApiError(401, "Invalid token") from None
    if (time.time() if now is None else now) > exp:
        raise ApiError(400, "Stale token - the delete token has expired")
    return str(asset_id), str(type_), str(public_id)


# ---- the endpoints -------------------------------------------------------------------------
class UploadApi:
    """The Upload API endpoints over one `ApiContext` (see the module docs)."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self._background: set[asyncio.Task[Any]] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._register_jobs()

    # -- helpers ---------------------------------------------------------------------------
    async def _io(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.ctx.io, lambda: fn(*args, **kwargs))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background work (async uploads, eager_async, webhooks) to finish."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def _check_cloud(self, request: Request) -> None:
        cloud = request.path_params.get("cloud", "")
        if cloud != self.ctx.cloud_name:
            raise ApiError(404, f"Unknown cloud name - {cloud[:64]}")
        rtype = request.path_params.get("resource_type", "image")
        # `upload_large` posts its chunks as resource_type raw unless told otherwise
        chunked = "content-range" in request.headers and rtype == "raw"
        if rtype not in ("image", "auto") and not chunked:
            raise ApiError(400, f"Edge supports resource_type image only, not {rtype[:20]}")

    async def _begin(self, request: Request, *, allow_unsigned: bool = False,
                     exclude: frozenset[str] = frozenset()) -> tuple[Body, UploadAuth]:
        self._check_cloud(request)
        body = await read_body(request, max_bytes=self.ctx.max_upload_bytes)
        try:
            if not allow_unsigned and not text_param(body.params, "signature"):
                if not text_param(body.params, "api_key"):
                    raise ApiError(400, "Missing required parameter - api_key")
                raise ApiError(400, "Missing required parameter - signature")
            catalogue = self.ctx.catalogue
            auth = await self._io(
                authenticate_upload, body.params, api_key=self.ctx.api_key,
                api_secret=self.ctx.api_secret,
                lookup_preset=catalogue.get_preset if catalogue is not None else None, exclude=exclude,
            )
        except BaseException:
            body.close()
            raise
        return body, auth

    def _effective(self, body: Body, auth: UploadAuth) -> dict[str, Any]:
        """Request parameters over the preset's settings (request wins)."""
        params = _preset_params(auth.preset)
        if auth.preset.get("disallow_public_id") and "public_id" in body.params:
            raise ApiError(400, f"public_id is not allowed by upload preset {auth.preset_name}")
        params.update(body.params)
        if not auth.signed and "overwrite" not in auth.preset:
            params["overwrite"] = "0"
        return params

    def _analysis_request(self, params: Mapping[str, Any]) -> Any:
        from edge.analysis import AnalysisError, AnalysisRequest  # noqa: PLC0415

        try:
            return AnalysisRequest.from_params(params, lenient=self.ctx.lenient_analysis,
                                               aliases=self.ctx.extra.get("analysis_aliases"))
        except AnalysisError as exc:
            raise ApiError(400, exc.message) from None

    @staticmethod
    def _wants_analysis(areq: Any) -> bool:
        from edge.analysis.request import BOOL_FLAGS  # noqa: PLC0415

        return bool(any(getattr(areq, f) for f in BOOL_FLAGS) or areq.detection or areq.categorization
                    or areq.ocr or areq.auto_tagging is not None)

    def _analyze(self, data: bytes, areq: Any, public_id: str, version_id: str) -> dict[str, Any]:
        """Blocking: `edge.analysis.analyze` with the vision focus of this asset version (its
        detections pre-warm the cache delivery's g_face/g_auto read)."""
        from edge.analysis import AnalysisError, analyze  # noqa: PLC0415

        focus = None
        factory = getattr(self.ctx.deriver, "focus_factory", None)
        if factory is not None:
            try:
                focus = factory(public_id, version_id)
            except Exception:  # noqa: BLE001 - no focus provider: analysis still runs
                focus = None
        try:
            return analyze(data, areq, asset_token=version_id, focus=focus)
        except AnalysisError as exc:
            raise ApiError(400, exc.message) from None

    def _eager_requests(self, record: Any, specs: Sequence[EagerSpec]) -> list[Any]:
        """Parse each eager transformation as a delivery URL of `record` (400 when malformed
        or when it depends on the browser: f_auto, w_auto, dpr_auto)."""
        from edge.url import UrlError, parse  # noqa: PLC0415

        reqs = []
        for spec in specs:
            path = delivery_url("", self.ctx.cloud_name, record, spec.transformation, spec.ext)
            try:
                req = parse(path, cloud_name=self.ctx.cloud_name)
            except UrlError as exc:
                raise ApiError(400, f"Invalid eager transformation {spec.transformation[:100]!r}: {exc}") from None
            for comp in req.components:
                for p in comp:
                    text = str(p.text)
                    if (p.key == "f" and text.startswith("auto")) or (p.key in ("dpr", "w") and text.startswith("auto")):
                        raise ApiError(400, f"Invalid eager transformation {spec.transformation[:100]!r}: "
                                            f"{p.key}_auto depends on the requesting browser")
            reqs.append(req)
        return reqs

    async def _render_eager(self, record: Any, specs: Sequence[EagerSpec]) -> list[dict[str, Any]]:
        """Render each eager derivative through the delivery miss path and store it in the
        derived cache under delivery's key (the first GET of its URL is a hit); record it in
        the catalogue.  Raises the render/storage errors (mapped by the caller)."""
        deriver = self.ctx.deriver
        out = []
        for spec, req in zip(specs, self._eager_requests(record, specs)):
            hints = FixedHints(output=req.format or "")
            target = target_of(deriver, req, hints, record)
            produced = await deriver.produce(req, target, hints, wait_for_cache=True, check_backing=False)
            asset = produced.asset
            await self._io(self.ctx.catalogue.add_derived, record.asset_id, record.version_id,
                           transformation=spec.transformation, format=asset.format, bytes=len(asset.data),
                           width=asset.width, height=asset.height, cache_key=target.key)
            out.append({
                "transformation": spec.transformation, "width": asset.width, "height": asset.height,
                "bytes": len(asset.data), "format": asset.format,
                "url": delivery_url(self.ctx.public_url, self.ctx.cloud_name, record, spec.transformation,
                                    spec.ext or record.format),
                "secure_url": delivery_url(self.ctx.secure_url, self.ctx.cloud_name, record,
                                           spec.transformation, spec.ext or record.format),
            })
        return out

    async def _eager_or_error(self, record: Any, specs: Sequence[EagerSpec]) -> list[dict[str, Any]]:
        from edge.render.errors import RenderError  # noqa: PLC0415

        try:
            return await self._render_eager(record, specs)
        except ApiError:
            raise
        except RenderError as exc:
            raise ApiError(400, f"Eager transformation failed: {exc}") from None
        except StorageError as exc:
            raise ApiError(400 if exc.status < 500 else 503, f"Eager transformation failed: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - pool overload / timeout
            if type(exc).__name__ in ("Overloaded", "RenderTimeout"):
                raise ApiError(503, "Server busy: eager render did not run") from None
            raise

    def _public_id_for(self, p: UploadParams, incoming: Incoming) -> str:
        if p.public_id:
            base = p.public_id
        elif p.use_filename and (p.filename_override or incoming.filename):
            stem = re.sub(r"[^\w.-]+", "_", _filename_base(p.filename_override or incoming.filename)).strip("._") or "file"
            base = f"{stem}_{random_public_id(6)}" if p.unique_filename else stem
        else:
            base = random_public_id()
        prefixes = [p.folder]
        if p.use_asset_folder_prefix and p.asset_folder:
            prefixes.append(p.asset_folder)
        if p.public_id_prefix:
            prefixes.append(p.public_id_prefix)
        full = "/".join(x for x in (*prefixes, base) if x)
        return _check_public_id(full)

    def _transform_incoming(self, data: bytes, p: UploadParams) -> bytes:
        """Blocking: apply the incoming `transformation` / `format` with the delivery renderer
        (the stored original is the result)."""
        from edge.render.errors import RenderError  # noqa: PLC0415
        from edge.storage import Source  # noqa: PLC0415
        from edge.url import UrlError, parse  # noqa: PLC0415

        fmt = p.format or probe_image(data, self.ctx.deriver.limits).format
        trans = f"{p.transformation}/" if p.transformation else ""
        try:
            req = parse(f"/{self.ctx.cloud_name}/image/upload/{trans}incoming.{fmt}", cloud_name=self.ctx.cloud_name)
        except UrlError as exc:
            raise ApiError(400, f"Invalid transformation - {exc}") from None
        try:
            rendered = self.ctx.deriver.render(Source(data, "incoming", "", ""), req, FixedHints(output=fmt))
        except RenderError as exc:
            raise ApiError(400, f"Incoming transformation failed: {exc}") from None
        return rendered.data

    # -- upload ----------------------------------------------------------------------------
    async def upload(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/upload` (spec §1)."""
        body, auth = await self._begin(request, allow_unsigned=True)
        try:
            params = self._effective(body, auth)
            _check_names(params, KNOWN_UPLOAD_PARAMS)
            p = UploadParams.parse(params, signed=auth.signed)
            areq = self._analysis_request(params)
            incoming = await self._io(_resolve_file, self.ctx, body)
            if "content-range" in request.headers:
                chunks = ChunkedUpload.from_headers(request.headers, self.ctx)
                incoming = await self._io(chunks.add, incoming)
                if incoming is None:  # more chunks to come
                    return json_response({"done": False, "upload_id": chunks.upload_id,
                                          "public_id": p.public_id or ""}, request)
            try:
                result = await self._ingest(request, incoming, p, areq, auth, _jsonable(params))
            finally:
                incoming.file.close()
        finally:
            body.close()
        return json_response(result, request)

    async def _ingest(self, request: Request, incoming: Incoming, p: UploadParams, areq: Any,
                      auth: UploadAuth, params_text: dict[str, Any]) -> dict[str, Any]:
        from edge.assets.catalogue import AssetDraft, new_version_id  # noqa: PLC0415

        ctx = self.ctx
        probe = await self._io(probe_image, incoming, ctx.deriver.limits)
        if p.allowed_formats and probe.format not in p.allowed_formats:
            raise ApiError(400, "File format not allowed")
        if p.transformation or (p.format and p.format != probe.format):
            converted = await self._io(self._transform_incoming, await self._io(incoming.read), p)
            incoming = Incoming.of_bytes(converted, incoming.filename, incoming.origin)
            probe = await self._io(probe_image, incoming, ctx.deriver.limits)
        public_id = self._public_id_for(p, incoming)
        if p.eager:  # syntax checked before anything is stored
            self._eager_requests(_Stub(p.delivery_type, public_id, probe.format), p.eager)
        version_id = new_version_id()
        analysis: dict[str, Any] = {}
        if self._wants_analysis(areq) and not p.is_async:
            analysis = await self._io(self._analyze, await self._io(incoming.read), areq, public_id, version_id)
        auto_tags = list(analysis.pop("tags", []) or [])
        original_filename = None
        if not p.discard_original_filename:
            original_filename = p.filename_override or incoming.filename or None
            if original_filename is not None:
                original_filename = _filename_base(original_filename)
        tags = None if p.tags is None and not auto_tags else list(dict.fromkeys([*(p.tags or []), *auto_tags]))
        faces = areq.face_coordinates
        if faces is None and analysis.get("faces") is not None:
            faces = analysis.get("faces")
        display = p.display_name
        if display is None and p.use_filename_as_display_name and original_filename:
            display = original_filename
        draft = AssetDraft(
            type=p.delivery_type, public_id=public_id, version_id=version_id, format=probe.format,
            width=probe.width, height=probe.height, bytes=incoming.size, etag=await self._io(incoming.md5),
            pages=probe.pages, tags=tags, context=p.context, metadata=p.metadata,
            coordinates_custom=[list(b) for b in areq.custom_coordinates] if areq.custom_coordinates is not None else None,
            coordinates_faces=[list(b) for b in faces] if faces is not None else None,
            asset_folder=p.asset_folder, display_name=display or None,
            original_filename=original_filename, access_mode=p.access_mode, moderation=p.moderation,
            analysis=analysis, auto_tags=auto_tags or None, extra=p.extra or None,
        )
        from edge.assets.originals import store_original  # noqa: PLC0415

        pub = await self._io(lambda: store_original(ctx.store, ctx.catalogue, draft, incoming.rewound(),
                                                    overwrite=p.overwrite, backup=p.backup))
        if pub.existing:
            out = resource_json(ctx, pub.record, api_key=auth.api_key or None, algorithm=auth.algorithm)
            out["existing"] = True
            return out
        record = pub.record
        ctx.deriver.forget(record.type, record.public_id)
        if pub.previous is not None and p.invalidate:
            await self._io(_quiet_purge, ctx.purge, record)
        out = resource_json(ctx, record, api_key=auth.api_key or None, algorithm=auth.algorithm)
        if p.return_delete_token:
            out["delete_token"] = make_delete_token(ctx.api_secret or "edge", record)
        if p.is_async:
            batch = p.batch_id or secrets.token_hex(32)
            self._job("finish_upload", {
                "type": record.type, "public_id": record.public_id, "version": record.version,
                "params": params_text, "api_key": auth.api_key, "algorithm": auth.algorithm,
                "batch_id": batch, "request_id": request_id_of(request)})
            return {"status": "pending", "type": p.delivery_type, "batch_id": batch, "public_id": record.public_id}
        if p.eager:
            if p.eager_async:
                batch = p.batch_id or secrets.token_hex(32)
                out["eager"] = [{"status": "processing", "batch_id": batch,
                                 "url": delivery_url(ctx.public_url, ctx.cloud_name, record, s.transformation, s.ext),
                                 "secure_url": delivery_url(ctx.secure_url, ctx.cloud_name, record, s.transformation, s.ext)}
                                for s in p.eager]
                self._job("eager", {"type": record.type, "public_id": record.public_id,
                                    "version": record.version, "params": params_text, "batch_id": batch})
            else:
                out["eager"] = await self._eager_or_error(record, p.eager)
        if p.notification_url or ctx.notification_url:
            self._notify(p.notification_url, {**out, "notification_type": "upload",
                                              "request_id": request_id_of(request)})
        return out

    # -- background work (the jobs seam) --------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to the server's event loop and start the job consumer (lifespan startup).
        Job handlers run in consumer threads and hand their async work to this loop."""
        self.loop = loop
        if self.ctx.jobs is not None:
            self.ctx.jobs.start()

    async def stop(self) -> None:
        """Stop the job consumer (running jobs finish; waiting ones stay stored) and wait for
        in-process background work (lifespan shutdown)."""
        if self.ctx.jobs is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.ctx.jobs.stop)
        await self.drain()

    def _register_jobs(self) -> None:
        jobs = self.ctx.jobs
        if jobs is None:
            return
        attempts = max(1, int(self.ctx.extra.get("webhook_attempts", 5)))
        jobs.register("api.finish_upload", self._run_job(self._finish_upload))
        jobs.register("api.eager", self._run_job(self._eager_job))
        jobs.register("api.webhook", self._webhook_job, retries=attempts - 1, retry_delay_s=1.0, retry_backoff=2.0)

    def _run_job(self, fn: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
        def handler(payload: dict[str, Any]) -> None:
            deadline = time.monotonic() + 60
            while self.loop is None and time.monotonic() < deadline:  # a job found at startup
                time.sleep(0.05)
            if self.loop is None:
                raise RuntimeError("API job ran before the server started")
            asyncio.run_coroutine_threadsafe(fn(payload), self.loop).result(timeout=600)
        return handler

    def _job(self, name: str, payload: dict[str, Any]) -> None:
        """Run background work `name` durably (the job queue) or, without one, in-process."""
        if self.ctx.jobs is not None:
            try:
                self.ctx.jobs.enqueue(f"api.{name}", payload)
                return
            except Exception:  # noqa: BLE001 - the queue is down: do it in-process
                log.exception("cannot enqueue job %s; running it in-process", name)
        fn = {"finish_upload": self._finish_upload, "eager": self._eager_job}[name]
        self._spawn(fn(payload))

    async def _current(self, payload: Mapping[str, Any]) -> Any:
        """The record a job is about, or None when it was deleted or replaced since."""
        record = await self._io(self.ctx.catalogue.get, payload["type"], payload["public_id"])
        if record is None or record.version != payload["version"]:
            return None
        return record

    async def _finish_upload(self, payload: dict[str, Any]) -> None:
        """Background part of `async=1`: analysis, eager, then the upload notification."""
        ctx = self.ctx
        params = payload["params"]
        p = UploadParams.parse(params, signed=bool(payload.get("api_key")))
        batch, rid = payload["batch_id"], payload.get("request_id", "")
        try:
            record = await self._current(payload)
            if record is None:
                raise ApiError(404, f"Resource not found - {payload['public_id']} (replaced or deleted)")
            areq = self._analysis_request(params)
            if self._wants_analysis(areq):
                source = await self._io(ctx.store.load_key, original_key(record.version_id, record.format))
                analysis = await self._io(self._analyze, source.data, areq, record.public_id, record.version_id)
                auto = list(analysis.pop("tags", []) or [])
                if analysis.get("faces") and areq.face_coordinates is None:
                    record = await self._io(_update, ctx.catalogue, record,
                                            {"coordinates_faces": [list(b) for b in analysis["faces"]]})
                record = await self._io(ctx.catalogue.set_analysis, record.asset_id, record.version, analysis,
                                        auto_tags=auto) or record
            out = resource_json(ctx, record, api_key=payload.get("api_key") or None,
                                algorithm=payload.get("algorithm", "sha1"))
            if p.eager:
                out["eager"] = await self._eager_or_error(record, p.eager)
            self._notify(p.notification_url, {**out, "notification_type": "upload", "batch_id": batch,
                                              "request_id": rid})
        except Exception as exc:  # noqa: BLE001 - reported through the webhook, never raised
            message = exc.message if isinstance(exc, ApiError) else "Internal error"
            if not isinstance(exc, ApiError):
                log.exception("async upload of %s failed", payload.get("public_id"))
            self._notify(p.notification_url, {"notification_type": "upload", "status": "failed",
                                              "batch_id": batch, "public_id": payload.get("public_id"),
                                              "error": {"message": message}, "request_id": rid})

    async def _eager_job(self, payload: dict[str, Any]) -> None:
        """Background eager renders (`eager_async`), then the `eager` notification."""
        p = UploadParams.parse(payload["params"], signed=True)
        batch = payload["batch_id"]
        try:
            record = await self._current(payload)
            if record is None:
                raise ApiError(404, f"Resource not found - {payload['public_id']} (replaced or deleted)")
            eager = await self._eager_or_error(record, p.eager)
            note = {"notification_type": "eager", "batch_id": batch, "public_id": record.public_id,
                    "asset_id": record.asset_id, "eager": eager}
        except Exception as exc:  # noqa: BLE001 - reported through the webhook
            message = exc.message if isinstance(exc, ApiError) else "Internal error"
            if not isinstance(exc, ApiError):
                log.exception("eager renders of %s failed", payload.get("public_id"))
            note = {"notification_type": "eager", "batch_id": batch, "public_id": payload.get("public_id"),
                    "status": "failed", "error": {"message": message}}
        self._notify(p.eager_notification_url or p.notification_url, note)

    def _webhook_job(self, payload: dict[str, Any]) -> None:
        """One delivery attempt (the queue retries with backoff); raises on failure."""
        if not self.ctx.webhooks.send_once(payload["url"], payload["payload"]):
            raise RuntimeError(f"webhook to {payload['url'][:200]} not delivered")

    def _notify(self, url: str, payload: dict[str, Any]) -> None:
        """Send the webhook to `url` and to the global notification URL (when set): through
        the job queue (durable, retried there) or, without one, in-process with retries."""
        sender = self.ctx.webhooks
        if sender is None:
            return
        payload.setdefault("timestamp", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        for target in dict.fromkeys(u for u in (url, self.ctx.notification_url) if u):
            if self.ctx.jobs is not None:
                try:
                    self.ctx.jobs.enqueue("api.webhook", {"url": target, "payload": payload})
                    continue
                except Exception:  # noqa: BLE001 - the queue is down: send in-process
                    log.exception("cannot enqueue webhook; sending in-process")
            self._spawn(sender.deliver(target, payload))

    # -- explicit --------------------------------------------------------------------------
    async def explicit(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/explicit` (spec §2.1): eager renders, analysis, tags,
        context, metadata, coordinates of an existing asset; the same JSON as upload."""
        body, auth = await self._begin(request)
        body.close()
        params = self._effective(body, auth)
        _check_names(params, (KNOWN_UPLOAD_PARAMS - {"file"}) | _EXPLICIT_EXTRA)
        if "file" in params or body.file_part is not None:
            raise ApiError(400, "explicit takes no file")
        p = UploadParams.parse(params, signed=True)
        params_text = _jsonable(params)
        if not p.public_id:
            raise ApiError(400, "Missing required parameter - public_id")
        areq = self._analysis_request(params)
        ctx = self.ctx
        record = await self._io(ctx.catalogue.get, p.delivery_type, p.public_id)
        if record is None:
            raise ApiError(404, f"Resource not found - {p.public_id}")
        if p.eager:
            self._eager_requests(record, p.eager)
        fields: dict[str, Any] = {}
        if p.tags is not None:
            fields["tags"] = p.tags
        if p.context is not None:
            fields["context"] = p.context
        if p.metadata is not None:
            fields["metadata"] = p.metadata
        if areq.custom_coordinates is not None:
            fields["coordinates_custom"] = [list(b) for b in areq.custom_coordinates]
        if areq.face_coordinates is not None:
            fields["coordinates_faces"] = [list(b) for b in areq.face_coordinates]
        if p.moderation is not None:
            fields["moderation"] = p.moderation
        if p.display_name is not None:
            fields["display_name"] = p.display_name
        if p.asset_folder is not None:
            fields["asset_folder"] = p.asset_folder
        if p.access_mode is not None:
            fields["access_mode"] = p.access_mode
        if fields:
            record = await self._io(_update, ctx.catalogue, record, fields)
        analysis = None
        if self._wants_analysis(areq):
            source = await self._io(ctx.store.load_key, original_key(record.version_id, record.format))
            analysis = await self._io(self._analyze, source.data, areq, record.public_id, record.version_id)
            auto = list(analysis.pop("tags", []) or [])
            if "faces" in analysis and areq.face_coordinates is None and analysis["faces"]:
                record = await self._io(_update, ctx.catalogue, record,
                                        {"coordinates_faces": [list(b) for b in analysis["faces"]]})
            updated = await self._io(ctx.catalogue.set_analysis, record.asset_id, record.version, analysis,
                                     auto_tags=auto)
            record = updated or record
        if p.invalidate:
            await self._io(_quiet_purge, ctx.purge, record)
        out = resource_json(ctx, record, api_key=auth.api_key or None, algorithm=auth.algorithm,
                            analysis={**record.analysis, **(analysis or {})})
        if p.eager:
            if p.eager_async:
                batch = p.batch_id or secrets.token_hex(32)
                out["eager"] = [{"status": "processing", "batch_id": batch,
                                 "url": delivery_url(ctx.public_url, ctx.cloud_name, record, s.transformation, s.ext),
                                 "secure_url": delivery_url(ctx.secure_url, ctx.cloud_name, record, s.transformation, s.ext)}
                                for s in p.eager]
                self._job("eager", {"type": record.type, "public_id": record.public_id,
                                    "version": record.version, "params": params_text, "batch_id": batch})
            else:
                out["eager"] = await self._eager_or_error(record, p.eager)
        if p.notification_url:
            self._notify(p.notification_url, {**out, "notification_type": "explicit",
                                              "request_id": request_id_of(request)})
        return json_response(out, request)

    # -- destroy ---------------------------------------------------------------------------
    async def destroy(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/destroy` (spec §2.2): `{"result": "ok"}` or
        `{"result": "not found"}` (200 both)."""
        body, auth = await self._begin(request)
        body.close()
        _check_names(body.params, _DESTROY_PARAMS)
        pid = text_param(body.params, "public_id").strip()
        if not pid:
            raise ApiError(400, "Missing required parameter - public_id")
        result = await self._destroy(_delivery_type(body.params), pid,
                                     parse_bool(body.params.get("invalidate"), "invalidate"))
        url = _url_param(body.params, "notification_url")
        if url and result == "ok":
            self._notify(url, {"notification_type": "delete", "public_id": pid, "result": result,
                               "request_id": request_id_of(request)})
        return json_response({"result": result}, request)

    async def _destroy(self, type_: str, public_id: str, invalidate: bool, asset_id: str | None = None) -> str:
        ctx = self.ctx
        if asset_id is not None:
            record = await self._io(ctx.catalogue.get, type_, public_id)
            if record is None or record.asset_id != asset_id:
                return "not found"
        removed = await self._io(ctx.catalogue.delete, type_, public_ids=[public_id])
        ctx.deriver.forget(type_, public_id)
        if not removed:
            return "not found"
        from edge.assets.originals import remove_originals  # noqa: PLC0415

        await self._io(remove_originals, ctx.store, removed)
        for gone in removed:  # its derived entries are unreachable now; purge frees their space
            await self._io(_quiet_purge, ctx.purge, gone)
        return "ok"

    async def delete_by_token(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/[image/]delete_by_token` with `token` (unsigned; the token is
        the credential, valid 10 minutes)."""
        self._check_cloud(request)
        body = await read_body(request, max_bytes=64 * 1024)
        body.close()
        _check_names(body.params, _AUTH_PARAMS | {"token"})
        token = text_param(body.params, "token")
        if not token:
            raise ApiError(400, "Missing required parameter - token")
        asset_id, type_, public_id = read_delete_token(self.ctx.api_secret or "edge", token)
        result = await self._destroy(type_, public_id, True, asset_id=asset_id)
        return json_response({"result": result}, request)

    # -- rename ----------------------------------------------------------------------------
    async def rename(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/rename`: the renamed asset's JSON (404 missing source,
        409 target taken without overwrite)."""
        from edge.assets.catalogue import AssetExists, AssetMissing  # noqa: PLC0415

        body, auth = await self._begin(request)
        body.close()
        params = body.params
        _check_names(params, _RENAME_PARAMS)
        src = _check_public_id(text_param(params, "from_public_id"), "from_public_id") \
            if text_param(params, "from_public_id").strip() else None
        dst = _check_public_id(text_param(params, "to_public_id"), "to_public_id") \
            if text_param(params, "to_public_id").strip() else None
        if src is None:
            raise ApiError(400, "Missing required parameter - from_public_id")
        if dst is None:
            raise ApiError(400, "Missing required parameter - to_public_id")
        type_ = _delivery_type(params)
        to_type = _delivery_type(params, "to_type") if text_param(params, "to_type") else None
        overwrite = parse_bool(params.get("overwrite"), "overwrite")
        invalidate = parse_bool(params.get("invalidate"), "invalidate")
        context = parse_context(params["context"]) if "context" in params else None
        metadata = parse_context(params["metadata"], "metadata") if "metadata" in params else None
        ctx = self.ctx
        try:
            result = await self._io(ctx.catalogue.rename, type_, src, dst, overwrite=overwrite, to_type=to_type)
        except AssetMissing:
            raise ApiError(404, f"Resource not found - {src}") from None
        except AssetExists:
            raise ApiError(409, f"Resource already exists - {dst}") from None
        record = result.record
        ctx.deriver.forget(type_, src)
        ctx.deriver.forget(record.type, dst)
        if result.replaced is not None:
            from edge.assets.originals import remove_originals  # noqa: PLC0415

            await self._io(remove_originals, ctx.store, [result.replaced])
            await self._io(_quiet_purge, ctx.purge, result.replaced)
        if invalidate:
            await self._io(_quiet_purge, ctx.purge, record)
        fields: dict[str, Any] = {}
        if context is not None:
            fields["context"] = {**record.context, **context}
        if metadata is not None:
            fields["metadata"] = metadata
        if fields:
            record = await self._io(_update, ctx.catalogue, record, fields)
        url = _url_param(params, "notification_url")
        out = resource_json(ctx, record, api_key=auth.api_key or None, algorithm=auth.algorithm)
        if url:
            self._notify(url, {**out, "notification_type": "rename", "from_public_id": src,
                               "request_id": request_id_of(request)})
        return json_response(out, request)

    # -- tags and context ------------------------------------------------------------------
    async def tags(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/tags`: `command` add | remove | replace | remove_all |
        set_exclusive; `{"public_ids": [...]}` of the assets found."""
        body, _auth = await self._begin(request, exclude=NON_SIGNABLE_TAG_PARAMS)
        body.close()
        params = body.params
        _check_names(params, _TAGS_PARAMS)
        command = text_param(params, "command").strip()
        if command not in _TAG_COMMANDS:
            raise ApiError(400, f"Invalid command - {command[:40]} (add, remove, replace, remove_all, set_exclusive)")
        ids = _public_ids(params)
        tags = _tags(params.get("tag"))
        if command != "remove_all" and not tags:
            raise ApiError(400, "Missing required parameter - tag")
        type_ = _delivery_type(params)
        cat = self.ctx.catalogue
        if command == "add":
            res = await self._io(cat.add_tags, type_, ids, tags)
        elif command == "remove":
            res = await self._io(cat.remove_tags, type_, ids, tags)
        elif command == "replace":
            res = await self._io(cat.replace_tags, type_, ids, tags)
        elif command == "remove_all":
            res = await self._io(cat.remove_all_tags, type_, ids)
        else:
            if len(tags) != 1:
                raise ApiError(400, "set_exclusive takes exactly one tag")
            res = await self._io(_set_exclusive, cat, type_, ids, tags[0])
        return json_response({"public_ids": list(res.public_ids)}, request)

    async def context(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/context`: `command` add | remove_all (| remove with
        `context` listing keys); `{"public_ids": [...]}`."""
        body, _auth = await self._begin(request, exclude=NON_SIGNABLE_TAG_PARAMS)
        body.close()
        params = body.params
        _check_names(params, _CONTEXT_PARAMS)
        command = text_param(params, "command").strip()
        if command not in _CONTEXT_COMMANDS:
            raise ApiError(400, f"Invalid command - {command[:40]} (add, remove_all)")
        ids = _public_ids(params)
        type_ = _delivery_type(params)
        cat = self.ctx.catalogue
        if command == "add":
            context = parse_context(params.get("context"))
            if not context:
                raise ApiError(400, "Missing required parameter - context")
            res = await self._io(cat.add_context, type_, ids, context)
        elif command == "remove":
            keys = _list(params.get("context"))
            if not keys:
                raise ApiError(400, "Missing required parameter - context")
            res = await self._io(cat.remove_context, type_, ids, keys)
        else:
            res = await self._io(cat.remove_context, type_, ids, None)
        return json_response({"public_ids": list(res.public_ids)}, request)


@dataclass
class _Stub:
    """Enough of a record to build an eager URL before the asset exists (syntax check)."""

    type: str
    public_id: str
    format: str
    version: int = 1
    version_id: str = "0" * 32


def _public_ids(params: Mapping[str, Any]) -> list[str]:
    ids = _list(params.get("public_ids"))
    if not ids:
        raise ApiError(400, "Missing required parameter - public_ids")
    if len(ids) > 1000:
        raise ApiError(400, "Too many public_ids (max 1000)")
    return [_check_public_id(i, "public_ids") for i in ids]


def _update(catalogue: Any, record: Any, fields: Mapping[str, Any]) -> Any:
    from edge.assets.catalogue import AssetMissing  # noqa: PLC0415

    try:
        return catalogue.update(record.type, record.public_id, **fields)
    except AssetMissing:
        raise ApiError(404, f"Resource not found - {record.public_id}") from None


def _set_exclusive(catalogue: Any, type_: str, ids: Sequence[str], tag: str) -> Any:
    """Give `tag` to exactly `ids`: removed from every other asset of `type_` first."""
    holders: list[str] = []
    cursor = None
    while True:
        records, cursor = catalogue.list(type=type_, tag=tag, max_results=500, cursor=cursor)
        holders += [r.public_id for r in records if r.public_id not in ids]
        if cursor is None:
            break
    if holders:
        catalogue.remove_tags(type_, holders, [tag])
    return catalogue.add_tags(type_, ids, [tag])


def _quiet_purge(purge: Callable[..., Any] | None, what: Any) -> None:
    """`purge(what)` (an `AssetRecord`: all derived entries of the asset; a `Removed`: those
    of a deleted asset), logging instead of raising: the catalogue change is committed."""
    if purge is None:
        return
    try:
        purge(what)
    except Exception:  # noqa: BLE001 - a failed purge must not fail the API call
        log.exception("derived cache purge failed")


def _jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    """The effective parameters as a JSON-like dict for a job payload (`file` left out)."""
    return {k: v for k, v in params.items() if k != "file" and isinstance(v, (str, list, dict))}


def request_id_of(request: Request) -> str:
    """The request's X-Request-Id (see `edge.api.errors.request_id`)."""
    from edge.api.errors import request_id  # noqa: PLC0415

    return request_id(request)


def upload_routes(ctx: ApiContext) -> list[BaseRoute]:
    """The Upload API routes over `ctx` (POST only; `resource_type` in the path is `image`
    or `auto`)."""
    api = UploadApi(ctx)
    ctx.extra["upload_api"] = api
    base = "/v1_1/{cloud}/{resource_type}"

    def post_only(endpoint: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            if request.method != "POST":
                raise ApiError(405, f"{request.method} is not allowed: the Upload API takes POST",
                               headers={"Allow": "POST"})
            return await endpoint(request)
        return api_errors(handle)

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    return [
        Route(f"{base}/upload", post_only(api.upload), methods=methods),
        Route(f"{base}/explicit", post_only(api.explicit), methods=methods),
        Route(f"{base}/destroy", post_only(api.destroy), methods=methods),
        Route(f"{base}/rename", post_only(api.rename), methods=methods),
        Route(f"{base}/tags", post_only(api.tags), methods=methods),
        Route(f"{base}/context", post_only(api.context), methods=methods),
        Route(f"{base}/delete_by_token", post_only(api.delete_by_token), methods=methods),
        Route("/v1_1/{cloud}/delete_by_token", post_only(api.delete_by_token), methods=methods),
    ]
