"""Prometheus metrics of one Edge process (prometheus-client, text format at `/metrics`).

Each app owns its own `CollectorRegistry`, so several apps (tests) never clash.  With several
uvicorn workers, `edge serve` points `PROMETHEUS_MULTIPROC_DIR` at a fresh directory before the
workers start: prometheus-client then keeps every value in a per-process file there and
`/metrics`, whichever worker answers, reports the sum over all workers (prometheus-client's
multiprocess mode, https://prometheus.github.io/client_python/multiprocess/).  Counters and
histograms of exited workers stay in the sums; the gauges count live workers only, except
that a worker killed without a clean shutdown keeps its last gauge values until `edge serve`
restarts (which starts from an empty directory).

The set follows imgproxy's (https://docs.imgproxy.net/monitoring/prometheus): request
duration, per-stage durations, errors by type, plus bytes sent, model inference time,
process figures and build info.  Health probes (`/healthz`, `/readyz`, `/metrics`) are not
traffic: `TrafficMetrics` leaves them out of every request metric.
"""

from __future__ import annotations

import gc
import logging
import os
import platform
import re
import time
from importlib import metadata
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.server.responses import error_response

__all__ = ["Metrics", "TrafficMetrics", "CONTENT_TYPE_LATEST", "MULTIPROC_ENV", "PROBES", "route_of",
           "reason_class"]

log = logging.getLogger("edge.server")

#: The variable prometheus-client reads (at import) to switch to multiprocess mode.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Render time buckets, seconds (one photo renders in ~30-200 ms on one core).
RENDER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
#: End-to-end request buckets, seconds (memory hits ~1 ms, cold renders 50 ms-30 s).
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Origin load buckets, seconds (disk ~1 ms, S3/fetch 10 ms-s).
LOAD_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Model inference buckets, seconds (the CNNs take ~10-300 ms on one core).
#: Buckets of `edge_gc_pause_seconds` (a young collection takes ~0.05-0.5 ms; issue 16's p99).
GC_BUCKETS = (0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25)
INFERENCE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.0, 5.0)

#: Paths of the health probes and the scrape: not traffic.
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
#: Seconds between refreshes of the process gauges (on traffic and at each scrape).
PROCESS_REFRESH_S = 2.0

_LOAD = re.compile(r"(?:^|,)\s*load;dur=([0-9.]+)")


def route_of(path: str) -> str | None:
    """The `route` label of a request path: `api` (`/v1_1/...`, Upload and Admin API),
    `analyze` (`/v2/...`), None for the probes, else `delivery`."""
    if path in PROBES:
        return None
    if path.startswith("/v1_1/"):
        return "api"
    if path.startswith("/v2/"):
        return "analyze"
    return "delivery"


def reason_class(status: int, reason: str | None) -> str | None:
    """The `reason` label of `edge_errors_total` for an answer (None when it is no error):
    bad_request 400, unauthorized 401, forbidden 403, not_found 404, too_large 413,
    rate_limited 420/429, client other 4xx, internal 500, overload / timeout /
    unavailable for 503 (by its `X-Cld-Error`), server other 5xx."""
    if status < 400:
        return None
    fixed = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
             413: "too_large", 420: "rate_limited", 429: "rate_limited", 500: "internal"}
    if status in fixed:
        return fixed[status]
    if status == 503:
        text = (reason or "").lower()
        if "busy" in text or "queue" in text:
            return "overload"
        if "timed out" in text or "timeout" in text:
            return "timeout"
        return "unavailable"
    return "client" if status < 500 else "server"


def _build_labels() -> dict[str, str]:
    try:
        version = metadata.version("edge-cdn")
    except metadata.PackageNotFoundError:  # pragma: no cover - not installed
        version = "unknown"
    try:
        import pyvips

        vips = f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"
    except Exception:  # noqa: BLE001 - libvips missing: still report the rest
        vips = "unknown"
    return {"version": version, "python": platform.python_version(), "libvips": vips}


class Metrics:
    """The collectors:

    * `edge_requests_total{status}`: answered requests by HTTP status (probes excluded).
    * `edge_http_request_duration_seconds{route,status_class}`: arrival to last body byte, s
      (`route`: delivery | api | analyze, see `route_of`; `status_class`: 2xx..5xx).
    * `edge_sent_bytes_total{route}`: response body bytes sent.
    * `edge_errors_total{route,reason}`: error answers by reason class (`reason_class`).
    * `edge_render_seconds`: histogram of render durations (worker thread time), s.
    * `edge_origin_load_seconds`: loading an original on a cache miss (origin or fetch), s.
    * `edge_model_inference_seconds{model}`: one onnxruntime run of a vision model, s.
    * `edge_cache_requests_total{tier}`: derived-cache lookups by outcome tier
      (`memory`, `disk`, `s3`, `miss`, `coalesced`).
    * `edge_renders_in_flight`: renders running in the pools (summed over live workers).
    * `edge_render_queue_depth`: renders waiting for a pool thread (summed over live workers).
    * `edge_render_rejected_total{reason}`: renders refused (`overload`, `timeout`).
    * `edge_http_refused_total{reason}`: refused by the HTTP layer before the app
      (`edge.server.http_limits.REFUSAL_KINDS`: header_too_large, too_many_headers,
      uri_too_long, header_timeout, idle_timeout, connection_cap).
    * `edge_workers`, `edge_worker_resident_memory_bytes`, `edge_worker_cpu_seconds`,
      `edge_worker_open_fds`: live worker processes and their sums; the largest worker's RSS as
      `edge_worker_max_resident_memory_bytes` (refreshed every `PROCESS_REFRESH_S` on traffic
      and at each scrape).  In single-process mode prometheus-client's own `process_*` and
      `python_info` collectors are registered too (they cannot sum over processes).
    * `edge_gc_pause_seconds{generation}`: the garbage collector's pauses of this process's
      threads (`gc.callbacks`), by generation collected (issue 16: tells a p99 made by
      collections from one made elsewhere).
    * `edge_build_info{version,python,libvips}`: always 1.

    `multiproc_dir` is `$PROMETHEUS_MULTIPROC_DIR` (None when unset), the same variable that
    put prometheus-client in multiprocess mode when it was imported.
    """

    def __init__(self) -> None:
        self.multiproc_dir = os.environ.get(MULTIPROC_ENV) or None
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("edge_requests", "HTTP requests answered, by status", ["status"], registry=r)
        self.request_seconds = Histogram(
            "edge_http_request_duration_seconds", "HTTP request duration, arrival to last byte, seconds",
            ["route", "status_class"], buckets=REQUEST_BUCKETS, registry=r)
        self.sent_bytes = Counter("edge_sent_bytes", "Response body bytes sent", ["route"], registry=r)
        self.errors = Counter("edge_errors", "Error answers by reason class", ["route", "reason"], registry=r)
        self.render_seconds = Histogram("edge_render_seconds", "Render duration in seconds",
                                        buckets=RENDER_BUCKETS, registry=r)
        self.origin_load_seconds = Histogram("edge_origin_load_seconds", "Loading an original on a miss, seconds",
                                             buckets=LOAD_BUCKETS, registry=r)
        self.inference_seconds = Histogram("edge_model_inference_seconds", "One vision model run, seconds",
                                           ["model"], buckets=INFERENCE_BUCKETS, registry=r)
        self.cache = Counter("edge_cache_requests", "Derived cache lookups by tier (miss = rendered)",
                             ["tier"], registry=r)
        self.in_flight = Gauge("edge_renders_in_flight", "Renders running", registry=r,
                               multiprocess_mode="livesum")
        self.queue_depth = Gauge("edge_render_queue_depth", "Renders waiting for a thread", registry=r,
                                 multiprocess_mode="livesum")
        self.rejected = Counter("edge_render_rejected", "Renders refused", ["reason"], registry=r)
        self.refused = Counter("edge_http_refused", "Requests and connections refused by the HTTP layer",
                               ["reason"], registry=r)
        self.workers = Gauge("edge_workers", "Live worker processes", registry=r, multiprocess_mode="livesum")
        self.worker_rss = Gauge("edge_worker_resident_memory_bytes", "Resident memory of the live workers, bytes",
                                registry=r, multiprocess_mode="livesum")
        self.worker_max_rss = Gauge("edge_worker_max_resident_memory_bytes", "Resident memory of the largest worker, bytes",
                                    registry=r, multiprocess_mode="livemax")
        self.worker_cpu = Gauge("edge_worker_cpu_seconds", "CPU time of the live workers, seconds",
                                registry=r, multiprocess_mode="livesum")
        self.worker_fds = Gauge("edge_worker_open_fds", "Open file descriptors of the live workers",
                                registry=r, multiprocess_mode="livesum")
        self.build_info = Gauge("edge_build_info", "Edge build", list(_build_labels()), registry=r,
                                multiprocess_mode="livemax")
        self.build_info.labels(**_build_labels()).set(1)
        self.gc_pauses = Histogram("edge_gc_pause_seconds", "Garbage collector pauses by generation, seconds",
                                   ["generation"], buckets=GC_BUCKETS, registry=r)
        self._gc_children = [self.gc_pauses.labels(str(g)) for g in range(3)]
        self._gc_started = 0.0
        gc.callbacks.append(self._gc_phase)
        self.workers.set(1)
        if self.multiproc_dir is None:
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
        self._process = ProcessCollector(registry=None)
        self._children: dict[tuple[str, int], tuple[Any, Any, Any]] = {}
        self._refreshed = 0.0
        self.refresh_process()
        from edge.server.http_limits import observe_refusals
        from edge.vision.registry import observe_inference

        self._unobserve = (observe_inference(self._inference),
                           observe_refusals(lambda kind: self.refused.labels(kind).inc()))

    def _gc_phase(self, phase: str, info: dict[str, int]) -> None:
        """`gc.callbacks` hook: time each collection (one at a time: the collector is not
        re-entered) into `edge_gc_pause_seconds`."""
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started:
            self._gc_children[min(2, info.get("generation", 0))].observe(time.perf_counter() - self._gc_started)
            self._gc_started = 0.0

    def _inference(self, model: str, seconds: float) -> None:
        self.inference_seconds.labels(model).observe(seconds)

    def refresh_process(self, *, at_most_every: float = 0.0) -> None:
        """Copy this process's figures (prometheus-client's ProcessCollector) into the worker
        gauges, unless done less than `at_most_every` seconds ago."""
        now = time.monotonic()
        if now - self._refreshed < at_most_every:
            return
        self._refreshed = now
        values = {m.name: m.samples[0].value for m in self._process.collect() if m.samples}
        rss = values.get("process_resident_memory_bytes")
        if rss is not None:
            self.worker_rss.set(rss)
            self.worker_max_rss.set(rss)
        if "process_cpu_seconds" in values:
            self.worker_cpu.set(values["process_cpu_seconds"])
        if "process_open_fds" in values:
            self.worker_fds.set(values["process_open_fds"])

    def observe(self, path: str, status: int, sent: int, seconds: float,
                headers: list[tuple[bytes, bytes]]) -> None:
        """Count one answered request (nothing for a probe): status, duration, bytes, error
        class, and the origin load time a miss reported in its `Server-Timing` header
        (`headers` as ASGI sends them, names lower-case).  ~5 us: labelled children cached."""
        route = route_of(path)
        if route is None:
            return
        children = self._children.get((route, status))
        if children is None:
            children = self._children[(route, status)] = (
                self.requests.labels(str(status)), self.request_seconds.labels(route, f"{status // 100}xx"),
                self.sent_bytes.labels(route))
        children[0].inc()
        children[1].observe(seconds)
        if sent:
            children[2].inc(sent)
        if status >= 400:
            reason = next((v.decode("latin-1") for k, v in headers if k == b"x-cld-error"), None)
            cls = reason_class(status, reason)
            if cls is not None:
                self.errors.labels(route, cls).inc()
        else:
            timing = next((v for k, v in headers if k == b"server-timing"), None)
            if timing is not None and b'cache;desc="miss"' in timing:
                m = _LOAD.search(timing.decode("latin-1"))
                if m:
                    self.origin_load_seconds.observe(float(m.group(1)) / 1000)
        self.refresh_process(at_most_every=PROCESS_REFRESH_S)

    def render_text(self) -> bytes:
        """The Prometheus text exposition: this registry, or in multiprocess mode the sum over
        every worker's files (counters of exited workers included, gauges of live ones)."""
        self.refresh_process()
        if self.multiproc_dir is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=self.multiproc_dir)
        return generate_latest(merged)

    def close(self) -> None:
        """At worker exit: stop observing models; drop this process's live gauges from the
        multiprocess sums."""
        for remove in self._unobserve:
            remove()
        if self._gc_phase in gc.callbacks:
            gc.callbacks.remove(self._gc_phase)
        if self.multiproc_dir is not None:
            mark_process_dead(os.getpid(), self.multiproc_dir)


class TrafficMetrics:
    """ASGI middleware feeding `Metrics.observe` with every answered HTTP request (and turning
    an exception that escaped the app into a logged 500, so the counters and the access log
    see it too)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        seen: dict[str, Any] = {"status": None, "headers": [], "sent": 0}

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                seen["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                seen["sent"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        except Exception:
            log.exception("unhandled error for %s", scope.get("path"))
            if seen["status"] is None:
                await error_response(500, "Internal server error")(scope, receive, wrapped)
        if seen["status"] is not None:
            self.metrics.observe(scope.get("path", ""), seen["status"], seen["sent"],
                                 time.perf_counter() - t0, seen["headers"])
