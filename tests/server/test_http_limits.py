"""HTTP-layer limits of a real `edge serve` (issue 9, item 2): oversized heads get 431 (414 for
the request target), heads that do not finish in time are closed, connections above the
per-worker cap get 503 + Retry-After.  Sizes follow nginx's `large_client_header_buffers 4 8k`."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from serve_proc import Served, edge_serve, read_response

HEADER_TIMEOUT_S = 2.0
MAX_CONNECTIONS = 400


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with edge_serve(tmp_path_factory.mktemp("limits"), EDGE_HEADER_TIMEOUT_S=str(HEADER_TIMEOUT_S),
                    EDGE_MAX_CONNECTIONS=str(MAX_CONNECTIONS)) as server:
        yield server


def _send(served: Served, head: bytes) -> tuple[int, dict[str, str], bytes]:
    with served.connect() as sock:
        sock.sendall(head)
        return read_response(sock)


def _get(headers: bytes = b"", target: bytes = b"/healthz") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: test\r\n" + headers + b"Connection: close\r\n\r\n"


def _assert_refused(answer: tuple[int, dict[str, str], bytes], status: int) -> None:
    code, headers, body = answer
    assert code == status, body
    assert headers["x-cld-error"] and headers["connection"] == "close"
    assert body.startswith(str(status).encode())


def test_a_100kb_header_is_431(served: Served) -> None:
    _assert_refused(_send(served, _get(b"X-Big: " + b"a" * 100_000 + b"\r\n")), 431)


def test_a_1mb_header_is_431(served: Served) -> None:
    _assert_refused(_send(served, _get(b"Cookie: " + b"c" * 1_000_000 + b"\r\n")), 431)


def test_1000_headers_of_100_bytes_are_431(served: Served) -> None:
    many = b"".join(b"X-H%04d: %s\r\n" % (i, b"v" * 90) for i in range(1000))
    _assert_refused(_send(served, _get(many)), 431)


def test_more_header_fields_than_the_limit_are_431(served: Served) -> None:
    small = b"".join(b"X-%d: 1\r\n" % i for i in range(150))  # 1.3 KB in all, but 150 fields
    code, headers, _ = _send(served, _get(small))
    assert code == 431 and "many" in headers["x-cld-error"].lower()


def test_a_request_target_above_8k_is_414(served: Served) -> None:
    _assert_refused(_send(served, _get(target=b"/demo/image/upload/" + b"w_100/" * 1500 + b"x.jpg")), 414)


def test_heads_within_the_nginx_sized_limits_are_served(served: Served) -> None:
    assert _send(served, _get(b"X-Line: " + b"a" * 8000 + b"\r\n"))[0] == 200  # one 8 KB line
    twenty = b"".join(b"X-H%02d: %s\r\n" % (i, b"v" * 1400) for i in range(20))  # 28 KB in 20 lines
    assert _send(served, _get(twenty))[0] == 200
    # and a header arriving in many small reads
    with served.connect() as sock:
        for part in (b"GET /healthz HTTP/1.1\r\nHost: t\r\n", b"X-A: " + b"a" * 4000, b"\r\nConnection: close\r\n\r\n"):
            sock.sendall(part)
            time.sleep(0.05)
        assert read_response(sock)[0] == 200


def _closed_by_server(sock: socket.socket) -> bool:
    """True when the server closed `sock` (EOF, after an optional 408 answer)."""
    try:
        data = sock.recv(4096)
    except (BlockingIOError, socket.timeout):
        return False
    except ConnectionResetError:
        return True
    if not data:
        return True
    assert data.startswith(b"HTTP/1.1 408 "), data[:100]
    return True


def test_slow_header_connections_are_closed_within_the_timeout(served: Served) -> None:
    """300 connections sending their head one byte every 0.3 s (the issue's slowloris), plus 20
    that send nothing: all closed by the server within the head timeout (+1.5 s of slack), and
    the server still answers."""
    slow = [served.connect() for _ in range(300)]
    silent = [served.connect() for _ in range(20)]
    head = _get()
    t0 = time.monotonic()
    open_ = {s: True for s in slow + silent}
    i = 0
    try:
        while any(open_.values()) and time.monotonic() - t0 < HEADER_TIMEOUT_S + 5:
            for s in slow:
                if open_[s]:
                    try:
                        s.sendall(head[i:i + 1])
                    except (BrokenPipeError, ConnectionResetError):
                        open_[s] = False
            i += 1
            time.sleep(0.3)
            for s in open_:
                if open_[s]:
                    s.setblocking(False)
                    open_[s] = not _closed_by_server(s)
                    s.setblocking(True)
        elapsed = time.monotonic() - t0
        assert not any(open_.values()), f"{sum(open_.values())} connections still open after {elapsed:.1f} s"
        assert elapsed < HEADER_TIMEOUT_S + 1.5
        assert i < len(head)  # no slow head was complete
    finally:
        for s in slow + silent:
            s.close()
    assert httpx.get(f"{served.url}/healthz").status_code == 200


def test_connections_above_the_cap_get_503_with_retry_after(served: Served) -> None:
    idle = [served.connect() for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.3)  # let the server accept them all
        code, headers, _ = _send(served, _get())
        assert code == 503 and headers["retry-after"] == "1" and headers["connection"] == "close"
        assert "connection" in headers["x-cld-error"].lower()
    finally:
        for s in idle:
            s.close()
    time.sleep(0.3)
    assert httpx.get(f"{served.url}/healthz").status_code == 200


def test_an_oversized_head_on_a_keep_alive_connection_is_refused_after_a_good_request(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(sock)[0] == 200
        sock.sendall(_get(b"X-Big: " + b"a" * 40_000 + b"\r\n"))
        assert read_response(sock)[0] == 431


def _refused(served: Served) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{served.url}/metrics").text
    return {s.labels["reason"]: s.value for fam in text_string_to_metric_families(text)
            for s in fam.samples if s.name == "edge_http_refused_total"}


def test_refusals_are_counted_by_kind_in_the_metrics(served: Served) -> None:
    before = _refused(served)
    _send(served, _get(b"X-Big: " + b"a" * 50_000 + b"\r\n"))
    _send(served, _get(b"".join(b"X-%d: 1\r\n" % i for i in range(150))))
    _send(served, _get(target=b"/" + b"a" * 9000))
    with served.connect() as sock:
        sock.sendall(b"GET /heal")
        assert read_response(sock, limit=HEADER_TIMEOUT_S + 3)[0] == 408
    after = _refused(served)
    for kind in ("header_too_large", "too_many_headers", "uri_too_long", "header_timeout"):
        assert after.get(kind, 0) == before.get(kind, 0) + 1, kind


@pytest.mark.slow
def test_every_worker_of_a_multi_worker_server_holds_the_limits(tmp_path: Path) -> None:
    """With --workers 2 each spawned worker reads the limits from the EDGE_* variables
    `edge serve` exported: 431s and head timeouts on many fresh connections (spread over both)."""
    with edge_serve(tmp_path, "--workers", "2", "--header-timeout-s", "1.5", "--max-header-bytes", "16384") as server:
        for _ in range(8):
            three = b"".join(b"X-Big%d: %s\r\n" % (i, b"a" * 8000) for i in range(3))  # 24 KB: only above 16 KiB
            _assert_refused(_send(server, _get(three)), 431)
        socks = [server.connect() for _ in range(8)]
        try:
            for s in socks:
                s.sendall(b"GET / HTTP/1.1\r\n")
            for s in socks:
                assert read_response(s, limit=5)[0] == 408
        finally:
            for s in socks:
                s.close()
