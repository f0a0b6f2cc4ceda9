"""An origin reading originals from a local directory tree."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterator

from edge.storage.errors import AssetNotFound, OriginUnavailable, SourceTooLarge
from edge.storage.origin import IMAGE_EXTENSIONS, Source

__all__ = ["DiskOrigin", "safe_relative", "ORIGINALS_PREFIX"]

#: The reserved top folder of stored originals (see `edge.storage.writable`).
ORIGINALS_PREFIX = ".edge-originals"


def safe_relative(public_id: str) -> str:
    """Return `public_id` as a safe relative path, or raise `AssetNotFound`.

    Refused (as "not found", never revealing the file system): empty ids, NUL bytes,
    backslashes, absolute paths, text that is not encodable as UTF-8 (lone surrogates), any
    `.`/`..`/empty segment, and the reserved tree of stored originals (`.edge-originals/`,
    reachable only through the catalogue, see `edge.storage.writable`).
    """
    if not public_id or "\x00" in public_id or "\\" in public_id or public_id.startswith("/"):
        raise AssetNotFound("Resource not found")
    try:
        public_id.encode("utf-8")
    except UnicodeEncodeError:
        raise AssetNotFound("Resource not found") from None
    parts = public_id.split("/")
    if any(p in ("", ".", "..") for p in parts) or parts[0] == ORIGINALS_PREFIX:
        raise AssetNotFound("Resource not found")
    return public_id


class DiskOrigin:
    """Originals under `root`: public_id `a/b` resolves to `root/a/b.<ext>` (first extension of
    `IMAGE_EXTENSIONS` present, then any other regular file `a/b.*`) or the exact file `root/a/b`.

    Safety: the resolved real path (symlinks followed) must stay inside the real `root`;
    otherwise the asset is "not found".  `max_bytes` bounds the size read (`SourceTooLarge`).
    `version` is the file's mtime in nanoseconds; `etag` the SHA-1 of size+mtime+path (cheap,
    strong enough for a revision of one file).
    """

    def __init__(self, root: str | os.PathLike[str], *, max_bytes: int = 100 * 1024 * 1024) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def _real_root(self) -> Path:
        try:
            return self.root.resolve(strict=True)
        except OSError as exc:
            raise OriginUnavailable(f"Origin directory unavailable: {self.root}") from exc

    def _candidates(self, base: Path, rel: str) -> Iterator[Path]:
        """Paths to try in order; the directory is listed only when no known name exists."""
        target = base / rel
        known = [target.with_name(f"{target.name}.{ext}") for ext in IMAGE_EXTENSIONS]
        known.append(target)
        yield from known
        try:
            extra = sorted(p for p in target.parent.glob(f"{_glob_escape(target.name)}.*") if p not in known)
        except OSError:
            return
        yield from extra

    def resolve(self, public_id: str) -> Path:
        """Return the real path of the stored file for `public_id`; raises `AssetNotFound`."""
        rel = safe_relative(public_id)
        real_root = self._real_root()
        for cand in self._candidates(real_root, rel):
            try:
                real = cand.resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if not real.is_relative_to(real_root) or not real.is_file():
                continue
            return real
        raise AssetNotFound("Resource not found")

    def load(self, public_id: str) -> Source:
        """Read the original for `public_id` (see class docs)."""
        path = self.resolve(public_id)
        try:
            st = path.stat()
            if st.st_size > self.max_bytes:
                raise SourceTooLarge(f"Original exceeds {self.max_bytes} bytes")
            data = path.read_bytes()
        except OSError as exc:
            raise AssetNotFound("Resource not found") from exc
        rel = path.relative_to(self._real_root()).as_posix()
        etag = hashlib.sha1(f"{rel}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()
        return Source(data=data, name=rel, version=str(st.st_mtime_ns), etag=etag)

    def check(self) -> None:
        """Raise `OriginUnavailable` unless `root` is a readable directory."""
        real = self._real_root()
        if not real.is_dir() or not os.access(real, os.R_OK | os.X_OK):
            raise OriginUnavailable(f"Origin directory unavailable: {self.root}")

    def close(self) -> None:
        """Nothing to release (files are opened and closed per load)."""


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)
