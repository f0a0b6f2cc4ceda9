"""Origins: the `Origin` protocol (where originals are read from) and the `Source` it
returns (the bytes of one original and what identifies its revision)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["Source", "Origin", "IMAGE_EXTENSIONS"]

#: File extensions an origin accepts when it resolves a public_id without extension, in order of
#: preference.  (Cloudinary stores the format separately; on disk the extension carries it.)
IMAGE_EXTENSIONS: tuple[str, ...] = (
    "jpg", "jpeg", "jpe", "png", "webp", "avif", "gif", "tif", "tiff", "heic", "heif",
    "jxl", "jp2", "bmp", "svg", "pdf", "ico", "psd",
)


@dataclass(frozen=True, slots=True)
class Source:
    """Bytes of an original plus what identifies this exact revision.

    * `data`: the stored file's bytes.
    * `name`: the stored name (`samples/cat.png`, an S3 key or the fetched URL).
    * `version`: a revision token (mtime in ns, S3 VersionId or ETag, remote ETag), str.
    * `etag`: a strong validator of the bytes (hex or the origin's own ETag, quotes stripped).
    * `content_type`: MIME type if the origin knows it, else None.
    """

    data: bytes
    name: str
    version: str
    etag: str
    content_type: str | None = None


@runtime_checkable
class Origin(Protocol):
    """Where originals live.  Implementations are blocking (call them from a worker thread).

    `load(public_id)` returns the `Source` for a public_id given WITHOUT extension (the exact
    stored name is also accepted); raises `AssetNotFound`, `OriginUnavailable`,
    `SourceTooLarge` (or `FetchDenied` for fetch).  `check()` raises `OriginUnavailable` when
    the origin is not reachable (used by `/readyz`).  `close()` releases pooled connections
    at shutdown (a no-op for origins that hold none).
    """

    def load(self, public_id: str) -> Source: ...

    def check(self) -> None: ...

    def close(self) -> None: ...
