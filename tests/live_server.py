"""A real uvicorn (uvloop + httptools) serving an ASGI app on a loopback port in a thread, for
the HTTP tests of every folder (tests/server/edge_live.py and tests/api/api_live.py build on it)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

import httpx
import uvicorn

from s3server import free_port

__all__ = ["serve"]


@contextmanager
def serve(app: Any, port: int | None = None, *, start_timeout_s: float = 30) -> Iterator[tuple[str, httpx.Client]]:
    """Run `app` on 127.0.0.1:`port` (a free one by default); yields (base URL, httpx client)
    and stops the server on exit.  Raises RuntimeError when uvicorn does not start in time."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                            log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, timeout=60) as client:
        try:
            yield url, client
        finally:
            server.should_exit = True
            thread.join(timeout=20)
