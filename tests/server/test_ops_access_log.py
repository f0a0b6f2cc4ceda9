"""Access log of a real `edge serve` (issue 9, item 12), read from its stdout: one JSON line per
request with request id, method, path, status, bytes, duration, cache tier, X-Cld-Error reason
and worker pid; `X-Request-Id` honoured or made, and echoed on every response; text and off."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from serve_proc import Served, edge_serve

IMAGE = "/demo/image/upload/c_fill,w_160,h_120/samples/dog_bicycle_truck.jpg"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with edge_serve(tmp_path_factory.mktemp("accesslog")) as server:
        yield server


def _line_for(served: Served, request_id: str, timeout: float = 5.0) -> dict[str, Any]:
    """The JSON access-log record of `request_id` (waits for it to be written)."""
    deadline = time.monotonic() + timeout
    while True:
        for line in served.out_lines():
            if request_id in line:
                return json.loads(line)
        assert time.monotonic() < deadline, f"no access-log line for {request_id}"
        time.sleep(0.05)


def test_one_json_line_per_request_with_every_field(served: Served) -> None:
    r = httpx.get(served.url + IMAGE + "?_a=BAMAK", headers={"X-Request-Id": "req-0001", "User-Agent": "edge-test/1"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "req-0001"
    rec = _line_for(served, "req-0001")
    assert rec["method"] == "GET" and rec["path"] == IMAGE and rec["query"] == "_a=BAMAK"
    assert rec["status"] == 200 and rec["bytes"] == len(r.content) > 0
    assert rec["cache"] == "miss" == r.headers["x-edge-cache"]
    assert rec["error"] is None and rec["user_agent"] == "edge-test/1" and rec["client"] == "127.0.0.1"
    assert rec["worker"] == served.proc.pid  # one worker: the server process itself
    assert 0 < rec["duration_ms"] < 30_000
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec["ts"])
    again = httpx.get(served.url + IMAGE, headers={"X-Request-Id": "req-0002"})
    assert _line_for(served, "req-0002")["cache"] == "memory" == again.headers["x-edge-cache"]


def test_the_error_reason_is_logged(served: Served) -> None:
    r = httpx.get(served.url + "/demo/image/upload/w_abc/samples/dog_bicycle_truck.jpg", headers={"X-Request-Id": "bad-url"})
    rec = _line_for(served, "bad-url")
    assert r.status_code == rec["status"] == 400
    assert rec["error"] == r.headers["x-cld-error"] and rec["error"]
    assert rec["bytes"] == len(r.content) and rec["cache"] is None
    missing = httpx.get(served.url + "/demo/image/upload/nothing/here.jpg", headers={"X-Request-Id": "missing"})
    assert missing.status_code == _line_for(served, "missing")["status"] == 404


def test_a_request_id_is_made_when_missing_or_unusable(served: Served) -> None:
    made = httpx.get(served.url + "/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert _line_for(served, made)["path"] == "/healthz"
    for bad in ("has space", "x" * 129, "semi;colon"):
        got = httpx.get(served.url + "/healthz", headers={"X-Request-Id": bad}).headers["x-request-id"]
        assert got != bad and re.fullmatch(r"[0-9a-f]{32}", got)


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/healthz", 200), ("GET", "/readyz", 200), ("GET", "/metrics", 200), ("HEAD", IMAGE, 200),
    ("POST", IMAGE, 405), ("GET", "/demo/image/upload/w_0.5.5/x.jpg", 400), ("GET", "/other/image/upload/x.jpg", 404),
])
def test_every_response_echoes_the_request_id(served: Served, method: str, path: str, status: int) -> None:
    rid = f"echo-{method}-{status}"
    r = httpx.request(method, served.url + path, headers={"X-Request-Id": rid})
    assert r.status_code == status and r.headers["x-request-id"] == rid
    assert _line_for(served, rid)["status"] == status


def test_text_format_and_off(tmp_path: Path) -> None:
    with edge_serve(tmp_path / "text", EDGE_ACCESS_LOG="text") as server:
        httpx.get(server.url + IMAGE, headers={"X-Request-Id": "text-1", "Referer": "http://example.org/"})
        deadline = time.monotonic() + 5
        while not any("text-1" in line for line in server.out_lines()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (line,) = [line for line in server.out_lines() if "text-1" in line]
        assert re.fullmatch(
            r'127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /demo/image/upload/\S+ HTTP/1\.1" 200 \d+ '
            r'"http://example\.org/" "python-httpx/[\d.]+" request_id=text-1 duration_ms=[\d.]+ cache=miss error=- worker=\d+',
            line), line
    with edge_serve(tmp_path / "off", EDGE_ACCESS_LOG="off") as server:
        r = httpx.get(server.url + IMAGE, headers={"X-Request-Id": "off-1"})
        assert r.headers["x-request-id"] == "off-1"
        time.sleep(0.3)
        assert not any("off-1" in line for line in server.out_lines())


@pytest.mark.parametrize("env", [{"EDGE_ACCESS_LOG": "xml"}, {"EDGE_MAX_HEADER_BYTES": "-1"}, {"EDGE_HEADER_TIMEOUT_S": "-2"}])
def test_bad_log_and_limit_settings_are_refused(env: dict[str, str]) -> None:
    from edge.server.settings import Settings

    (name,) = env
    with pytest.raises(ValueError, match=name.removeprefix("EDGE_").lower()):
        Settings.from_env(env)


@pytest.mark.slow
def test_with_two_workers_each_line_names_the_worker_that_answered(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with edge_serve(tmp_path, "--workers", "2") as server:
        ids = [f"multi-{i}" for i in range(24)]
        with ThreadPoolExecutor(6) as pool:  # a new connection per request: both workers answer
            list(pool.map(lambda rid: httpx.get(server.url + "/healthz", headers={"X-Request-Id": rid}), ids))
        workers = {_line_for(server, rid)["worker"] for rid in ids}
        children = {int(p) for p in Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()}
        assert workers <= children and server.proc.pid not in workers


def test_the_json_line_is_what_json_dumps_gives() -> None:
    """Issue 16: the line comes from a fixed template; it must equal the json module's text for
    awkward values too (quotes, control and non-ASCII characters, nulls, float rounding)."""
    import json

    from edge.server.access_log import _json_line

    record = {"ts": "2026-12-07T23:00:00.123Z", "request_id": "a/b+c=d", "method": "GET",
              "path": '/demo/image/upload/l_text:Arial_20:"hi"%0A\\/x.jpg', "query": "_a=B\u00e9\x01",
              "status": 304, "bytes": 0, "duration_ms": round(0.1 + 0.2, 2), "cache": None,
              "error": "Invalid \"w\" \u2603", "client": None, "user_agent": "curl/8\t\x7f", "referer": None,
              "worker": 4242}
    assert _json_line(record) == json.dumps(record, separators=(",", ":"))
    assert json.loads(_json_line(record)) == record
