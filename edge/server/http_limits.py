"""Limits of the HTTP layer itself: request head size, header count, head timeout and
connections per worker, enforced in uvicorn's httptools protocol before the app sees a request.

uvicorn (0.55) has no knob for any of these with httptools: llhttp accepts heads of any size,
uvicorn's `timeout_keep_alive` only runs between requests (a fresh connection, or one that
sends a request byte by byte, is never timed out), `h11_max_incomplete_event_size` exists for
h11 only (and answers 400), and `limit_concurrency` counts connections and tasks but answers a
bare 503 without `Retry-After`.  `EdgeHttpProtocol` subclasses uvicorn's `HttpToolsProtocol`
(passed as uvicorn's `http=` option) and adds:

* **431 Request Header Fields Too Large** (RFC 6585 §5) for a header line (name + value)
  above `max_header_line_bytes`, more than `max_headers` header fields, or a head (request
  line + headers) above `max_header_bytes`; **414 URI Too Long** for a request target above
  `max_header_line_bytes`.  Defaults follow nginx's `large_client_header_buffers 4 8k`
  (http://nginx.org/en/docs/http/ngx_http_core_module.html#large_client_header_buffers): one
  line must fit in 8 KiB, the whole head in 4 x 8 KiB; the header count default is Apache's
  `LimitRequestFields 100`.  Memory stays bounded while a huge header streams in: bytes of
  reads that fall wholly inside a head count against `max_header_bytes` before httptools has
  finished the header.
* **a head timeout**: a connection that has not sent a complete head `header_timeout_s` after
  it opened (or after the first byte of its next request) is closed, with a 408 when part of
  a request had arrived (nginx's `client_header_timeout`, Apache's `RequestReadTimeout`).
* **a connection cap**: with `max_connections` connections (or running requests) open in this
  worker, a new request is answered 503 with `Retry-After: 1` and its connection closed (the
  same count as uvicorn's `limit_concurrency`).  Slow or idle connections count too, and the
  head timeout and keep-alive timeout make them leave.

`EdgeHttpProtocol` also sends each response's head and the first part of its body in one
write (uvicorn writes them separately, so a cached answer cost two `send` system calls and two
wake-ups of the client; issue 16): see `OneWriteCycle`.

Every refusal carries `X-Cld-Error` and `Connection: close`, is logged at info level on
`uvicorn.error`, and is reported to the `observe_refusals` observers (edge.server.metrics
counts them as `edge_http_refused_total{reason}`); refused requests never reach the app, so
they are not in the access log.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

__all__ = ["HttpLimits", "EdgeHttpProtocol", "OneWriteCycle", "PROTOCOL_PATH", "observe_refusals",
           "REFUSAL_KINDS"]

#: The `kind` of every refusal reported to the observers.
REFUSAL_KINDS = ("header_too_large", "too_many_headers", "uri_too_long", "header_timeout", "idle_timeout",
                 "connection_cap")
_OBSERVERS: list[Callable[[str], None]] = []


def observe_refusals(fn: Callable[[str], None]) -> Callable[[], None]:
    """Call `fn(kind)` (one of `REFUSAL_KINDS`) on the event loop for every refusal of this
    process; `fn` must be quick and must not raise.  Returns a function that unregisters it."""
    _OBSERVERS.append(fn)

    def remove() -> None:
        if fn in _OBSERVERS:
            _OBSERVERS.remove(fn)

    return remove


def _report(kind: str) -> None:
    for fn in list(_OBSERVERS):
        fn(kind)

#: uvicorn's `http=` import string of the protocol (reads its limits from `EDGE_*`).
PROTOCOL_PATH = "edge.server.http_limits:EdgeHttpProtocol"

#: Seconds a refused connection is still read (and discarded) before it is closed.
LINGER_S = 2.0

_REASONS = {408: b"Request Timeout", 414: b"URI Too Long", 431: b"Request Header Fields Too Large",
            503: b"Service Unavailable"}


@dataclass(frozen=True)
class HttpLimits:
    """The limits of one worker.  Sizes in bytes (a header line counts `name: value\\r\\n`),
    `header_timeout_s` in seconds, `max_connections` per worker process; 0 turns a limit off."""

    max_header_bytes: int = 32768
    max_header_line_bytes: int = 8192
    max_headers: int = 100
    header_timeout_s: float = 5.0
    max_connections: int = 1000

    @classmethod
    def from_settings(cls, settings: Any) -> "HttpLimits":
        """The limits of an `edge.server.settings.Settings`."""
        return cls(max_header_bytes=settings.max_header_bytes,
                   max_header_line_bytes=settings.max_header_line_bytes,
                   max_headers=settings.max_headers, header_timeout_s=settings.header_timeout_s,
                   max_connections=settings.max_connections)


class _HeldHead:
    """The transport of a cycle while uvicorn writes a response head: keeps the bytes."""

    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data


class _HeadFirst:
    """The transport of a cycle while uvicorn writes the first body part: that write carries
    the held head in front (one `writelines`, which uvloop sends with one system call); a
    close, or a body message that writes nothing (HEAD), sends the head alone (`flush`)."""

    __slots__ = ("real", "head")

    def __init__(self, real: Any, head: bytes) -> None:
        self.real = real
        self.head = head

    def write(self, data: bytes) -> None:
        head, self.head = self.head, b""
        if head:
            self.real.writelines((head, data))
        else:
            self.real.write(data)

    def flush(self) -> None:
        head, self.head = self.head, b""
        if head and not self.real.is_closing():
            self.real.write(head)

    def close(self) -> None:
        self.flush()
        self.real.close()

    def is_closing(self) -> bool:
        return bool(self.real.is_closing())


class OneWriteCycle(RequestResponseCycle):
    """uvicorn's request/response cycle, but the response head is held until the first
    `http.response.body` message and written with it (same bytes, same order, one write):
    uvicorn's `send` runs unchanged with `transport` swapped for a holder while it writes the
    head and for `_HeadFirst` while it writes the body.  A head whose body never comes (the
    client left, the app failed) is not sent, as a response cut short either way."""

    _held: bytes = b""

    async def send(self, message: Any) -> None:
        if message["type"] == "http.response.start" and not self.response_started:
            real, holder = self.transport, _HeldHead()
            self.transport = holder
            try:
                await super().send(message)
            finally:
                self.transport = real
            self._held = holder.data
            return
        head = self._held
        if not head:
            await super().send(message)
            return
        self._held = b""
        real = self.transport
        first = self.transport = _HeadFirst(real, head)
        try:
            await super().send(message)
        finally:
            self.transport = real
            if not self.disconnected:
                first.flush()


class _Refused(Exception):
    """Raised inside an httptools callback to stop parsing; `send_400_response` answers it."""


class EdgeHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with `HttpLimits` (see the module docstring).

    `limits` is a class attribute: None (the importable class that `edge serve` names) reads
    `Settings.from_env()` once per process; `with_limits(limits)` makes a subclass with fixed
    limits (in-process servers, tests)."""

    limits: ClassVar[HttpLimits | None] = None
    _env_limits: ClassVar[HttpLimits | None] = None

    @classmethod
    def with_limits(cls, limits: HttpLimits) -> type["EdgeHttpProtocol"]:
        """A subclass enforcing `limits` (not importable by name: single process only)."""
        return type("EdgeHttpProtocol", (cls,), {"limits": limits})

    @classmethod
    def _resolve_limits(cls) -> HttpLimits:
        if cls.limits is not None:
            return cls.limits
        if EdgeHttpProtocol._env_limits is None:
            from edge.server.settings import Settings

            EdgeHttpProtocol._env_limits = HttpLimits.from_settings(Settings.from_env())
        return EdgeHttpProtocol._env_limits

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = self._resolve_limits()
        self._in_head = True  # waiting for (the rest of) a request head
        self._began = False  # a request of this connection has sent its first byte
        self._head_bytes = 0  # bytes of the current head seen so far (parsed pieces)
        self._raw_head_bytes = 0  # bytes of reads wholly inside the current head
        self._header_count = 0
        self._heads = 0  # requests begun on this connection
        self._refusal: tuple[int, str, str] | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._app = self.app

    # ---- connection -----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return
        in_head_before, began_before, heads_before = self._in_head, self._began, self._heads
        super().data_received(data)
        if self._refusal is not None or self.transport.is_closing():
            return
        # the whole read is head bytes: a head had begun before it and is still unfinished
        if in_head_before and began_before and self._in_head and self._heads == heads_before:
            self._raw_head_bytes += len(data)
            if 0 < self._limits.max_header_bytes < self._raw_head_bytes:
                self._refuse_now(431, "Request header too large", "header_too_large")

    # ---- parser callbacks -----------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._began = True
        self._heads += 1
        self._head_bytes = self._raw_head_bytes = self._header_count = 0
        if self._head_timer is None:
            self._arm_head_timer()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._head_bytes += len(url)
        if 0 < self._limits.max_header_line_bytes < len(self.url):
            self._refuse(414, "Request URI too long", "uri_too_long")

    def on_header(self, name: bytes, value: bytes) -> None:
        size = len(name) + len(value) + 4  # "name: value\r\n"
        self._head_bytes += size
        self._header_count += 1
        if 0 < self._limits.max_header_line_bytes < size:
            self._refuse(431, "Request header field too large", "header_too_large")
        if 0 < self._limits.max_headers < self._header_count:
            self._refuse(431, "Too many request header fields", "too_many_headers")
        if 0 < self._limits.max_header_bytes < self._head_bytes:
            self._refuse(431, "Request header too large", "header_too_large")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._began = False
        self._cancel_head_timer()
        cap = self._limits.max_connections
        if cap and (len(self.connections) > cap or len(self.tasks) >= cap):
            self.app = _busy  # this request only: uvicorn reads `self.app` here
            try:
                super().on_headers_complete()
            finally:
                self.app = self._app
            self._log_refusal(503, f"connection cap of {cap} reached", "connection_cap")
            return
        super().on_headers_complete()
        if type(self.cycle) is RequestResponseCycle:  # (not an upgrade): head and body in one write
            self.cycle.__class__ = OneWriteCycle

    # ---- refusals -------------------------------------------------------------------------
    def _refuse(self, status: int, reason: str, kind: str) -> None:
        """Stop parsing (from inside a callback); uvicorn then calls `send_400_response`."""
        self._refusal = (status, reason, kind)
        raise _Refused(reason)

    def send_400_response(self, msg: str) -> None:
        if self._refusal is None:
            super().send_400_response(msg)
            return
        self._write_refusal(*self._refusal)

    def _refuse_now(self, status: int, reason: str, kind: str) -> None:
        self._refusal = (status, reason, kind)
        self._write_refusal(status, reason, kind)

    def _log_refusal(self, status: int, reason: str, kind: str) -> None:
        peer = "%s:%d" % self.client if self.client else "-"
        self.logger.info("%s - refused with %d: %s", peer, status, reason)
        _report(kind)

    def _write_refusal(self, status: int, reason: str, kind: str) -> None:
        """Answer, half-close, and keep reading (discarding) for up to `LINGER_S` before the
        close: closing a socket with unread input sends a TCP reset, which can destroy the
        answer before the client reads it (nginx's `lingering_close` does the same)."""
        self._cancel_head_timer()
        self._log_refusal(status, reason, kind)
        body = f"{status} {reason}\n".encode("ascii")
        self.transport.write(_head(status, reason, len(body)) + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_S, self._close)
        else:  # pragma: no cover - TCP transports can
            self.transport.close()

    def _close(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()

    # ---- head timeout ---------------------------------------------------------------------
    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        if self._limits.header_timeout_s > 0:
            self._head_timer = self.loop.call_later(self._limits.header_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        if self._began:  # part of a request arrived: say why (nginx logs the same 408)
            self._refuse_now(408, "Request header timeout", "header_timeout")
        else:
            self._refusal = (408, "idle", "idle_timeout")
            _report("idle_timeout")
            self.transport.close()


def _head(status: int, reason: str, length: int) -> bytes:
    return (b"HTTP/1.1 %d %s\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n"
            b"x-cld-error: %s\r\ncache-control: no-store\r\nconnection: close\r\n\r\n"
            % (status, _REASONS[status], length, reason.encode("ascii")))


async def _busy(scope: Any, receive: Any, send: Any) -> None:
    """The answer above the connection cap (ASGI app): 503 + Retry-After, connection closed."""
    body = b"503 Server busy: connection limit reached\n"
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"1"), (b"x-cld-error", b"Server busy: connection limit reached"),
        (b"cache-control", b"no-store"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
