"""Helpers of the server tests (a uniquely named module, so test files can import it while
other test folders have their own conftest): a real uvicorn on 127.0.0.1 in a thread serving
an app built from Settings, and an origin of real photos."""

from __future__ import annotations

import os
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import httpx

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from live_server import serve  # noqa: E402
from s3server import free_port, stop_process  # noqa: E402,F401  (re-exported)

from edge.server import Settings, create_app  # noqa: E402

IMAGES = TESTS / "images"
SECRET = "X7qLTrsES31MzxxkxPPA-pAGGfU"

#: Photos copied into the test origin: public_id -> file in tests/images.
ORIGIN_FILES = {
    "samples/landscape": "landscape_aitzgorri.jpg",
    "samples/cat": "cat_chelsea.png",
    "samples/dog": "dog_bicycle_truck.jpg",
    "hopper": "tiny_hopper_128.jpg",
    "logo": "alpha_logo_rgba.png",
    "broken": "broken_truncated.jpg",
    "big": "large_5312x2988_seeding.jpg",
    "folder with space/coffee": "coffee.png",
}


@dataclass
class Live:
    """A running server: `url` (http://127.0.0.1:port), `app`, `client` (httpx)."""

    url: str
    app: Any
    client: httpx.Client

    @property
    def delivery(self) -> Any:
        return self.app.state.edge

    def raw(self, method: str, target: str, **kwargs: Any) -> httpx.Response:
        """Send `target` as the request target byte for byte (no dot-segment or percent
        normalisation by httpx)."""
        return self.client.request(method, "/", extensions={"target": target.encode("latin-1")}, **kwargs)

    def socket_get(self, target: bytes) -> tuple[int, dict[str, str]]:
        """GET with an arbitrary request-target over a plain socket (bytes no HTTP client
        library would send); returns (status, lower-cased headers)."""
        import socket

        host, port = self.url.rsplit("/", 1)[-1].split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in head[1:])}
        return status, headers

    def metric(self, name: str, **labels: str) -> float:
        """Current value of a Prometheus sample of this server's registry (0 if absent)."""
        v = self.delivery.metrics.registry.get_sample_value(name, labels or None)
        return float(v or 0.0)


@contextmanager
def serve_app(app: Any) -> Iterator[Live]:
    """Run `app` on a real uvicorn (uvloop + httptools) on a free loopback port."""
    with serve(app) as (url, client):
        yield Live(url, app, client)


def make_origin(root: Path) -> Path:
    """Copy the ORIGIN_FILES photos into `root` (public_id + original extension)."""
    for public_id, name in ORIGIN_FILES.items():
        target = root / f"{public_id}{Path(name).suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(IMAGES / name, target)
    return root


@contextmanager
def server_with(origin_dir: Path, cache_dir: Path | None = None, **overrides: Any) -> Iterator[Live]:
    """A server over `origin_dir` with Settings overrides (cache none unless `cache_dir`)."""
    overrides.setdefault("access_log", "off")  # test_ops_access_log.py turns it on to read it
    overrides.setdefault("memory_cache_mb", 64)
    settings = Settings(origin=str(origin_dir), cache=str(cache_dir) if cache_dir else "none",
                        api_secret=SECRET, cloud_name="demo", **overrides)
    with serve_app(create_app(settings)) as server:
        yield server


def evict_from_page_cache(path: Path) -> None:
    """Ask the kernel to drop `path`'s pages from the page cache (fsync first: dirty or
    in-writeback pages stay).  Best effort: pages still in a CPU's LRU batch are kept, so
    about half the calls work; callers retry."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        for _ in range(2):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            time.sleep(0.02)
    finally:
        os.close(fd)


def on_tmpfs(path: Path) -> bool:
    """True when `path` lies on a tmpfs (whose files are never out of the page cache)."""
    best, kind = "", ""
    for line in Path("/proc/mounts").read_text().splitlines():
        parts = line.split()
        if len(parts) > 2 and str(path.resolve()).startswith(parts[1]) and len(parts[1]) > len(best):
            best, kind = parts[1], parts[2]
    return kind == "tmpfs"
