"""The disk tier: one file per key in sharded folders, written atomically; small files already
in the page cache can be read without blocking (`DiskStore.get_nowait`, issue 16)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

from edge.storage.atomic import TMP_PREFIX, atomic_write

__all__ = ["DiskStore", "NOT_READY", "NOWAIT_MAX_BYTES"]

_TMP_PREFIX = TMP_PREFIX
#: Largest file `get_nowait` reads on the caller's thread, bytes: copying 512 KiB out of the
#: page cache takes ~50 us; a bigger derived asset is read by `get` in a worker thread.
NOWAIT_MAX_BYTES = 512 * 1024
#: Linux's "fail with EAGAIN instead of waiting for the disk" read flag (preadv2(2), Linux
#: 4.14+, buffered reads on ext4/xfs/btrfs since 5.x); None where `os` lacks it.
_RWF_NOWAIT = getattr(os, "RWF_NOWAIT", None)


class _NotReady:
    """The type of `NOT_READY`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_READY"


#: What `get_nowait` returns when only a blocking `get` can tell (file too large, not in the
#: page cache, or a platform without RWF_NOWAIT).
NOT_READY = _NotReady()


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
        self._root = str(self.root)
        self.fsync = fsync

    def path_for(self, key: str) -> Path:
        """The final file path of `key`."""
        h = hashlib.sha256(key.encode()).hexdigest()
        return self.root / h[:2] / h[2:4] / h

    def _file(self, key: str) -> str:
        h = hashlib.sha256(key.encode()).hexdigest()
        return f"{self._root}/{h[:2]}/{h[2:4]}/{h}"

    def get_nowait(self, key: str, max_bytes: int = NOWAIT_MAX_BYTES) -> bytes | bytearray | None | _NotReady:
        """The value of `key` when it can be had without waiting for the disk (safe on an event
        loop): its bytes when the file holds at most `max_bytes` bytes and all of them are in
        the page cache (one `preadv` with `RWF_NOWAIT`, which fails with EAGAIN instead of
        reading the disk), None when there is no such file (a miss, as `get` says), else
        `NOT_READY` (call `get` in a worker thread).  Never raises.  Opening the file still
        looks its path up, which touches the disk only when the folder entries are not cached."""
        if _RWF_NOWAIT is None:
            return NOT_READY
        try:
            fd = os.open(self._file(key), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError:
            return NOT_READY
        try:
            size = os.fstat(fd).st_size
            if size > max_bytes:
                return NOT_READY
            buf = bytearray(size)
            # a file is never changed in place (`put` replaces it), so this fd sees one whole value
            if size and os.preadv(fd, [buf], 0, _RWF_NOWAIT) != size:
                return NOT_READY  # partly cached: the rest needs the disk
            return buf
        except OSError:  # EAGAIN (not cached), EOPNOTSUPP (file system without it), I/O errors
            return NOT_READY
        finally:
            os.close(fd)

    def get(self, key: str) -> bytes | None:
        """The value or None (missing or unreadable file)."""
        try:
            with open(self._file(key), "rb", buffering=0) as fh:
                return fh.readall()
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
