"""Single-flight: concurrent callers asking for the same key share one computation (asyncio)."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Generic, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """`await sf.run(key, fn)` runs `fn()` once per key at a time; callers arriving while it
    runs await the same result (or the same exception).  The computation runs as its own task,
    so a caller that is cancelled (client gone) neither cancels it nor fails the others.  The
    entry is dropped when it settles, so a later call computes afresh (the cache in front holds
    results).  One instance per event loop; `shared` counts callers that joined an existing
    flight (for tests/metrics).
    """

    def __init__(self) -> None:
        self._flights: dict[str, asyncio.Future[T]] = {}
        self.shared = 0

    async def run(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        """Result of the one in-flight `fn()` for `key`."""
        task = self._flights.get(key)
        if task is None:
            task = asyncio.ensure_future(fn())
            self._flights[key] = task
            task.add_done_callback(lambda t: self._settled(key, t))
        else:
            self.shared += 1
        return await asyncio.shield(task)

    def _settled(self, key: str, task: "asyncio.Future[T]") -> None:
        if self._flights.get(key) is task:
            del self._flights[key]
        if not task.cancelled():
            task.exception()  # mark retrieved: every waiter may have gone

    def __len__(self) -> int:
        return len(self._flights)

    def __repr__(self) -> str:  # pragma: no cover
        return f"SingleFlight(in_flight={len(self._flights)})"
