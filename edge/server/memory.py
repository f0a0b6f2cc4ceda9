"""Per-worker memory and thread settings, applied when a worker builds its app (before its
thread pools start): libvips' operation cache and threads per pipeline, glibc's malloc arenas,
and the idle trim of freed render memory.

* libvips keeps an operation cache per process (by default up to 100 operations, 100 MB and
  100 open files: https://www.libvips.org/API/current/VipsOperation.html#vips-cache-set-max).
  It pays off when one process re-runs identical operations on identical images; Edge caches
  finished derived images itself (memory, disk, S3 tiers), so for Edge it mostly retains pixel
  buffers and source files.  Like imgproxy (`vips_cache_set_max(0)`, `..._max_mem(0)`,
  `..._max_files(0)` at start) Edge turns it off unless `vips_cache_ops` asks for some.
* glibc gives each thread that allocates concurrently its own arena (up to 8 x cores), and
  freed image buffers stay mapped in them: with 2 render and 16 I/O threads a worker grew to
  ~400 MB after a cold run.  `mallopt(M_ARENA_MAX, n)` (the MALLOC_ARENA_MAX variable, set at
  run time for arenas made afterwards; https://www.gnu.org/software/libc/manual/html_node/Memory-Allocation-Tunables.html)
  caps them; imgproxy's documentation gives the same advice (MALLOC_ARENA_MAX=2 or jemalloc).
* glibc keeps freed chunks in its arenas.  By default it serves a block of at least
  M_MMAP_THRESHOLD bytes with its own mmap (returned on free) but raises that threshold to
  the size of every such block freed (up to 32 MiB, "dynamic mmap threshold", mallopt(3)), so
  after the first render the ~20 MB of decoder buffers of a progressive JPEG, the source
  bytes and the encoder buffers all come from the arenas, which fragment: two workers held
  ~450 MB after the cold run of `bench/peers.py`, 75 % of it free chunks (mallinfo2).
  `IdleTrimmer` hands those pages back (`malloc_trim(0)`) once no render has run for a
  couple of seconds.  A fixed threshold (`set_mmap_threshold`, the `malloc_mmap_threshold_kb`
  setting; MALLOC_MMAP_THRESHOLD_ does the same) bounds memory under load too, but with 1 MiB
  it cost 18 % more CPU per render (page faults of fresh pages on every render), so it is off
  by default.
* CPython's cyclic garbage collector walks every tracked object of the generations it
  collects; a worker starts with ~110,000 of them (Starlette, SQLAlchemy, onnxruntime, the
  pyvips bindings), and one full collection of that heap took 60-140 ms of wall time in a
  worker (gc callbacks, issue 16), a stall of every request on its event loop whenever
  traffic makes the collector run one.  `freeze_startup_objects` moves everything alive at
  startup to the permanent generation (`gc.freeze`,
  https://docs.python.org/3/library/gc.html#gc.freeze): later collections scan only what
  was made since (~3,000 objects in a worker serving cached answers), and cycles made later
  are still collected.
Measured by `python bench/serve.py --rss` and `bench/soak.py` (figures in the README).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import gc
import logging
import os
from concurrent.futures import Executor
from typing import Callable

__all__ = [
    "VIPS_THREADS", "VIPS_CACHE_MAX_MEM", "configure_libvips", "limit_malloc_arenas", "set_mmap_threshold",
    "malloc_stats", "trim_heap", "IdleTrimmer", "freeze_startup_objects",
]

log = logging.getLogger("edge.server")

#: Memory bound of the operation cache when `vips_cache_ops` > 0, bytes (libvips' default).
VIPS_CACHE_MAX_MEM = 100 * 1024 * 1024
#: libvips worker threads per pipeline: renders run in parallel on the render threads (one per
#: core), so more threads per pipeline only oversubscribe the cores (`edge serve` and the
#: Dockerfile also set VIPS_CONCURRENCY=1; the app sets it for any other launcher).
VIPS_THREADS = 1
#: glibc's mallopt parameter numbers of M_ARENA_MAX and M_MMAP_THRESHOLD (malloc.h).
_M_ARENA_MAX = -8
_M_MMAP_THRESHOLD = -3
#: Largest M_MMAP_THRESHOLD glibc accepts on 64-bit (HEAP_MAX_SIZE / 2), bytes.
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024


def configure_libvips(cache_ops: int = 0) -> None:
    """Bound libvips' operation cache of this process: `cache_ops` operations (0: off; then
    also no cached memory and no cached open files), at most `VIPS_CACHE_MAX_MEM` bytes and
    `cache_ops` open files; and, unless the VIPS_CONCURRENCY variable says otherwise, one
    libvips worker thread per pipeline (`VIPS_THREADS`).  Imports pyvips (loads libvips)."""
    import pyvips

    if not os.environ.get("VIPS_CONCURRENCY"):
        pyvips.concurrency_set(VIPS_THREADS)
    pyvips.cache_set_max(cache_ops)
    pyvips.cache_set_max_mem(VIPS_CACHE_MAX_MEM if cache_ops else 0)
    pyvips.cache_set_max_files(cache_ops)


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def _mallopt(param: int, value: int, what: str) -> bool:
    try:
        ok = bool(_libc().mallopt(param, value))
    except (OSError, AttributeError):
        ok = False
    if not ok:
        log.info("cannot set %s on this libc (mallopt unavailable or value refused)", what)
    return ok


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas of this process at `arenas` (0: leave glibc's default).
    Returns True when applied; False (logged) on a libc without `mallopt` (musl, macOS)."""
    if arenas <= 0:
        return False
    return _mallopt(_M_ARENA_MAX, arenas, "the malloc arena cap")


def set_mmap_threshold(nbytes: int) -> bool:
    """Serve every allocation of at least `nbytes` with its own mmap (returned to the kernel
    on free) and turn glibc's dynamic raise of that threshold off (0: leave glibc's dynamic
    threshold).  `nbytes` is clamped to 0 < n <= `MMAP_THRESHOLD_MAX`.  Returns True when
    applied; False (logged) on a libc without `mallopt`."""
    if nbytes <= 0:
        return False
    return _mallopt(_M_MMAP_THRESHOLD, min(nbytes, MMAP_THRESHOLD_MAX), "the mmap threshold")


class _MallInfo2(ctypes.Structure):
    """glibc's `struct mallinfo2` (malloc.h, glibc >= 2.33); every field in bytes or counts."""

    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def freeze_startup_objects() -> int:
    """Collect once, then move every object alive now to the permanent generation
    (`gc.freeze`), so later collections scan only what requests create; returns the number of
    objects frozen.  Called once per worker when its app has started."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def malloc_stats() -> dict[str, int] | None:
    """glibc's allocator totals of this process (`mallinfo2`), bytes: `arena` (held in
    arenas), `in_use` (allocated from them), `free` (free chunks kept in them) and `mmapped`
    (blocks served by their own mmap).  None on a libc without `mallinfo2` (glibc < 2.33,
    musl, macOS)."""
    try:
        fn = _libc().mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2
    info = fn()
    return {"arena": info.arena, "in_use": info.uordblks, "free": info.fordblks, "mmapped": info.hblkhd}


def trim_heap() -> bool:
    """Hand the free pages of every malloc arena back to the kernel (glibc `malloc_trim(0)`;
    the chunks stay free in the arenas, their pages are dropped).  Costs ~1 ms per 2 MB of free
    memory on the development machine.  Returns False on a libc without `malloc_trim`."""
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


class IdleTrimmer:
    """Returns memory freed by renders to the kernel once the worker is idle.

    glibc keeps freed chunks in its arenas for reuse; a render of a progressive 12 MP JPEG
    needs ~20 MB of decoder buffers, and fragmentation keeps several times that resident
    after a burst (`bench/peers.py`: ~240 MB per worker after its cold run, 75 % free chunks).
    Serving such buffers with mmap instead (a fixed M_MMAP_THRESHOLD of 1 MiB) dropped that to
    ~130 MB but cost 18 % more CPU per render (page faults of fresh pages on every render), so
    Edge keeps glibc's reuse while renders run and trims when none has run for a while.

    `busy()` tells whether renders are admitted now; every `interval_s` seconds `run()` looks
    (`malloc_stats`, microseconds) and, when no render was admitted at this look and the one
    before, something was allocated or freed since the last trim and at least
    `min_free_bytes` are free in the arenas, runs `trim_heap` on `executor` (a thread: a trim
    of 150 MB free takes ~75 ms).  Does nothing on a libc without `mallinfo2`."""

    def __init__(self, busy: Callable[[], bool], executor: Executor | None = None, *,
                 interval_s: float = 2.0, min_free_bytes: int = 16 * 1024 * 1024) -> None:
        self.busy = busy
        self.executor = executor
        self.interval_s = interval_s
        self.min_free_bytes = min_free_bytes
        self.trims = 0
        self._last: tuple[int, int] | None = None
        self._idle_looks = 0

    def should_trim(self) -> bool:
        """Whether a trim is due now (idle at this look and the previous one, activity since
        the last trim, enough free)."""
        if self.busy():
            self._idle_looks = 0
            return False
        self._idle_looks += 1
        if self._idle_looks < 2:
            return False
        stats = malloc_stats()
        if stats is None or stats["free"] < self.min_free_bytes:
            return False
        return (stats["arena"], stats["free"]) != self._last

    async def trim_if_due(self) -> bool:
        """Trim now when `should_trim()`; returns whether it did."""
        if not self.should_trim():
            return False
        await asyncio.get_running_loop().run_in_executor(self.executor, trim_heap)
        stats = malloc_stats()
        self._last = (stats["arena"], stats["free"]) if stats else None
        self.trims += 1
        return True

    async def run(self) -> None:
        """Poll until cancelled (the server lifespan starts and cancels it)."""
        if malloc_stats() is None:
            return
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.trim_if_due()
            except Exception:  # noqa: BLE001 - housekeeping must never stop the worker
                log.warning("malloc trim failed", exc_info=True)
