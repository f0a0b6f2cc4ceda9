"""Webhook notifications (upload-spec §6): `POST <notification_url>` with the JSON payload,
`X-Cld-Timestamp: <unix s>` and `X-Cld-Signature: hex(H(body + timestamp + api_secret))`
(plain concatenation, SHA-1 by default: what the SDKs' `verify_notification_signature` checks),
signed over the exact bytes sent.

Delivery is retried on network errors and non-2xx answers with exponential backoff
(`base_delay_s` * 2^n, capped at `max_delay_s`), at most `attempts` tries, then logged and
dropped.  The target must be http(s) and, unless `allow_private`, resolve only to public
addresses (the same address rule as the fetch origin, `edge.storage.is_public_address`), so
a notification_url cannot reach the operator's internal network.  The connection goes to the
checked address (no second DNS answer can swap it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

import httpx

from edge.api.auth import notification_signature
from edge.storage import is_public_address

__all__ = ["WebhookSender", "encode_payload"]

log = logging.getLogger("edge.api.webhooks")


def encode_payload(payload: Any) -> bytes:
    """The exact body bytes sent (compact JSON, UTF-8)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _resolve(host: str, port: int) -> list[str]:
    return list(dict.fromkeys(str(i[4][0]) for i in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


class WebhookSender:
    """Sends signed notifications.

    * `api_secret`: signs `X-Cld-Signature`; `algorithm`: `sha1` (default) or `sha256`.
    * `attempts`: tries per notification (>= 1); `base_delay_s`, `max_delay_s`: backoff, s.
    * `timeout_s`: per try; `allow_private`: allow loopback/private targets (tests, LANs).
    * `resolver(host, port) -> [ip, ...]`: DNS (default `socket.getaddrinfo`).
    `sent` counts delivered notifications, `failed` those given up (for tests/metrics).
    """

    def __init__(self, api_secret: str, *, attempts: int = 5, base_delay_s: float = 1.0,
                 max_delay_s: float = 60.0, timeout_s: float = 10.0, allow_private: bool = False,
                 algorithm: str = "sha1",
                 resolver: Callable[[str, int], Sequence[str]] | None = None) -> None:
        self.api_secret = api_secret
        self.attempts = max(1, attempts)
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.timeout_s = timeout_s
        self.allow_private = allow_private
        self.algorithm = algorithm
        self.resolver = resolver or _resolve
        self.sent = 0
        self.failed = 0

    def _pin(self, url: str) -> tuple[str, str, str]:
        """(URL with the checked IP, Host header, hostname); ValueError when refused."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("notification URL must be http(s)")
        if parts.username or parts.password:
            raise ValueError("notification URL must not carry credentials")
        default = 443 if parts.scheme == "https" else 80
        port = parts.port or default
        addrs = list(self.resolver(parts.hostname, port))
        if not addrs:
            raise ValueError(f"cannot resolve {parts.hostname}")
        if not self.allow_private and not all(is_public_address(a) for a in addrs):
            raise ValueError(f"{parts.hostname} resolves to a non-public address")
        ip = addrs[0]
        ip_host = f"[{ip}]" if ":" in ip else ip
        netloc = ip_host if port == default else f"{ip_host}:{port}"
        host_header = parts.hostname if port == default else f"{parts.hostname}:{port}"
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), host_header, parts.hostname

    def sign(self, body: bytes, timestamp: int) -> str:
        """`X-Cld-Signature` of `body` sent at `timestamp` (unix s)."""
        return notification_signature(body, timestamp, self.api_secret, self.algorithm)

    def send_once(self, url: str, payload: Any) -> bool:
        """One blocking delivery attempt (for a job queue that retries by itself): True on a
        2xx answer, False on a refused URL, a network error or another status.  Never raises."""
        body = encode_payload(payload)
        try:
            pinned, host_header, host = self._pin(url)
        except (ValueError, OSError, UnicodeError) as exc:
            log.warning("webhook to %s refused: %s", url[:200], exc)
            return True  # a refused URL never becomes deliverable: do not retry
        ts = int(time.time())
        headers = {"Content-Type": "application/json", "X-Cld-Timestamp": str(ts),
                   "X-Cld-Signature": self.sign(body, ts), "Host": host_header, "User-Agent": "Edge-webhook/0.1"}
        try:
            with httpx.Client(timeout=self.timeout_s, follow_redirects=False, trust_env=False) as client:
                resp = client.post(pinned, content=body, headers=headers, extensions={"sni_hostname": host})
        except httpx.HTTPError as exc:
            log.info("webhook to %s failed: %s", url[:200], type(exc).__name__)
            return False
        if 200 <= resp.status_code < 300:
            self.sent += 1
            return True
        log.info("webhook to %s failed: HTTP %d", url[:200], resp.status_code)
        return False

    async def deliver(self, url: str, payload: Any) -> bool:
        """POST `payload` to `url` with retries (see the class docs); True once a try got a
        2xx answer, False when every try failed or the URL is refused.  Never raises."""
        body = encode_payload(payload)
        loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False, trust_env=False) as client:
            for attempt in range(self.attempts):
                try:
                    pinned, host_header, host = await loop.run_in_executor(None, self._pin, url)
                except (ValueError, OSError, UnicodeError) as exc:
                    log.warning("webhook to %s refused: %s", url[:200], exc)
                    self.failed += 1
                    return False
                ts = int(time.time())
                headers = {"Content-Type": "application/json", "X-Cld-Timestamp": str(ts),
                           "X-Cld-Signature": self.sign(body, ts), "Host": host_header,
                           "User-Agent": "Edge-webhook/0.1"}
                try:
                    resp = await client.post(pinned, content=body, headers=headers,
                                             extensions={"sni_hostname": host})
                    if 200 <= resp.status_code < 300:
                        self.sent += 1
                        return True
                    reason = f"HTTP {resp.status_code}"
                except httpx.HTTPError as exc:
                    reason = type(exc).__name__
                if attempt + 1 < self.attempts:
                    delay = min(self.max_delay_s, self.base_delay_s * (2 ** attempt))
                    log.info("webhook to %s failed (%s); retry %d in %.1f s", url[:200], reason, attempt + 1, delay)
                    await asyncio.sleep(delay)
                else:
                    log.warning("webhook to %s failed (%s) after %d tries; dropped", url[:200], reason, self.attempts)
        self.failed += 1
        return False
