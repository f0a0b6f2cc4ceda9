"""Atomic file writes for the disk tiers: a temp file in the target folder, optional fsync,
then `os.replace`, so a crash leaves the old file or the new one, never half of it (a killed
writer leaves only a `.tmp-*` file, which the owners sweep)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO

__all__ = ["TMP_PREFIX", "atomic_write", "fsync_folder"]

#: Name prefix of in-progress temp files (never a valid key: keys are hex or `.edge-originals/...`).
TMP_PREFIX = ".tmp-"
_CHUNK = 1 << 20


def atomic_write(path: Path, fileobj: BinaryIO, *, fsync: bool = True, sync_folder: bool = True) -> int:
    """Copy `fileobj` (read in 1 MiB chunks) into `path` atomically; with `fsync` the data is on
    disk before the rename, and with `sync_folder` too the rename itself (an fsync of the folder).
    Returns the bytes written; raises OSError (the temp file is removed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    n = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            while chunk := fileobj.read(_CHUNK):
                fh.write(chunk)
                n += len(chunk)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if fsync and sync_folder:
        fsync_folder(path.parent)
    return n


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
