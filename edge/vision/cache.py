"""The detection cache: per (public_id, version, model), in memory and in a pluggable byte store.

Detections are stored normalised (`edge.vision.detection.Found`), so every rendition size of an
asset reuses them.  Tiers: a process-wide LRU (cachetools, `MEMORY_ENTRIES` entries) in front of
an optional byte store: any object with ``get(key: str) -> bytes | None`` and
``put(key: str, data: bytes)`` (the server passes its derived-asset cache store).  A store that
raises is logged and ignored: a broken cache never fails a render.

Each entry records the aspect ratio (width / height) of the image it was computed on; a lookup
for an image of another shape (a crop made by an earlier transformation component) is a miss,
and its results are not stored.  It also records `side`, the longer side in px of the pixels
the models saw (at most `edge.vision.prep.MAX_SIDE`): a lookup with a sharper image (`side`
more than `SHARPER` times the entry's) is a miss whose results replace the entry, so a
thumbnail analysed first (`w_100,e_pixelate_faces`) never degrades later, larger renditions.
An entry without `side` (older bytes) counts as analysed at full resolution.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Protocol

from cachetools import LRUCache

from edge.vision.detection import FORMAT, Found, decode, encode
from edge.vision.locks import KeyedLocks

__all__ = ["ByteStore", "DetectionCache", "CACHE", "cache_key", "ASPECT_TOLERANCE", "SHARPER"]

log = logging.getLogger(__name__)

MEMORY_ENTRIES = 4096
ASPECT_TOLERANCE = 0.01  # relative difference of width/height still considered the same image
SHARPER = 1.25  # a lookup `side` this many times the entry's recomputes (Edge's choice)


class ByteStore(Protocol):
    """What the detection cache needs from a store (e.g. `edge.storage.DiskStore`)."""

    def get(self, key: str) -> bytes | None:
        """The bytes stored under `key`, or None."""

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (replacing any previous bytes)."""


def cache_key(public_id: str, version: int | str | None, model: str, model_version: str) -> str:
    """Store key of one asset version's detections by one model, in the byte-store key
    alphabet (`[A-Za-z0-9._-]`): ``vision1-coco-v2-<sha256 hex of public_id NUL version>``."""
    digest = hashlib.sha256(f"{public_id}\0{version or 0}".encode()).hexdigest()
    return f"vision{FORMAT}-{model}-{model_version}-{digest}"


def _same_shape(a: float, b: float) -> bool:
    return abs(a - b) <= ASPECT_TOLERANCE * max(a, b)


class DetectionCache:
    """Memory LRU plus optional byte store, keyed by `cache_key`.  `flights` is the
    single-flight lock table of the detection path (`edge.vision.detector.detect_found`): one
    model run per key at a time, whoever waits reads the result from here."""

    def __init__(self, entries: int = MEMORY_ENTRIES) -> None:
        self._memory: LRUCache = LRUCache(maxsize=entries)
        self._lock = threading.Lock()
        self.flights = KeyedLocks()

    def get(self, key: str, aspect: float, store: ByteStore | None = None, *,
            side: int | None = None) -> tuple[list[Found] | None, bool]:
        """(detections or None, storable).  `storable` is False when an entry exists for a
        differently shaped image (do not overwrite it with results of a crop).  `side`: the
        longer side (px) the models would see now; an entry made from pixels `SHARPER` times
        smaller is a storable miss (None: any entry will do)."""
        with self._lock:
            hit = self._memory.get(key)
        if hit is None and store is not None:
            try:
                data = store.get(key)
            except Exception:  # noqa: BLE001 - a failing store must not fail the render
                log.warning("detection store get failed for %s", key, exc_info=True)
                data = None
            if data:
                hit = decode(data)
                if hit is not None:
                    with self._lock:
                        self._memory[key] = hit
        if hit is None:
            return None, True
        found, cached_aspect, cached_side = hit
        if not _same_shape(cached_aspect, aspect):
            return None, False
        if side is not None and cached_side is not None and side > SHARPER * cached_side:
            return None, True
        return found, True

    def put(self, key: str, found: list[Found], aspect: float, store: ByteStore | None = None, *,
            side: int | None = None) -> None:
        """Remember `found` (computed on an image of `aspect` = width / height, the models
        seeing `side` px on the longer side when given) in memory and, when given, in `store`."""
        with self._lock:
            self._memory[key] = (found, aspect, side)
        if store is not None:
            try:
                store.put(key, encode(found, aspect, side))
            except Exception:  # noqa: BLE001
                log.warning("detection store put failed for %s", key, exc_info=True)

    def clear(self) -> None:
        """Forget every in-memory entry (tests, benchmarks)."""
        with self._lock:
            self._memory.clear()


CACHE = DetectionCache()
"""The process-wide detection cache."""
