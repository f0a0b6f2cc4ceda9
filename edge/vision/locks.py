"""A table of per-key thread locks: one caller at a time per key, the entry dropped when idle.

Used for single-flight work in worker threads: the model registry (one session load per model)
and the detection path (one model run per detection-cache key, `edge.vision.detector`).  The
asyncio equivalent for the server is `edge.storage.SingleFlight`; vision runs in render's worker
threads, so it needs thread locks.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["KeyedLocks"]


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0  # threads holding or waiting for `lock`


class KeyedLocks:
    """``with locks.hold(key): ...`` runs the block while no other thread holds `key`.

    A key's lock exists only while some thread holds or waits for it, so the table never grows
    beyond the number of threads.  Not re-entrant: holding a key twice in one thread deadlocks."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, _Entry] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold `key`'s lock for the `with` block (waits while another thread holds it)."""
        with self._guard:
            entry = self._locks.get(key)
            if entry is None:
                entry = self._locks[key] = _Entry()
            entry.users += 1
        try:
            with entry.lock:
                yield
        finally:
            with self._guard:
                entry.users -= 1
                if entry.users == 0:
                    del self._locks[key]

    def __len__(self) -> int:
        """Keys held or waited for now."""
        return len(self._locks)
