"""Prometheus metrics of one Edge process (prometheus-client, text format at `/metrics`).

Each app owns its own `CollectorRegistry`, so several apps (tests) never clash.  With several
uvicorn workers each worker reports its own numbers (scrape per process or aggregate upstream).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["Metrics", "CONTENT_TYPE_LATEST"]

#: Render time buckets, seconds (one photo renders in ~30-200 ms on one core).
RENDER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class Metrics:
    """The collectors:

    * `edge_requests_total{status}`: answered requests by HTTP status.
    * `edge_render_seconds`: histogram of render durations (worker thread time), s.
    * `edge_cache_requests_total{tier}`: derived-cache lookups by outcome tier
      (`memory`, `disk`, `s3`, `miss`).
    * `edge_renders_in_flight`: renders running in the pool.
    * `edge_render_queue_depth`: renders waiting for a pool thread.
    * `edge_render_rejected_total{reason}`: renders refused (`overload`, `timeout`).
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("edge_requests", "HTTP requests answered, by status", ["status"], registry=r)
        self.render_seconds = Histogram("edge_render_seconds", "Render duration in seconds",
                                        buckets=RENDER_BUCKETS, registry=r)
        self.cache = Counter("edge_cache_requests", "Derived cache lookups by tier (miss = rendered)",
                             ["tier"], registry=r)
        self.in_flight = Gauge("edge_renders_in_flight", "Renders running", registry=r)
        self.queue_depth = Gauge("edge_render_queue_depth", "Renders waiting for a thread", registry=r)
        self.rejected = Counter("edge_render_rejected", "Renders refused", ["reason"], registry=r)

    def render_text(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)
