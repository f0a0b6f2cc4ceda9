"""The `file` of an upload (upload-spec §1.1) and its validation: a multipart part (kept in
its spool file), an http(s) URL (through the fetch origin and its SSRF rules), a data URI or
bare base64; the SDK's `upload_large` chunks; and `probe_image`, which checks with pyvips that
the bytes are an image Edge can store and render (a text file or a truncated image is a 400
and nothing is stored).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Mapping
from urllib.parse import urlsplit

from edge.api.errors import ApiError
from edge.api.forms import Body
from edge.api.params import STORABLE_FORMATS
from edge.api.context import ApiContext
from edge.storage import AssetNotFound, FetchDenied, OriginUnavailable, SourceTooLarge

__all__ = ["Incoming", "ChunkedUpload", "Probe", "probe_image", "resolve_file", "filename_base"]

#: Validation decode size, px on the longer side (shrink-on-load: the whole file is read).
_PROBE_PX = 64
_DATA_URI = re.compile(r"^data:([\w-]+/[\w.+-]+)?((?:;[\w-]+=[\w.-]+)*);base64,([a-zA-Z0-9/+\n\r=_-]+)$", re.S)
_B64 = re.compile(r"^[A-Za-z0-9+/\r\n]+={0,2}\s*$")

@dataclass
class Incoming:
    """The uploaded original: `file` (a seekable binary file: the spooled multipart part,
    so a large upload is not held in memory unless analysis or a conversion needs all of
    its bytes), `size` (bytes), `filename` (original name without folders, '' when none),
    where it came from (`origin`: part, url, data_uri, base64, chunks), and `etag` (hex MD5)
    when it was computed while the bytes arrived ('' otherwise).  Blocking methods."""

    file: BinaryIO
    size: int
    filename: str
    origin: str
    etag: str = ""

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
        """Hex MD5 of the bytes (the `etag`): the one computed on arrival, else read in 1 MiB
        chunks."""
        if self.etag:
            return self.etag
        h = hashlib.md5()
        self.file.seek(0)
        for chunk in iter(lambda: self.file.read(1024 * 1024), b""):
            h.update(chunk)
        return h.hexdigest()

    def rewound(self) -> BinaryIO:
        """The file positioned at its start (to store it)."""
        self.file.seek(0)
        return self.file


def filename_base(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem


def resolve_file(ctx: ApiContext, body: Body) -> Incoming:
    """Blocking: the `file` of an upload as bytes (see `Incoming`).  Raises ApiError 400
    (missing, unreadable, remote failure), 413 (too large)."""
    if body.file_part is not None:
        part = body.file_part
        name = part.filename if part.filename not in ("file", "stream", "blob") else ""
        return Incoming(part.file, part.size, filename_base(name), "part", part.md5)
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
        return Incoming.of_bytes(_within(ctx, data), "", "data_uri")
    scheme = text.split(":", 1)[0].lower() if ":" in text[:10] else ""
    if scheme in ("http", "https"):
        return Incoming.of_bytes(_fetch(ctx, text), filename_base(urlsplit(text).path), "url")
    if scheme in ("ftp", "s3", "gs", "file"):
        raise ApiError(400, f"Error in loading {text[:200]} - Edge fetches http(s) URLs only")
    if _B64.match(text[:4096]) and len(text) >= 8 and len(re.sub(r"\s+", "", text)) % 4 == 0:
        return Incoming.of_bytes(_within(ctx, _b64decode(text)), "", "base64")
    raise ApiError(400, "Invalid file - not a file part, http(s) URL, data URI or base64 text")


def _within(ctx: ApiContext, data: bytes) -> bytes:
    if len(data) > ctx.max_upload_bytes:
        raise ApiError(413, f"File size ({len(data)}) exceeds maximum allowed ({ctx.max_upload_bytes})")
    return data


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


#: Bytes read for the header of a JPEG/PNG, tried in turn (EXIF fits the first; most ICC
#: profiles the second; else all is read).  A header read from a short head is complete: the
#: size comes after every metadata segment, so a head that holds it holds them.  libvips'
#: header read costs more the longer the buffer (12 MP JPEG: 0.54 ms from 64 KiB, 0.77 ms from
#: 256 KiB), so the short head comes first.
_HEAD_BYTES = (64 * 1024, 256 * 1024)


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
    for head_bytes in _HEAD_BYTES:  # JPEG/PNG headers come first: no need to read it all
        if incoming.size <= head_bytes:
            break
        try:
            header = read_header(incoming.head(head_bytes))
        except RenderError:
            continue
        if header.format not in ("jpg", "png"):
            header = None  # GIF frame counts, TIFF pages ... need the whole file
        break
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


