"""The disk tier: one file per key in sharded folders, written atomically."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

from edge.storage.atomic import TMP_PREFIX, atomic_write

__all__ = ["DiskStore"]

_TMP_PREFIX = TMP_PREFIX


class DiskStore:
    """`key -> bytes` as files `<root>/<h[0:2]>/<h[2:4]>/<h>` where h = SHA-256 hex of the key.

    Writes go to a temp file in the target folder, are fsync'ed and then `os.replace`d into
    place, so a reader sees either the whole old value, the whole new one or nothing; a writer
    killed half-way leaves only a `.tmp-*` file, which is never read (and is swept by
    `sweep_temp()`).
    """

    name = "disk"

    def __init__(self, root: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync

    def path_for(self, key: str) -> Path:
        """The final file path of `key`."""
        h = hashlib.sha256(key.encode()).hexdigest()
        return self.root / h[:2] / h[2:4] / h

    def get(self, key: str) -> bytes | None:
        """The value or None (missing or unreadable file)."""
        try:
            return self.path_for(key).read_bytes()
        except OSError:
            return None

    def put(self, key: str, data: bytes) -> None:
        """Atomically write `data` for `key` (raises OSError on I/O failure)."""
        path = self.path_for(key)
        atomic_write(path, io.BytesIO(data), fsync=self.fsync, sync_folder=False)

    def delete(self, key: str) -> bool:
        """Remove `key`'s file; False when it was absent (raises OSError on I/O failure)."""
        try:
            self.path_for(key).unlink()
            return True
        except FileNotFoundError:
            return False

    def sweep_temp(self) -> int:
        """Delete leftover `.tmp-*` files of killed writers; returns how many were removed."""
        n = 0
        if not self.root.is_dir():
            return 0
        for p in self.root.glob(f"*/*/{_TMP_PREFIX}*"):
            try:
                p.unlink()
                n += 1
            except OSError:
                pass
        return n

    def check(self) -> None:
        """Create the root if needed; raise OSError unless it is a writable directory."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise OSError(f"cache directory not writable: {self.root}")
