"""Prometheus metrics of one Edge process (prometheus-client, text format at `/metrics`).

Each app owns its own `CollectorRegistry`, so several apps (tests) never clash.  With several
uvicorn workers, `edge serve` points `PROMETHEUS_MULTIPROC_DIR` at a fresh directory before the
workers start: prometheus-client then keeps every value in a per-process file there and
`/metrics`, whichever worker answers, reports the sum over all workers (prometheus-client's
multiprocess mode, https://prometheus.github.io/client_python/multiprocess/).  Counters and
histograms of exited workers stay in the sums; the two gauges count live workers only, except
that a worker killed without a clean shutdown keeps its last gauge values until `edge serve`
restarts (which starts from an empty directory).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

__all__ = ["Metrics", "CONTENT_TYPE_LATEST", "MULTIPROC_ENV"]

#: The variable prometheus-client reads (at import) to switch to multiprocess mode.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Render time buckets, seconds (one photo renders in ~30-200 ms on one core).
RENDER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class Metrics:
    """The collectors:

    * `edge_requests_total{status}`: answered requests by HTTP status.
    * `edge_render_seconds`: histogram of render durations (worker thread time), s.
    * `edge_cache_requests_total{tier}`: derived-cache lookups by outcome tier
      (`memory`, `disk`, `s3`, `miss`, `coalesced`).
    * `edge_renders_in_flight`: renders running in the pools (summed over live workers).
    * `edge_render_queue_depth`: renders waiting for a pool thread (summed over live workers).
    * `edge_render_rejected_total{reason}`: renders refused (`overload`, `timeout`).

    `multiproc_dir` is `$PROMETHEUS_MULTIPROC_DIR` (None when unset), the same variable that
    put prometheus-client in multiprocess mode when it was imported.
    """

    def __init__(self) -> None:
        self.multiproc_dir = os.environ.get(MULTIPROC_ENV) or None
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("edge_requests", "HTTP requests answered, by status", ["status"], registry=r)
        self.render_seconds = Histogram("edge_render_seconds", "Render duration in seconds",
                                        buckets=RENDER_BUCKETS, registry=r)
        self.cache = Counter("edge_cache_requests", "Derived cache lookups by tier (miss = rendered)",
                             ["tier"], registry=r)
        self.in_flight = Gauge("edge_renders_in_flight", "Renders running", registry=r,
                               multiprocess_mode="livesum")
        self.queue_depth = Gauge("edge_render_queue_depth", "Renders waiting for a thread", registry=r,
                                 multiprocess_mode="livesum")
        self.rejected = Counter("edge_render_rejected", "Renders refused", ["reason"], registry=r)

    def render_text(self) -> bytes:
        """The Prometheus text exposition: this registry, or in multiprocess mode the sum over
        every worker's files (counters of exited workers included, gauges of live ones)."""
        if self.multiproc_dir is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=self.multiproc_dir)
        return generate_latest(merged)

    def close(self) -> None:
        """At worker exit: drop this process's live gauges from the multiprocess sums."""
        if self.multiproc_dir is not None:
            mark_process_dead(os.getpid(), self.multiproc_dir)
