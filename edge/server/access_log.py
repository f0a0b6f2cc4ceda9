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
`edge.server.http_limits`) are not in this log.  Lines go through the `edge.access` logger to
its own stdout handler (one `write` per line, so workers sharing stdout do not interleave).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLog", "FORMATS", "REQUEST_ID_HEADER", "access_logger"]

FORMATS = ("json", "text", "off")
REQUEST_ID_HEADER = "x-request-id"
_VALID_ID = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,128}")


def access_logger() -> logging.Logger:
    """The `edge.access` logger, writing bare lines to stdout (set up once per process)."""
    logger = logging.getLogger("edge.access")
    if not any(getattr(h, "_edge_access", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._edge_access = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def _request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            if _VALID_ID.fullmatch(value):
                return value.decode("ascii")
            break
    return uuid.uuid4().hex


def _header(headers: Any, name: bytes) -> str | None:
    for k, v in headers:
        if k.lower() == name:
            return v.decode("latin-1")
    return None


class AccessLog:
    """ASGI middleware logging one line per HTTP request in `fmt` (`json` | `text` | `off`;
    with `off` it still sets and echoes the request id).  `logger` defaults to
    `access_logger()`."""

    def __init__(self, app: ASGIApp, fmt: str = "json", logger: logging.Logger | None = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"access_log must be one of {FORMATS}, not {fmt!r}")
        self.app = app
        self.fmt = fmt
        self.logger = logger or (access_logger() if fmt != "off" else None)
        self.pid = os.getpid()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        arrived = time.time()
        rid = _request_id(scope.get("headers", []))
        scope.setdefault("state", {})["request_id"] = rid
        rid_header = (b"x-request-id", rid.encode("ascii"))
        seen: dict[str, Any] = {"status": None, "bytes": 0, "cache": None, "error": None}

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, rid_header]}
                seen["status"] = message["status"]
                seen["cache"] = _header(headers, b"x-edge-cache")
                seen["error"] = _header(headers, b"x-cld-error")
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            if self.logger is not None:
                self._log(scope, rid, arrived, (time.perf_counter() - t0) * 1000, seen)

    def _log(self, scope: Scope, rid: str, arrived: float, ms: float, seen: dict[str, Any]) -> None:
        headers = scope.get("headers", [])
        raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8")
        client = scope.get("client")
        record = {
            "ts": datetime.fromtimestamp(arrived, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "request_id": rid,
            "method": scope.get("method"),
            "path": raw.decode("latin-1"),
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": seen["status"] if seen["status"] is not None else 500,
            "bytes": seen["bytes"],
            "duration_ms": round(ms, 2),
            "cache": seen["cache"],
            "error": seen["error"],
            "client": client[0] if client else None,
            "user_agent": _header(headers, b"user-agent"),
            "referer": _header(headers, b"referer"),
            "worker": self.pid,
        }
        if self.fmt == "json":
            line = json.dumps(record, ensure_ascii=True, separators=(",", ":"))
        else:
            line = _text_line(record, scope.get("http_version", "1.1"))
        self.logger.info(line)  # type: ignore[union-attr]


def _quoted(value: str | None) -> str:
    if value is None:
        return "-"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text_line(r: dict[str, Any], http_version: str) -> str:
    """Apache's combined format, then the extra fields as key=value."""
    when = datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").strftime("%d/%b/%Y:%H:%M:%S +0000")
    target = r["path"] + (f"?{r['query']}" if r["query"] else "")
    request = f"{r['method']} {target} HTTP/{http_version}"
    return (f"{r['client'] or '-'} - - [{when}] {_quoted(request)} {r['status']} {r['bytes']} "
            f"{_quoted(r['referer'])} {_quoted(r['user_agent'])} request_id={r['request_id']} "
            f"duration_ms={r['duration_ms']} cache={r['cache'] or '-'} error={_quoted(r['error'])} worker={r['worker']}")
