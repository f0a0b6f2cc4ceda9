"""Settings from flags and EDGE_* variables, and `edge serve` as a real subprocess."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from edge_live import free_port
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


@pytest.mark.parametrize("env", [{"EDGE_SIGNED": "sometimes"}, {"EDGE_PORT": "0"}, {"EDGE_RENDER_TIMEOUT_S": "0"}])
def test_invalid_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        Settings.from_env(env)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_edge_serve_subprocess_serves_the_embedded_samples(tmp_path: Path, workers: int) -> None:
    repo = Path(__file__).resolve().parents[2]
    port = free_port()
    env = {**os.environ, "EDGE_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "serve", "--port", str(port), "--workers", str(workers),
         "--origin", str(repo / "media"), "--log-level", "warning"],
        env=env, cwd=tmp_path, start_new_session=True,
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
        r = httpx.get(f"{base}/demo/image/upload/c_fill,w_200,h_150,g_auto/samples/landscape_aitzgorri.jpg", timeout=60)
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert httpx.get(f"{base}/readyz").status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
