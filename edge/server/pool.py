"""A bounded render pool: a fixed number of threads plus a bounded wait queue.

libvips releases the GIL while it works, so threads give real parallelism for pixel work.
When `threads + queue` renders are already admitted, new ones are refused at once
(`Overloaded` -> 503 + Retry-After) instead of piling up latency; each admitted render has a
deadline (`PoolTimeout` -> 503).  A timed-out render keeps its thread until libvips returns
(threads cannot be killed), and it still counts against the bound until then.

Render threads get an explicit stack size (`stack_bytes`, see `edge.render.cost.stack_bytes`):
libvips evaluates a lazy pipeline recursively in the calling thread, so the deepest chain the
URL limits allow must fit (300 chained `e_blur` overflowed the default 8 MiB stack: SIGSEGV).
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

from edge.server.metrics import Metrics

__all__ = ["RenderPool", "Overloaded", "PoolTimeout", "StackedExecutor", "DEFAULT_STACK"]

T = TypeVar("T")
#: render-thread stack when none is given, bytes (`edge.render.cost.MIN_STACK`: covers the
#: default URL limits).
DEFAULT_STACK = 16 * 1024 * 1024
_STACK_LOCK = threading.Lock()


class StackedExecutor(ThreadPoolExecutor):
    """A ThreadPoolExecutor whose threads have a stack of `stack_bytes` (threading.stack_size
    is process-wide, so it is set only while this executor starts a thread, under a lock).
    `stack_bytes` may be raised until the first task is submitted (threads start lazily)."""

    def __init__(self, max_workers: int, *, stack_bytes: int = DEFAULT_STACK, thread_name_prefix: str = "") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self.stack_bytes = stack_bytes

    def _adjust_thread_count(self) -> None:  # ThreadPoolExecutor's hook that starts threads
        with _STACK_LOCK:
            previous = threading.stack_size(self.stack_bytes)
            try:
                super()._adjust_thread_count()  # type: ignore[misc]
            finally:
                threading.stack_size(previous)


class Overloaded(Exception):
    """The pool and its queue are full."""


class PoolTimeout(Exception):
    """A render admitted to the pool did not finish within `timeout_s` of its admission
    (queue wait included).  Distinct from `edge.render.RenderTimeout`, which render raises
    when it kills its own pipeline at the render deadline."""


class RenderPool:
    """`await pool.run(fn, *args)` runs `fn(*args)` on one of `threads` threads.

    * `threads`: renders at once (size to the cores of this worker).
    * `queue`: admitted renders allowed to wait for a thread.
    * `timeout_s`: deadline of one render, counted from admission, s.
    * `stack_bytes`: stack of each render thread, bytes (raise it with `require_stack` before
      the first render).
    Metrics: in-flight and queue-depth gauges, render seconds histogram, rejections.
    """

    def __init__(self, threads: int, queue: int, timeout_s: float, metrics: Metrics, *,
                 stack_bytes: int = DEFAULT_STACK) -> None:
        self.threads = max(1, threads)
        self.limit = self.threads + max(0, queue)
        self.timeout_s = timeout_s
        self.metrics = metrics
        self._executor = StackedExecutor(self.threads, stack_bytes=stack_bytes, thread_name_prefix="edge-render")
        self._admitted = 0
        self._running = 0

    @property
    def stack_bytes(self) -> int:
        """Stack of each render thread, bytes."""
        return self._executor.stack_bytes

    def require_stack(self, nbytes: int) -> None:
        """Make render threads at least `nbytes` deep.  Raises RuntimeError once a render thread
        has started (its stack can no longer change)."""
        if nbytes <= self._executor.stack_bytes:
            return
        if self._executor._threads:  # type: ignore[attr-defined]
            raise RuntimeError("render threads already started: set the stack size before the first render")
        self._executor.stack_bytes = nbytes

    @property
    def admitted(self) -> int:
        """Renders admitted and not yet finished (running + waiting)."""
        return self._admitted

    def _update_gauges(self) -> None:
        self.metrics.in_flight.set(self._running)
        self.metrics.queue_depth.set(max(0, self._admitted - self._running))

    def reserve(self) -> "Reservation":
        """Take a slot now (raises Overloaded when full), before the original is loaded, so a
        flood of distinct misses cannot pile up sources in memory.  Use as a context manager:
        the slot is handed to `run(..., reservation=r)` or released on exit."""
        if self._admitted >= self.limit:
            self.metrics.rejected.labels("overload").inc()
            raise Overloaded()
        self._admitted += 1
        self._update_gauges()
        return Reservation(self)

    async def run(self, fn: Callable[..., T], *args: object, reservation: "Reservation | None" = None) -> T:
        """Run `fn(*args)` in the pool; raises Overloaded, PoolTimeout or what `fn` raises.
        With `reservation` the slot taken by `reserve()` is used instead of a new one."""
        if reservation is None:
            reservation = self.reserve()
        reservation.used = True
        loop = asyncio.get_running_loop()

        def job() -> T:
            loop.call_soon_threadsafe(self._started)
            t0 = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.metrics.render_seconds.observe(time.perf_counter() - t0)

        fut = loop.run_in_executor(self._executor, job)
        fut.add_done_callback(self._finished)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), self.timeout_s)
        except asyncio.TimeoutError:
            self.metrics.rejected.labels("timeout").inc()
            fut.add_done_callback(_consume)
            raise PoolTimeout() from None

    def _started(self) -> None:
        self._running += 1
        self._update_gauges()

    def _finished(self, _fut: object) -> None:
        self._running = max(0, self._running - 1)
        self._release()

    def _release(self) -> None:
        self._admitted -= 1
        self._update_gauges()

    def shutdown(self) -> None:
        """Stop accepting work; running renders finish in the background."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class Reservation:
    """A pool slot taken by `RenderPool.reserve()`; released on exit unless a render used it."""

    def __init__(self, pool: RenderPool) -> None:
        self.pool = pool
        self.used = False

    def __enter__(self) -> "Reservation":
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.used:
            self.used = True
            self.pool._release()


def _consume(fut: "asyncio.Future[object]") -> None:
    if not fut.cancelled():
        fut.exception()
