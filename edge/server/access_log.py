"""Access log: one structured line per HTTP request on stdout, as ASGI middleware.

Formats (the `access_log` setting): `json` (default; one JSON object a line, for log
pipelines), `text` (Apache combined log format plus `key=value` extras) or `off`.  Fields:

| field | meaning |
|---|---|
| `ts` | time the request arrived, UTC, ISO 8601 with ms |
| `request_id` | the client's `X-Request-Id` when it is 1-128 chars of `[A-Za-z0-9._:@/+=-]`, else 32 hex chars made here; echoed as `X-Request-Id` on every response and put in `scope["state"]["request_id"]` for the app |
| `method`, `path`, `query` | request line (path as sent, percent-encoding kept; query without `?`, or "") |
| `status` | HTTP status sent (500 when the app failed before answering) |
| `bytes` | body bytes sent |
| `duration_ms` | arrival to last body byte, ms |
| `cache` | derived-cache tier of a delivery answer (`X-Edge-Cache`: memory, disk, s3, miss, coalesced), else null |
| `error` | the `X-Cld-Error` reason, else null |
| `client`, `user_agent`, `referer` | peer address (the proxy's forwarded one when trusted), headers |
| `worker` | pid of the worker process |

Requests refused by the HTTP layer before the app (431, 414, 408, connection cap: see
`edge.server.http_limits`) are not in this log: they are logged on `uvicorn.error` and counted
in `edge_http_refused_total`.  Each line is one `os.write` to stdout (file descriptor 1):
workers sharing a stdout pipe never interleave within a line of up to PIPE_BUF (4 KiB; a line
with a longer URL or user agent may), and the cost stays about 20 us a request, where the
`logging` module took ~70 us.
"""

from __future__ import annotations

import json
import os
import re
import time
from json.encoder import encode_basestring_ascii as _quote
from typing import Any, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLog", "FORMATS", "REQUEST_ID_HEADER", "write_stdout"]

FORMATS = ("json", "text", "off")
REQUEST_ID_HEADER = "x-request-id"
_VALID_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def write_stdout(data: bytes) -> None:
    """Write `data` to file descriptor 1 (looping over partial writes)."""
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]


_REQUEST_FIELDS = {b"x-request-id": "rid", b"user-agent": "user_agent", b"referer": "referer"}
_RESPONSE_FIELDS = {b"x-edge-cache": "cache", b"x-cld-error": "error"}
_ENCODE = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def _text_or_null(value: str | None) -> str:
    return "null" if value is None else _quote(value)


def _json_line(r: dict[str, Any]) -> str:
    """An access-log record (the fields of the module docs, in that order) as compact ASCII
    JSON: the text `json.dumps(r, separators=(",", ":"))` gives, in a fraction of its time
    (issue 16): strings through json's own C escaper, the numbers by `repr`."""
    return (f'{{"ts":{_quote(r["ts"])},"request_id":{_quote(r["request_id"])},'
            f'"method":{_text_or_null(r["method"])},"path":{_quote(r["path"])},"query":{_quote(r["query"])},'
            f'"status":{int(r["status"])},"bytes":{int(r["bytes"])},"duration_ms":{float(r["duration_ms"])!r},'
            f'"cache":{_text_or_null(r["cache"])},"error":{_text_or_null(r["error"])},'
            f'"client":{_text_or_null(r["client"])},"user_agent":{_text_or_null(r["user_agent"])},'
            f'"referer":{_text_or_null(r["referer"])},"worker":{int(r["worker"])}}}')


def _pick(headers: Any, wanted: dict[bytes, str]) -> dict[str, str]:
    """The first value of each `wanted` header (ASGI names are lower-case), latin-1 text."""
    out: dict[str, str] = {}
    for k, v in headers:
        field = wanted.get(k)
        if field is not None and field not in out:
            out[field] = v.decode("latin-1")
    return out


class AccessLog:
    """ASGI middleware logging one line per HTTP request in `fmt` (`json` | `text` | `off`;
    with `off` it still sets and echoes the request id) through `sink(line_bytes)`, by
    default `write_stdout`.  Raises ValueError for an unknown `fmt`."""

    def __init__(self, app: ASGIApp, fmt: str = "json", sink: Callable[[bytes], None] = write_stdout) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"access_log must be one of {FORMATS}, not {fmt!r}")
        self.app = app
        self.fmt = fmt
        self.sink = None if fmt == "off" else sink
        self.pid = os.getpid()
        self._second = -1
        self._second_text = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        arrived = time.time()
        asked = _pick(scope.get("headers", ()), _REQUEST_FIELDS)
        given = asked.get("rid")
        rid = given if given is not None and _VALID_ID.fullmatch(given) else os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = rid
        rid_header = (b"x-request-id", rid.encode("ascii"))
        seen: dict[str, Any] = {"status": None, "bytes": 0}

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = []
                for h in message.get("headers", ()):  # one pass: drop the app's id, note the fields
                    name = h[0]
                    if name == b"x-request-id":
                        continue
                    field = _RESPONSE_FIELDS.get(name)
                    if field is not None and field not in seen:
                        seen[field] = h[1].decode("latin-1")
                    headers.append(h)
                headers.append(rid_header)
                message = {**message, "headers": headers}
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            if self.sink is not None:
                self._log(scope, rid, arrived, (time.perf_counter() - t0) * 1000, seen, asked)

    def _log(self, scope: Scope, rid: str, arrived: float, ms: float, seen: dict[str, Any],
             asked: dict[str, str]) -> None:
        raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8")
        client = scope.get("client")
        second = int(arrived)
        if second != self._second:  # issue 16: one strftime a second, not one a request
            self._second, self._second_text = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        record = {
            "ts": self._second_text + f".{int(arrived * 1000) % 1000:03d}Z",
            "request_id": rid,
            "method": scope.get("method"),
            "path": raw.decode("latin-1"),
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": seen["status"] if seen["status"] is not None else 500,
            "bytes": seen["bytes"],
            "duration_ms": round(ms, 2),
            "cache": seen.get("cache"),
            "error": seen.get("error"),
            "client": client[0] if client else None,
            "user_agent": asked.get("user_agent"),
            "referer": asked.get("referer"),
            "worker": self.pid,
        }
        if self.fmt == "json":
            line = _json_line(record)
        else:
            line = _text_line(record, arrived, scope.get("http_version", "1.1"))
        try:
            self.sink(line.encode("ascii", "backslashreplace") + b"\n")  # type: ignore[misc]
        except OSError:  # stdout closed or full: never fail the request over its log line
            pass


def _quoted(value: str | None) -> str:
    if value is None:
        return "-"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text_line(r: dict[str, Any], arrived: float, http_version: str) -> str:
    """Apache's combined format, then the extra fields as key=value."""
    when = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(arrived))
    target = r["path"] + (f"?{r['query']}" if r["query"] else "")
    request = f"{r['method']} {target} HTTP/{http_version}"
    return (f"{r['client'] or '-'} - - [{when}] {_quoted(request)} {r['status']} {r['bytes']} "
            f"{_quoted(r['referer'])} {_quoted(r['user_agent'])} request_id={r['request_id']} "
            f"duration_ms={r['duration_ms']} cache={r['cache'] or '-'} error={_quoted(r['error'])} worker={r['worker']}")
