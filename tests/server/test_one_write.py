"""One write per cached answer (issue 16): `EdgeHttpProtocol` sends a response's head and its
body with one transport write (uvicorn alone makes two: two system calls and two wake-ups of
the client), byte for byte what uvicorn sends; HEAD, 304 and error answers keep their bytes
too, and pipelined requests their order.  A real uvicorn (uvloop) with Edge's protocol serves the real app; the
protocol's transport is wrapped to record each write before passing it on."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import uvicorn

from edge_live import free_port, make_origin
from edge.server import Settings, create_app
from edge.server.http_limits import EdgeHttpProtocol, HttpLimits

HIT = b"/demo/image/upload/c_fill,w_160,h_120,q_80/samples/landscape.jpg"


class _Recorder:
    """A uvloop transport that records the bytes of each write call (one entry per call)."""

    def __init__(self, real: Any, writes: list[bytes]) -> None:
        self._real, self._writes = real, writes

    def write(self, data: bytes) -> None:
        self._writes.append(bytes(data))
        self._real.write(data)

    def writelines(self, parts: Any) -> None:
        parts = [bytes(p) for p in parts]
        self._writes.append(b"".join(parts))
        self._real.writelines(parts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[bytes]]]:
    writes: list[bytes] = []
    base = EdgeHttpProtocol.with_limits(HttpLimits())

    class Recording(base):  # type: ignore[misc,valid-type]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(_Recorder(transport, writes))

    root = tmp_path_factory.mktemp("one-write")
    settings = Settings(origin=str(make_origin(root / "media")), cache="none", cloud_name="demo",
                        memory_cache_mb=64, access_log="off")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, loop="uvloop",
                                           http=Recording, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield port, writes
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def _exchange(port: int, writes: list[bytes], request: bytes) -> tuple[bytes, list[bytes]]:
    """Send `request` (closing the connection after it) and read the whole answer; returns the
    bytes received and the server's write calls for it."""
    del writes[:]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(1 << 20):
            received += chunk
    return received, list(writes)


def _get(path: bytes, method: bytes = b"GET", extra: bytes = b"") -> bytes:
    return method + b" " + path + b" HTTP/1.1\r\nHost: test\r\n" + extra + b"Connection: close\r\n\r\n"


def test_a_cached_answer_is_one_write_of_the_same_bytes(served: tuple[int, list[bytes]]) -> None:
    port, writes = served
    miss, _ = _exchange(port, writes, _get(HIT))
    received, calls = _exchange(port, writes, _get(HIT))
    assert received.startswith(b"HTTP/1.1 200 OK\r\n") and b"\r\nx-edge-cache: memory\r\n" in received
    assert len(calls) == 1 and calls[0] == received  # head and body: one write, all of the answer
    head, body = received.split(b"\r\n\r\n", 1)
    assert body == miss.split(b"\r\n\r\n", 1)[1] and body[:2] == b"\xff\xd8"  # the JPEG of the miss
    assert int(next(v for k, v in (ln.split(b": ", 1) for ln in head.split(b"\r\n")[1:])
                    if k == b"content-length")) == len(body)


def test_head_304_and_errors_keep_their_bytes(served: tuple[int, list[bytes]]) -> None:
    port, writes = served
    full, _ = _exchange(port, writes, _get(HIT))
    etag = next(ln for ln in full.split(b"\r\n") if ln.startswith(b"etag: ")).split(b": ", 1)[1]
    head, calls = _exchange(port, writes, _get(HIT, b"HEAD"))
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n") and calls == [head]
    not_modified, calls = _exchange(port, writes, _get(HIT, extra=b"If-None-Match: " + etag + b"\r\n"))
    assert not_modified.startswith(b"HTTP/1.1 304 ") and not_modified.endswith(b"\r\n\r\n") and calls == [not_modified]
    bad, calls = _exchange(port, writes, _get(b"/demo/image/upload/w_abc/samples/landscape.jpg"))
    assert bad.startswith(b"HTTP/1.1 400 ") and b"x-cld-error: " in bad and calls == [bad]
    health, calls = _exchange(port, writes, _get(b"/healthz"))
    assert health.endswith(b"\r\n\r\nok\n") and calls == [health]


def test_pipelined_requests_are_answered_in_order(served: tuple[int, list[bytes]]) -> None:
    port, writes = served
    keep = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"
    received, calls = _exchange(port, writes, _get(HIT, b"HEAD").replace(b"Connection: close\r\n", b"") + keep + _get(HIT))
    answers = received.split(b"HTTP/1.1 200 OK\r\n")
    assert len(answers) == 4 and answers[0] == b""  # HEAD, healthz, GET: three 200s, in order
    assert answers[1].endswith(b"\r\n\r\n") and b"x-edge-cache: memory" in answers[1]
    assert answers[2].endswith(b"\r\n\r\nok\n") and answers[3].split(b"\r\n\r\n", 1)[1][:2] == b"\xff\xd8"
    assert len(calls) == 3 and b"".join(calls) == received
