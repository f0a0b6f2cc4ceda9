"""The memory tier: an LRU bounded in bytes (cachetools)."""

from __future__ import annotations

import threading
from typing import Any, Callable, Generic, TypeVar

from cachetools import LRUCache

__all__ = ["MemoryStore", "weight"]

V = TypeVar("V")


def weight(value: Any) -> int:
    """Bytes a value weighs in the tier: its `nbytes` when it has one, else `len(value)`."""
    n = getattr(value, "nbytes", None)
    return len(value) if n is None else int(n)


class MemoryStore(Generic[V]):
    """Thread-safe LRU of `key -> value` holding values of at most `max_bytes` bytes in all.

    `size(value)` is a value's weight in bytes (default `weight`: `len` of a bytes value, the
    `nbytes` of an object that has one, as the decoded `DerivedAsset` objects the derived
    cache keeps, so a hit never parses a blob).  A
    value heavier than `max_bytes // 4` is not kept (one huge derivative must not flush the
    whole tier).  `max_bytes == 0` disables the tier (every `get` misses).
    """

    name = "memory"

    def __init__(self, max_bytes: int, size: Callable[[Any], int] | None = None) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self.size = size or weight
        self._lru: LRUCache[str, V] = LRUCache(maxsize=max(1, self.max_bytes), getsizeof=self.size)
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        """The value for `key` or None."""
        with self._lock:
            return self._lru.get(key)

    def put(self, key: str, value: V) -> None:
        """Store `value` (silently skipped when it is too large for the tier)."""
        if not self.max_bytes or self.size(value) > self.max_bytes // 4:
            return
        with self._lock:
            self._lru[key] = value

    def delete(self, key: str) -> bool:
        """Drop `key`; False when it was not held."""
        with self._lock:
            return self._lru.pop(key, None) is not None

    @property
    def current_bytes(self) -> int:
        """Bytes currently held."""
        return int(self._lru.currsize)

    def check(self) -> None:
        """Always usable."""
