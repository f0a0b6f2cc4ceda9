"""Helpers of the API tests (a uniquely named module: test files import it with
`from api_live import ...`, since several test folders have a `conftest`): a real uvicorn on
127.0.0.1 serving `create_app(Settings(...))` over a disk origin, disk cache and SQLite
catalogue in temporary folders (`start_server`), the official SDK pointed at it
(`configure_sdk`), stdlib HTTP servers (`http_server`) and a webhook `Listener`.  The
fixtures built on them are in conftest.py.
"""

from __future__ import annotations

import http.server
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from live_server import serve  # noqa: E402
from s3server import free_port  # noqa: E402

from edge.server import Settings, create_app  # noqa: E402

IMAGES = TESTS / "images"
CLOUD = "demo"
API_KEY = "123456789012345"
API_SECRET = "Edge-test-secret-7Qm2vX"
PHOTO = IMAGES / "dog_bicycle_truck.jpg"  # 768x576 JPEG


@dataclass
class ApiLive:
    """A running server: `url`, `app`, `client` (httpx, base_url=url), `settings`, `root`
    (its temp folder: `origin/`, `cache/`)."""

    url: str
    app: Any
    client: httpx.Client
    settings: Settings
    root: Path

    @property
    def delivery(self) -> Any:
        return self.app.state.edge

    @property
    def catalogue(self) -> Any:
        return self.delivery.deriver.catalogue

    def get(self, path_or_url: str, **kwargs: Any) -> httpx.Response:
        """GET a delivery URL (absolute or path)."""
        if path_or_url.startswith("http"):
            path_or_url = "/" + path_or_url.split("/", 3)[3]
        return self.client.get(path_or_url, **kwargs)


@contextmanager
def start_server(root: Path, **overrides: Any) -> Iterator[ApiLive]:
    """A live server over fresh folders under `root` (Settings overrides applied)."""
    port = free_port()
    (root / "origin").mkdir(parents=True, exist_ok=True)
    (root / "cache").mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = dict(
        origin=str(root / "origin"), cache=str(root / "cache"), cloud_name=CLOUD, api_key=API_KEY,
        api_secret=API_SECRET, memory_cache_mb=64, port=port, public_url=f"http://127.0.0.1:{port}",
        fetch_allow="127.0.0.1,localhost", fetch_allow_private=True, focus="none",
        access_log="off",  # tests/server/test_ops_access_log.py reads the log; here it is noise
    )
    values.update(overrides)
    settings = Settings(**values)
    app = create_app(settings)
    with serve(app, port) as (url, client):
        yield ApiLive(url, app, client, settings, root)


def configure_sdk(url: str, *, secret: str = API_SECRET, key: str = API_KEY, **extra: Any) -> Any:
    """Point the official SDK at `url` (`upload_prefix`) and return the `cloudinary` module."""
    import cloudinary

    cloudinary.reset_config()
    cloudinary.config(cloud_name=CLOUD, api_key=key, api_secret=secret, upload_prefix=url, secure=False,
                      **extra)
    return cloudinary


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def http_server(handler: Any) -> Iterator[str]:
    """A threading stdlib HTTP server on 127.0.0.1 with `handler`; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Received:
    """One POST the listener got: `path`, `headers` (lower-case names), raw `body`."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Listener:
    """Records POSTs; `fail_first` answers that many requests with 500 first (retry tests)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    fail_first: int = 0
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, n: int = 1, timeout: float = 30.0) -> list[Received]:
        """Wait until `n` notifications arrived (AssertionError after `timeout` s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= n:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"expected {n} webhook(s), got {len(self.received)}")


def listener_handler(listener: Listener) -> Any:
    """A request handler class recording POSTs into `listener` (500 for the first
    `listener.fail_first` ones)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            n = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(n)
            with listener.lock:
                listener.attempts += 1
                failing = listener.attempts <= listener.fail_first
                if not failing:
                    listener.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def photos_handler() -> Any:
    """A request handler class serving tests/images."""

    class Handler(_QuietHandler):
        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, directory=str(IMAGES), **kw)

    return Handler
