"""The derived-asset cache: a memory tier in front of an optional disk or S3 tier."""

from __future__ import annotations

import logging

from edge.storage.bytestore import ByteStore
from edge.storage.derived import DerivedAsset
from edge.storage.disk_store import NOT_READY
from edge.storage.memory_store import MemoryStore

__all__ = ["DerivedCache", "NOT_READY"]

log = logging.getLogger("edge.storage")


class DerivedCache:
    """`get(key) -> (DerivedAsset, tier) | None` and `put(key, asset)` over two tiers.

    The memory tier keeps decoded `DerivedAsset` objects (a memory hit parses nothing and
    copies no bytes); the backing tier keeps `DerivedAsset.encode` blobs.  A hit in the
    backing tier is promoted to memory.  Backing-tier failures are logged and
    treated as misses / skipped writes: the cache never fails a request.  Blocking: call from
    a worker thread.
    """

    def __init__(self, memory: MemoryStore[DerivedAsset], backing: ByteStore | None = None) -> None:
        self.memory = memory
        self.backing = backing

    def get(self, key: str) -> tuple[DerivedAsset, str] | None:
        """The cached asset and the tier name it came from (`memory`, `disk`, `s3`), or None."""
        asset = self.get_memory(key)
        if asset is not None:
            return asset, self.memory.name
        if self.backing is None:
            return None
        try:
            blob = self.backing.get(key)
        except Exception:  # noqa: BLE001 - a broken tier is a miss
            log.exception("derived cache read failed in %s tier", self.backing.name)
            return None
        if blob is None:
            return None
        asset = DerivedAsset.decode(blob)
        if asset is None:
            return None
        self.memory.put(key, asset)
        return asset, self.backing.name

    def get_nowait(self, key: str) -> tuple[DerivedAsset, str] | None | object:
        """What `get` returns, when it can be had without blocking (safe on the event loop):
        the memory tier, then a backing tier's `get_nowait` when it has one (`DiskStore`: a
        small file already in the page cache; the hit is promoted to memory as `get` does).
        Returns `(asset, tier)`, None for a miss in every tier, or `NOT_READY` when the
        backing tier must be read with `get` in a worker thread (a tier without `get_nowait`,
        S3 or a plug-in; a file too large or not cached).  Never raises."""
        asset = self.memory.get(key)
        if asset is not None:
            return asset, self.memory.name
        backing = self.backing
        if backing is None:
            return None
        peek = getattr(backing, "get_nowait", None)
        if peek is None:
            return NOT_READY
        try:
            blob = peek(key)
        except Exception:  # noqa: BLE001 - a plug-in's own get_nowait: let `get` decide
            return NOT_READY
        if blob is None or blob is NOT_READY:
            return blob
        asset = DerivedAsset.decode(blob)
        if asset is None:
            return None  # as `get`: a malformed entry is a miss
        self.memory.put(key, asset)
        return asset, backing.name

    def get_memory(self, key: str) -> DerivedAsset | None:
        """Memory tier only (a dictionary look-up under a lock: cheap enough for the event loop)."""
        return self.memory.get(key)

    def put(self, key: str, asset: DerivedAsset) -> None:
        """Write through both tiers (backing errors are logged, not raised)."""
        self.put_memory(key, asset)
        if self.backing is not None:
            self.put_backing(key, asset.encode())

    def put_memory(self, key: str, asset: DerivedAsset) -> None:
        """Store in the memory tier only (`asset.encode()` is what `put_backing` takes)."""
        self.memory.put(key, asset)

    def put_backing(self, key: str, blob: bytes) -> None:
        """Store an encoded blob in the backing tier (errors logged, not raised)."""
        if self.backing is None:
            return
        try:
            self.backing.put(key, blob)
        except Exception:  # noqa: BLE001
            log.exception("derived cache write failed in %s tier", self.backing.name)

    def check(self) -> None:
        """Raise when the backing tier is unusable."""
        if self.backing is not None:
            self.backing.check()
