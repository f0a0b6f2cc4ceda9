"""The memory tier: an LRU bounded in bytes (cachetools)."""

from __future__ import annotations

import threading

from cachetools import LRUCache

__all__ = ["MemoryStore"]


class MemoryStore:
    """Thread-safe LRU of `key -> bytes` holding at most `max_bytes` bytes of values.

    A value larger than `max_bytes // 4` is not kept (one huge derivative must not flush the
    whole tier).  `max_bytes == 0` disables the tier (every `get` misses).
    """

    name = "memory"

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._lru: LRUCache[str, bytes] = LRUCache(maxsize=max(1, self.max_bytes), getsizeof=len)
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """The value for `key` or None."""
        with self._lock:
            return self._lru.get(key)

    def put(self, key: str, data: bytes) -> None:
        """Store `data` (silently skipped when it is too large for the tier)."""
        if not self.max_bytes or len(data) > self.max_bytes // 4:
            return
        with self._lock:
            self._lru[key] = data

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
