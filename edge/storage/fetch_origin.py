"""The origin of the `fetch` delivery type: originals downloaded from remote http(s) URLs.

Guards against server-side request forgery, following the lessons of imgproxy's
GHSA-j2hp-6m75-v4j4 (0.0.0.0 loopback bypass): the host must match the allow-list, the name is
resolved once and EVERY resolved address must be public (not loopback, private, link-local,
multicast, reserved or unspecified), and the connection is then made to that checked address
(Host header and TLS SNI keep the name), so a second DNS answer cannot swap it.  Redirects are
followed by hand, each hop re-checked.  Bodies are streamed and cut at `max_bytes`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import ipaddress
import socket
from typing import Callable, Sequence
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from edge.storage.errors import AssetNotFound, FetchDenied, OriginUnavailable, SourceTooLarge
from edge.storage.origin import Source

__all__ = ["FetchOrigin", "is_public_address"]

Resolver = Callable[[str, int], Sequence[str]]


def is_public_address(ip: str) -> bool:
    """True when `ip` is a globally routable unicast address (IPv4 or IPv6, mapped v4 unwrapped)."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return not (
        addr.is_loopback or addr.is_private or addr.is_link_local or addr.is_multicast
        or addr.is_reserved or addr.is_unspecified or not addr.is_global
    )


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class FetchOrigin:
    """Downloads `http(s)://` originals named by a fetch URL's public_id.

    * `allow`: host patterns (`fnmatch`, case-insensitive: `images.example.com`,
      `*.example.org`, `*` for any public host).  Empty = fetch disabled (`FetchDenied`).
    * `max_bytes`: body limit (`SourceTooLarge`); `timeout_s`: connect/read/write timeout, s.
    * `max_redirects`: hops followed, each re-validated.
    * `allow_private`: skip the address check (ONLY for tests or trusted internal origins).
    * `resolver(host, port) -> [ip, ...]`: DNS resolution (default: `socket.getaddrinfo`).

    `version` of a fetched `Source` is the remote ETag or Last-Modified ('' if none); `etag`
    the SHA-1 of the body.  Remote 4xx -> `AssetNotFound`; network errors, timeouts and 5xx ->
    `OriginUnavailable`.
    """

    def __init__(
        self,
        allow: Sequence[str] = (),
        *,
        max_bytes: int = 20 * 1024 * 1024,
        timeout_s: float = 10.0,
        max_redirects: int = 3,
        allow_private: bool = False,
        resolver: Resolver | None = None,
    ) -> None:
        self.allow = tuple(p.strip().lower() for p in allow if p.strip())
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        self.resolver = resolver or _system_resolver
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s), follow_redirects=False, trust_env=False,
            headers={"User-Agent": "Edge-fetch/0.1"},
        )

    def host_allowed(self, host: str) -> bool:
        """True when `host` matches one allow-list pattern."""
        host = host.lower().rstrip(".")
        return any(fnmatch.fnmatchcase(host, p) for p in self.allow)

    def _pin(self, url: str) -> tuple[str, str, str]:
        """Validate `url`; return (url with the checked IP as host, Host header value, hostname)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise FetchDenied("Invalid fetch URL") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchDenied("Fetch URL must be http or https")
        if parts.username or parts.password:
            raise FetchDenied("Fetch URL must not carry credentials")
        host = parts.hostname
        if not self.host_allowed(host):
            raise FetchDenied(f"Fetch host not allowed: {host}")
        default_port = 443 if parts.scheme == "https" else 80
        port = port or default_port
        try:
            addrs = list(self.resolver(host, port))
        except (OSError, UnicodeError) as exc:
            raise AssetNotFound(f"Cannot resolve fetch host: {host}") from exc
        if not addrs:
            raise AssetNotFound(f"Cannot resolve fetch host: {host}")
        if not self.allow_private and not all(is_public_address(a) for a in addrs):
            raise FetchDenied(f"Fetch host resolves to a non-public address: {host}")
        ip = addrs[0]
        ip_host = f"[{ip}]" if ":" in ip else ip
        netloc = ip_host if port == default_port else f"{ip_host}:{port}"
        host_header = host if port == default_port else f"{host}:{port}"
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        return pinned, host_header, host

    def load(self, public_id: str) -> Source:
        """Download the fetch URL `public_id` (see class docs)."""
        url = public_id
        for _hop in range(self.max_redirects + 1):
            pinned, host_header, host = self._pin(url)
            try:
                with self._client.stream(
                    "GET", pinned, headers={"Host": host_header},
                    extensions={"sni_hostname": host},
                ) as resp:
                    if resp.status_code in (301, 302, 303, 307, 308) and "location" in resp.headers:
                        url = urljoin(url, resp.headers["location"])
                        continue
                    if 400 <= resp.status_code < 500:
                        raise AssetNotFound(f"Fetch failed: remote answered {resp.status_code}")
                    if resp.status_code != 200:
                        raise OriginUnavailable(f"Fetch failed: remote answered {resp.status_code}")
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > self.max_bytes:
                        raise SourceTooLarge(f"Fetched original exceeds {self.max_bytes} bytes")
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in resp.iter_bytes():
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise SourceTooLarge(f"Fetched original exceeds {self.max_bytes} bytes")
                        chunks.append(chunk)
                    data = b"".join(chunks)
                    version = resp.headers.get("etag") or resp.headers.get("last-modified") or ""
                    return Source(
                        data=data, name=url, version=version.strip('"'),
                        etag=hashlib.sha1(data).hexdigest(),
                        content_type=resp.headers.get("content-type"),
                    )
            except (httpx.InvalidURL, UnicodeError) as exc:  # control characters, over-long URL
                raise FetchDenied("Invalid fetch URL") from exc
            except httpx.HTTPError as exc:
                raise OriginUnavailable(f"Fetch failed: {type(exc).__name__}") from exc
        raise AssetNotFound("Fetch failed: too many redirects")

    def check(self) -> None:
        """Fetch needs no standing connection: always ready."""

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._client.close()
