"""Per-worker memory settings, applied when a worker builds its app (before its thread pools
start): libvips' operation cache and glibc's malloc arenas.

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
Measured by `python bench/serve.py --rss` (figures in the README's memory budget).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

__all__ = ["configure_libvips", "limit_malloc_arenas", "VIPS_CACHE_MAX_MEM"]

log = logging.getLogger("edge.server")

#: Memory bound of the operation cache when `vips_cache_ops` > 0, bytes (libvips' default).
VIPS_CACHE_MAX_MEM = 100 * 1024 * 1024
#: glibc's mallopt parameter number of M_ARENA_MAX (malloc.h).
_M_ARENA_MAX = -8


def configure_libvips(cache_ops: int = 0) -> None:
    """Bound libvips' operation cache of this process: `cache_ops` operations (0: off; then
    also no cached memory and no cached open files), at most `VIPS_CACHE_MAX_MEM` bytes and
    `cache_ops` open files.  Imports pyvips (loads libvips)."""
    import pyvips

    pyvips.cache_set_max(cache_ops)
    pyvips.cache_set_max_mem(VIPS_CACHE_MAX_MEM if cache_ops else 0)
    pyvips.cache_set_max_files(cache_ops)


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas of this process at `arenas` (0: leave glibc's default).
    Returns True when applied; False (logged) on a libc without `mallopt` (musl, macOS)."""
    if arenas <= 0:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        ok = False
    if not ok:
        log.info("cannot cap malloc arenas on this libc (mallopt unavailable)")
    return ok
