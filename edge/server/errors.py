"""Exception -> (HTTP status, X-Cld-Error reason, Retry-After) for every failure the server
knows; anything else is a bug: 500 (and logged by the caller)."""

from __future__ import annotations

from edge.render.errors import RenderError
from edge.render.focus import FocusError
from edge.server.pool import Overloaded, PoolTimeout
from edge.storage.errors import StorageError
from edge.url.errors import UrlError

__all__ = ["classify"]


def classify(exc: BaseException) -> tuple[int, str, int | None]:
    """Map `exc` to `(status, reason, retry_after_seconds_or_None)`."""
    if isinstance(exc, UrlError):
        return 400, str(exc) or "Invalid URL", None
    if isinstance(exc, RenderError):  # RenderTimeout (503: killed at its deadline) may retry
        return int(exc.status), str(exc) or "Cannot render", (1 if exc.status == 503 else None)
    if isinstance(exc, FocusError):
        return 400, str(exc) or "Unknown gravity target", None
    if isinstance(exc, StorageError):
        return int(exc.status), str(exc) or "Storage error", (5 if exc.status == 503 else None)
    if isinstance(exc, Overloaded):
        return 503, "Server busy: render queue full", 1
    if isinstance(exc, PoolTimeout):
        return 503, "Render timed out", 5
    status = getattr(exc, "status", None)
    if isinstance(status, int) and 400 <= status < 500:
        return status, str(exc) or "Client error", None
    return 500, "Internal server error", None
