"""A per-render time budget that stops libvips work when it runs out.

The server answers 503 when a render exceeds its timeout; without this the render thread
would go on computing until libvips finished, holding a pool slot.  `render(..., deadline=t)`
opens `budget(t)` for the calling thread; every place that makes libvips compute pixels
(decode to memory, effects that materialise, `q_auto` samples, the final encode) passes its
image through `guard(image)`, which registers it with a watchdog thread: once the deadline is
past, the watchdog sets libvips' kill flag on the registered images (`vips_image_set_kill`,
pyvips `Image.set_kill`; libvips checks it while it prepares regions and stops the
computation with an error).  Between pipeline steps `check()` stops Python work.

No libvips signal calls back into Python: an earlier version connected the `eval` progress
signal, whose handler libvips also fires for every image computed downstream of the guarded
one (progress is inherited through the pipeline) and for cached operations reused later, after
the Python wrapper holding the handler was gone; that aborted the process ("ffi.from_handle()
... points to garbage", reproduced with `e_dropshadow` repeated on an opaque photo, where the
image returned unchanged was already in memory).  The guarded images are kept referenced until
the budget closes, and their kill flag is cleared then.

Times are `time.monotonic()` seconds.  A killed render raises `RenderTimeout` (HTTP 503).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

from .errors import RenderError

__all__ = ["RenderTimeout", "budget", "guard", "check", "expired", "WATCH_INTERVAL_S"]

#: how often the watchdog looks at the open budgets, s
WATCH_INTERVAL_S = 0.05

_local = threading.local()
_lock = threading.Lock()
#: open budgets: token -> (deadline, guarded images of that budget)
_open: dict[int, tuple[float, list[Any]]] = {}
_watchdog: threading.Thread | None = None


class RenderTimeout(RenderError):
    """The render ran past its deadline and was stopped (HTTP 503, retry later)."""

    status = 503


def _watch() -> None:
    while True:
        time.sleep(WATCH_INTERVAL_S)
        now = time.monotonic()
        with _lock:
            late = [images[:] for deadline, images in _open.values() if now > deadline]
        for images in late:
            for image in images:
                image.set_kill(True)  # libvips clears it when it stops: set it again each tick


def _start_watchdog() -> None:
    global _watchdog
    with _lock:
        if _watchdog is None or not _watchdog.is_alive():
            _watchdog = threading.Thread(target=_watch, name="edge-render-deadline", daemon=True)
            _watchdog.start()


@contextmanager
def budget(deadline: float | None) -> Iterator[None]:
    """Set this thread's deadline (monotonic seconds; None = no limit) for the block."""
    previous = getattr(_local, "deadline", None), getattr(_local, "guarded", None)
    images: list[Any] = []
    _local.deadline, _local.guarded = deadline, images
    token = id(images)
    if deadline is not None:
        _start_watchdog()
        with _lock:
            _open[token] = (deadline, images)
    try:
        yield
    finally:
        with _lock:
            _open.pop(token, None)
        for image in images:
            image.set_kill(False)
        _local.deadline, _local.guarded = previous


def expired() -> bool:
    """True when this thread has a deadline and it is past."""
    deadline = getattr(_local, "deadline", None)
    return deadline is not None and time.monotonic() > deadline


def check() -> None:
    """Raise RenderTimeout when this thread's deadline is past."""
    if expired():
        raise RenderTimeout("Render timed out")


def guard(image: Any) -> Any:
    """`image` (a pyvips.Image about to be computed), registered so that computing it stops
    once this thread's deadline is past (libvips then raises pyvips.Error, which
    `edge.render.engine` turns into RenderTimeout); unchanged without a deadline.  Returns
    `image` itself."""
    images = getattr(_local, "guarded", None)
    if getattr(_local, "deadline", None) is None or images is None:
        return image
    with _lock:
        images.append(image)
    return image
