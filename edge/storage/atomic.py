"""Atomic file writes for the disk tiers: a temp file in the target folder, optional fsync,
then `os.replace`, so a crash leaves the old file or the new one, never half of it (a killed
writer leaves only a `.tmp-*` file, which the owners sweep).

`StagedFile` is the temp file itself, for a writer that produces the bytes piece by piece (an
upload streamed off the network): it is written once and published by `commit` (rename), never
copied.  `atomic_write` is a `StagedFile` filled from a file object."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["TMP_PREFIX", "StagedFile", "atomic_write", "fsync_folder"]

#: Name prefix of in-progress temp files (never a valid key: keys are hex or `.edge-originals/...`).
TMP_PREFIX = ".tmp-"
_CHUNK = 1 << 20
#: Buffers per `os.writev` call (Linux's IOV_MAX is 1024).
_IOV_MAX = 1024
#: `sync_file_range(2)` flag: start writing the range back, do not wait (Linux).
_SYNC_FILE_RANGE_WRITE = 2


def _load_sync_file_range() -> Any:
    """libc's `sync_file_range` (Linux), or None where there is none."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_sync_file_range = _load_sync_file_range()


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing `length` bytes at `offset` of `fd` to disk now, without
    waiting (`sync_file_range(SYNC_FILE_RANGE_WRITE)`, Linux; a no-op elsewhere): a later
    fsync then waits only for what is still in flight.  Durability still comes from fsync."""
    if _sync_file_range is not None and length > 0:
        _sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


class StagedFile:
    """A `.tmp-*` file in `folder` (created, with its parents, at once), readable and
    writable (`write`, `read`, `seek`, `tell`), that becomes `folder/<name>` atomically with
    `commit` or disappears with `discard` / `close` (when not committed).  Blocking; one
    writer.  Raises OSError from the file system."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=folder)
        self.folder = folder
        self.path = Path(tmp)
        self.file = os.fdopen(fd, "w+b")
        self.size = 0  # bytes written
        self.committed: Path | None = None
        # `write_parts` writes to the descriptor itself: the file object's position (and
        # any buffer) is brought up to date before the next buffered operation
        self._raw = False

    def _buffered(self) -> Any:
        """The file object, its position made right after raw writes (`write_parts`)."""
        if self._raw:
            self._raw = False
            self.file.seek(self.size)
        return self.file

    def write(self, data: bytes, *, writeback: bool = False) -> int:
        """Append `data` (bytes); returns its length.  `writeback`: start writing it to disk
        now (`start_writeback`), for a file filled while more bytes arrive, so `commit`'s
        fsync waits for less."""
        f = self._buffered()
        f.write(data)
        if writeback:
            f.flush()
            start_writeback(f.fileno(), self.size, len(data))
        self.size += len(data)
        return len(data)

    def write_parts(self, parts: "list[Any]", *, writeback: bool = False) -> int:
        """Append the buffers `parts` (bytes / memoryviews) with gathered writes
        (`os.writev`, at most `_IOV_MAX` buffers a call, a partial write continued): the bytes
        go from the caller's buffers to the kernel with no copy in between.  Returns the bytes
        written; `writeback` as in `write`.  Raises OSError."""
        if not self._raw:
            self.file.flush()  # nothing buffered may land after these bytes
        fd = self.file.fileno()
        start = self.size
        views = [v for v in (memoryview(p).cast("B") for p in parts) if v.nbytes]
        written = sum(v.nbytes for v in views)
        i = 0
        while i < len(views):
            done = os.write(fd, views[i]) if len(views) == i + 1 else os.writev(fd, views[i:i + _IOV_MAX])
            while i < len(views) and done >= views[i].nbytes:
                done -= views[i].nbytes
                i += 1
            if done:  # a partial write stopped inside views[i]
                views[i] = views[i][done:]
        self.size = start + written
        self._raw = True  # the file object's position follows at its next use (`_buffered`)
        if writeback:
            start_writeback(fd, start, written)
        return written

    def start_writeback(self, offset: int, length: int) -> None:
        """Start the kernel's writeback of `length` bytes at `offset` (see `start_writeback`)."""
        start_writeback(self.file.fileno(), offset, length)

    def read(self, n: int = -1) -> bytes:
        return self._buffered().read(n)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._raw = False  # a seek sets the position itself
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self._buffered().tell()

    def commit(self, path: Path, *, fsync: bool = True, sync_folder: bool = True,
               rename_first: bool = False) -> int:
        """Publish the bytes as `path` (which must be in `folder`: one rename); with `fsync`
        the data is on disk before the rename, with `sync_folder` too the rename itself.
        Returns the size (bytes).  Raises ValueError for a path elsewhere, OSError (the temp
        file, or with `rename_first` the renamed file, is removed).

        `rename_first`: rename, then sync the data, then the folder: for a NEW path that no
        reader opens before the caller publishes it somewhere else once this returns (a stored
        original, referenced only by the catalogue row written after it).  The data sync then
        commits the file system's journal with the rename in it, so the folder sync finds
        little left to do (ext4, 2 MB file on this project's machine: folder fsync 0.7 ms
        instead of 3.8-4.1 ms, file fsync unchanged); a crash before the syncs end can leave
        an incomplete file under `path`, which no reader was pointed at (garbage for the
        owner's sweep, like a temp file).  Without it a crash leaves the old file or the new
        one at `path`, never part of it (what a path readers open directly needs)."""
        if path.parent != self.folder:
            raise ValueError(f"{path} is not in the staging folder {self.folder}")
        if rename_first and fsync:
            return self._commit_renamed_first(path, sync_folder=sync_folder)
        try:
            self._buffered().flush()
            if fsync:
                os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.path, path)
        except BaseException:
            self.discard()
            raise
        self.committed = path
        if fsync and sync_folder:
            fsync_folder(self.folder)
        return self.size

    def _commit_renamed_first(self, path: Path, *, sync_folder: bool) -> int:
        try:
            self._buffered().flush()
            os.replace(self.path, path)
        except BaseException:
            self.discard()
            raise
        self.committed = path
        try:
            os.fsync(self.file.fileno())
            self.file.close()
        except BaseException:
            try:
                self.file.close()
            except OSError:
                pass
            try:
                os.unlink(path)  # not durable: never reported as published
            except OSError:
                pass
            raise
        if sync_folder:
            fsync_folder(self.folder)
        return self.size

    def discard(self) -> None:
        """Close and remove the temp file (nothing published); no-op after `commit`."""
        try:
            self.file.close()
        except OSError:
            pass
        if self.committed is None:
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def close(self) -> None:
        """`discard` unless committed (a file object's `close`, for the owners of a body)."""
        self.discard()


def atomic_write(path: Path, fileobj: BinaryIO, *, fsync: bool = True, sync_folder: bool = True) -> int:
    """Copy `fileobj` (read in 1 MiB chunks) into `path` atomically; with `fsync` the data is on
    disk before the rename, and with `sync_folder` too the rename itself (an fsync of the folder).
    Returns the bytes written; raises OSError (the temp file is removed)."""
    staged = StagedFile(path.parent)
    try:
        while chunk := fileobj.read(_CHUNK):
            staged.write(chunk)
    except BaseException:
        staged.discard()
        raise
    return staged.commit(path, fsync=fsync, sync_folder=sync_folder)


def fsync_folder(folder: Path) -> None:
    """fsync a folder, so a rename in it is on disk (errors ignored: not every filesystem can)."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
