"""A per-render time budget that stops libvips work when it runs out.

The server answers 503 when a render exceeds its timeout; without this the render thread
would go on computing until libvips finished, holding a pool slot.  `render(..., deadline=t)`
opens `budget(t)` for the calling thread; every place that makes libvips compute pixels
(decode to memory, effects that materialise, `q_auto` samples, the final encode) passes its
image through `guard(image)`, which connects libvips' `eval` progress signal and kills the
computation once the deadline is past (pyvips `Image.set_progress` / `set_kill`, see the
libvips docs on progress feedback).  Between pipeline steps `check()` stops Python work.

Times are `time.monotonic()` seconds.  A killed render raises `RenderTimeout` (HTTP 503).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

from .errors import RenderError

__all__ = ["RenderTimeout", "budget", "guard", "check", "expired"]

_local = threading.local()


class RenderTimeout(RenderError):
    """The render ran past its deadline and was stopped (HTTP 503, retry later)."""

    status = 503


@contextmanager
def budget(deadline: float | None) -> Iterator[None]:
    """Set this thread's deadline (monotonic seconds; None = no limit) for the block."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = previous


def expired() -> bool:
    """True when this thread has a deadline and it is past."""
    deadline = getattr(_local, "deadline", None)
    return deadline is not None and time.monotonic() > deadline


def check() -> None:
    """Raise RenderTimeout when this thread's deadline is past."""
    if expired():
        raise RenderTimeout("Render timed out")


def guard(image: Any) -> Any:
    """`image` (a pyvips.Image about to be computed) set to stop computing once this thread's
    deadline is past; unchanged when there is no deadline.  libvips then raises pyvips.Error,
    which `edge.render.engine` turns into RenderTimeout."""
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return image

    def on_eval(img: Any, _progress: Any) -> None:
        if time.monotonic() > deadline:
            img.set_kill(True)

    image.set_progress(True)
    image.signal_connect("eval", on_eval)
    return image
