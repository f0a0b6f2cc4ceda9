"""Per-key rate limits of the Analyze API (upload-spec §5.1 `limits` block, 429 when exceeded).

A fixed window per API key: at most `limit` requests in each `window_s`-second window (the
window starts at the key's first request and resets `window_s` later).  Counted per worker
process (with `edge serve --workers N` a key may make up to N x limit requests per window).
`limit` 0 turns limiting off: `take` always allows and reports no items.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

__all__ = ["RateLimiter", "LimitState"]


@dataclass(frozen=True, slots=True)
class LimitState:
    """After one request: `allowed`, `limit` (requests per window), `remaining` (0..limit),
    `reset_at` (unix s when the window resets), `used` (requests counted for this one: 1, or 0
    when refused)."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    used: int

    def item(self, type_: str) -> dict[str, object]:
        """The §5.1 `limits.items[]` entry for limit `type_`."""
        return {"type": type_, "used_by_request": self.used, "remaining": self.remaining, "limit": self.limit,
                "reset_time": datetime.fromtimestamp(self.reset_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}

    def headers(self) -> dict[str, str]:
        """`X-FeatureRateLimit-*` headers (the Python SDK reads them into its Response)."""
        from email.utils import formatdate

        return {"X-FeatureRateLimit-Limit": str(self.limit), "X-FeatureRateLimit-Remaining": str(self.remaining),
                "X-FeatureRateLimit-Reset": formatdate(self.reset_at, usegmt=True)}


class RateLimiter:
    """Fixed-window request counter per key (see the module docs); thread-safe.
    `limit`: requests per window (0: off); `window_s`: seconds."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = max(0, int(limit))
        self.window_s = max(1.0, float(window_s))
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """True when a limit is configured."""
        return self.limit > 0

    def take(self, key: str, now: float | None = None) -> LimitState | None:
        """Count one request of `key`; None when limiting is off, else its `LimitState`
        (`allowed` False once the window's `limit` is used up)."""
        if not self.enabled:
            return None
        now = time.time() if now is None else now
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.window_s:
                start, count = now, 0
            allowed = count < self.limit
            if allowed:
                count += 1
            self._windows[key] = (start, count)
            if len(self._windows) > 10000:  # forget finished windows
                self._windows = {k: v for k, v in self._windows.items() if now - v[0] < self.window_s}
        return LimitState(allowed, self.limit, self.limit - count, start + self.window_s, 1 if allowed else 0)
