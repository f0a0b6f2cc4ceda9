"""Operator metrics of a real 2-worker `edge serve` (issue 9, item 13), read by scraping
/metrics: request duration by route and status class, origin-load and render histograms,
errors by reason class, bytes sent, model inference seconds per model, worker process figures
and build info, summed over both workers; probes are not traffic."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import httpx
import pyvips
import pytest
from prometheus_client.parser import text_string_to_metric_families

from edge_live import Settings, create_app, make_origin, serve_app
from serve_proc import Served, edge_serve

pytestmark = pytest.mark.slow

IMAGES = [f"/demo/image/upload/c_fill,w_{100 + i},h_80/samples/landscape_aitzgorri.jpg" for i in range(6)]
FACE = "/demo/image/upload/c_thumb,w_120,h_120,g_face/samples/face_astronaut_eileen_collins.png"


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{url}/metrics").text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, dict, int]]:
    """Two workers with vision focus; 6 misses + 6 hits + 1 face render (new connection each,
    so both workers answer), 2 bad URLs, 1 missing asset and 10 probes; then one scrape."""
    with edge_serve(tmp_path_factory.mktemp("metrics"), "--workers", "2", EDGE_FOCUS="vision") as server:
        sent = 0
        with ThreadPoolExecutor(4) as pool:
            for batch in (IMAGES, IMAGES, [FACE]):
                for r in pool.map(httpx.get, [server.url + p for p in batch]):
                    assert r.status_code == 200
                    sent += len(r.content)
        for bad in ("/demo/image/upload/w_abc/x.jpg", "/demo/image/upload/c_nope/x.jpg"):
            r = httpx.get(server.url + bad)
            assert r.status_code == 400
            sent += len(r.content)
        r = httpx.get(server.url + "/demo/image/upload/not/there.jpg")
        assert r.status_code == 404
        sent += len(r.content)
        for _ in range(5):
            assert httpx.get(server.url + "/healthz").status_code == 200
            assert httpx.get(server.url + "/readyz").status_code == 200
        httpx.get(server.url + "/metrics")
        yield server, _scrape(server.url), sent


def test_request_duration_by_route_and_status_class_excludes_probes(traffic: tuple[Served, dict, int]) -> None:
    _, m, _ = traffic
    name = "edge_http_request_duration_seconds_count"
    assert _value(m, name, route="delivery", status_class="2xx") == 13
    assert _value(m, name, route="delivery", status_class="4xx") == 3
    routes = {dict(labels)["route"] for (n, labels) in m if n == name}
    assert routes == {"delivery"}  # /healthz, /readyz, /metrics are not traffic
    assert _value(m, "edge_requests_total", status="200") == 13
    assert _value(m, "edge_http_request_duration_seconds_bucket", route="delivery", status_class="2xx", le="+Inf") == 13


def test_errors_by_reason_class_and_bytes_sent(traffic: tuple[Served, dict, int]) -> None:
    _, m, sent = traffic
    assert _value(m, "edge_errors_total", route="delivery", reason="bad_request") == 2
    assert _value(m, "edge_errors_total", route="delivery", reason="not_found") == 1
    assert _value(m, "edge_sent_bytes_total", route="delivery") == sent


def test_origin_load_and_render_histograms_count_the_misses(traffic: tuple[Served, dict, int]) -> None:
    _, m, _ = traffic
    misses = _value(m, "edge_cache_requests_total", tier="miss")
    assert 7 <= misses <= 13  # each worker renders what it has not cached
    assert _value(m, "edge_origin_load_seconds_count") == misses
    assert _value(m, "edge_render_seconds_count") == misses
    assert 0 < _value(m, "edge_origin_load_seconds_sum") < misses * 5


def test_model_inference_seconds_per_model(traffic: tuple[Served, dict, int]) -> None:
    _, m, _ = traffic
    assert _value(m, "edge_model_inference_seconds_count", model="faces") >= 1
    assert 0 < _value(m, "edge_model_inference_seconds_sum", model="faces") < 30


def test_worker_process_figures_and_build_info(traffic: tuple[Served, dict, int]) -> None:
    served, m, _ = traffic
    assert _value(m, "edge_workers") == 2
    total, largest = _value(m, "edge_worker_resident_memory_bytes"), _value(m, "edge_worker_max_resident_memory_bytes")
    assert 30e6 < largest < total < 2 * largest + 1  # two workers of tens to hundreds of MB
    assert _value(m, "edge_worker_cpu_seconds") > 0 and _value(m, "edge_worker_open_fds") > 4
    libvips = f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"
    (build,) = [dict(labels) for (n, labels) in m if n == "edge_build_info"]
    assert build["libvips"] == libvips and build["version"] == "0.1.0"
    assert _value(m, "edge_build_info", **build) == 1


def test_one_process_also_has_the_standard_process_collectors(tmp_path: Path) -> None:
    settings = Settings(origin=str(make_origin(tmp_path)), cache="none", focus="none")
    with serve_app(create_app(settings)) as live:
        m = _scrape(live.url)
    assert _value(m, "process_resident_memory_bytes") > 30e6
    assert any(n == "python_info" for (n, _) in m)
    assert _value(m, "edge_workers") == 1


def test_garbage_collector_pauses_are_timed_by_generation() -> None:
    """Issue 16: `edge_gc_pause_seconds{generation}` times every collection of the process (to
    tell a p99 made by collections from one made elsewhere); closing the metrics unhooks it."""
    import gc

    from edge.server.metrics import Metrics

    metrics = Metrics()
    try:
        sample = metrics.registry.get_sample_value
        before = [sample("edge_gc_pause_seconds_count", {"generation": str(g)}) or 0.0 for g in range(3)]
        cycles = [[] for _ in range(20000)]
        for c in cycles:
            c.append(c)
        del cycles, c
        assert gc.collect(2) >= 20000  # a full collection, timed as generation 2
        after = [sample("edge_gc_pause_seconds_count", {"generation": str(g)}) or 0.0 for g in range(3)]
        assert after[2] == before[2] + 1
        spent = sample("edge_gc_pause_seconds_sum", {"generation": "2"})
        assert 0 < spent < 5  # seconds: collecting 20,000 cycles takes a few ms
    finally:
        metrics.close()
    assert metrics._gc_phase not in gc.callbacks
