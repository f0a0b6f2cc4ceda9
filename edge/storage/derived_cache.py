"""The derived-asset cache: a memory tier in front of an optional disk or S3 tier."""

from __future__ import annotations

import logging

from edge.storage.bytestore import ByteStore
from edge.storage.derived import DerivedAsset
from edge.storage.memory_store import MemoryStore

__all__ = ["DerivedCache"]

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
