"""Settings from flags and EDGE_* variables, and `edge serve` as a real subprocess."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from edge_live import free_port, stop_process
from edge.server.cli import register
from edge.server.settings import Settings


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["serve", *argv])


def test_flags_override_environment_override_defaults() -> None:
    env = {"EDGE_PORT": "9001", "EDGE_SIGNED": "all", "EDGE_MEMORY_CACHE_MB": "32", "EDGE_FETCH_ALLOW": "a.com, *.b.org"}
    s = Settings.from_args(_parse(["--port", "9100", "--cache", "none"]), env)
    assert (s.port, s.signed, s.memory_cache_mb, s.cache) == (9100, "all", 32, "none")
    assert s.fetch_hosts == ("a.com", "*.b.org")
    d = Settings.from_args(_parse([]), {})
    assert (d.origin, d.cache, d.cloud_name, d.signed, d.memory_cache_mb) == ("./media", "./.edge-cache", "demo", "addons", 256)
    assert Settings.from_env(s.to_env()) == s


@pytest.mark.parametrize("env", [{"EDGE_SIGNED": "sometimes"}, {"EDGE_PORT": "0"}, {"EDGE_RENDER_TIMEOUT_S": "0"},
                                 {"EDGE_PORT": "eighty"}, {"EDGE_CACHE": "s3:///no-bucket"}])
def test_invalid_settings_are_refused(env: dict[str, str]) -> None:
    (name,) = env
    with pytest.raises(ValueError, match=name.removeprefix("EDGE_").lower() + "|" + name):
        Settings.from_env(env)


def test_edge_serve_reports_a_bad_flag_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse(["--port", "eighty"])
    assert args.func(args) == 2
    assert capsys.readouterr().err.strip() == "edge serve: --port must be a number, not 'eighty'"


def test_edge_serve_refuses_a_broken_named_transformations_file_before_any_worker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "named.toml"
    bad.write_text('thumb = "w_-5"\n')
    args = _parse(["--workers", "2", "--named-transformations", str(bad)])
    assert args.func(args) == 2  # returns at once: no uvicorn, no worker started
    assert "thumb" in capsys.readouterr().err


@contextmanager
def _edge_serve(cwd: Path, workers: int, **env: str) -> Iterator[str]:
    """`python -m edge.cli serve` over the embedded samples in a subprocess (cache and TMPDIR
    under `cwd`); yields its base URL once /healthz answered 200 (that one request is the only
    one sent), stops it on exit."""
    repo = Path(__file__).resolve().parents[2]
    port = free_port()
    (cwd / "tmp").mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "serve", "--port", str(port), "--workers", str(workers),
         "--origin", str(repo / "media"), "--log-level", "warning"],
        env={**os.environ, "EDGE_CACHE": str(cwd / "cache"), "TMPDIR": str(cwd / "tmp"), **env},
        cwd=cwd, start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "edge serve did not start"
            time.sleep(0.2)
        yield base
    finally:
        stop_process(proc, grace_s=10)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_edge_serve_subprocess_serves_the_embedded_samples(tmp_path: Path, workers: int) -> None:
    with _edge_serve(tmp_path, workers) as base:
        r = httpx.get(f"{base}/demo/image/upload/c_fill,w_200,h_150,g_auto/samples/landscape_aitzgorri.jpg", timeout=60)
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert httpx.get(f"{base}/readyz").status_code == 200
        # only several workers share a metrics directory
        assert len(list((tmp_path / "tmp").glob("edge-metrics-*"))) == (workers > 1)


def _answered_per_worker(metrics_dir: Path, scratch: Path) -> list[float]:
    """Requests answered 200 by each worker, read from its own counter file alone."""
    counts = []
    for i, db in enumerate(sorted(metrics_dir.glob("counter_*.db"))):
        alone = scratch / str(i)
        alone.mkdir(parents=True, exist_ok=True)
        shutil.copy(db, alone / db.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        counts.append(registry.get_sample_value("edge_requests_total", {"status": "200"}) or 0.0)
    return counts


def _scraped_200(base: str) -> float:
    """`edge_requests_total{status="200"}` in the /metrics of whichever worker answers."""
    text = httpx.get(f"{base}/metrics").text
    assert "pid=" not in text  # gauges are summed over workers, not listed per process
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "edge_requests_total" and sample.labels == {"status": "200"}:
                return sample.value
    return 0.0


@pytest.mark.slow
def test_metrics_of_several_workers_are_summed(tmp_path: Path) -> None:
    """With 2 workers `edge serve` makes a PROMETHEUS_MULTIPROC_DIR (under TMPDIR): each scrape,
    whichever worker answers it, counts the requests of both; the directory goes at exit.
    Probes (/healthz, scrapes) are not traffic: they are not counted."""
    image = "/demo/image/upload/c_scale,w_64/samples/coffee.png"
    with _edge_serve(tmp_path, 2) as base:
        (metrics_dir,) = (tmp_path / "tmp").glob("edge-metrics-*")
        answered = 0.0
        per_worker: list[float] = []
        with ThreadPoolExecutor(8) as pool:  # a new connection per request: both workers answer
            for _ in range(10):
                answered += sum(r.status_code == 200 for r in pool.map(httpx.get, [f"{base}{image}"] * 16))
                assert all(r.status_code == 200 for r in pool.map(httpx.get, [f"{base}/healthz"] * 4))
                per_worker = _answered_per_worker(metrics_dir, tmp_path / "scratch")
                if sum(n > 0 for n in per_worker) >= 2:
                    break
        assert sum(n > 0 for n in per_worker) == 2 and sum(per_worker) == answered
        for _ in range(4):  # scrapes and probes leave the count alone
            assert _scraped_200(base) == answered
    assert not metrics_dir.exists()
