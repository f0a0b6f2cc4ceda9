"""HTTP answers: derived assets with validators and caching headers, and errors with
`X-Cld-Error`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from starlette.responses import Response

from edge.storage.derived import DerivedAsset

__all__ = ["asset_response", "asset_headers", "asset_answer", "AssetHeaders", "timing_headers", "raw_response",
           "error_response", "etag_matches", "IMMUTABLE", "IMMUTABLE_MAX_AGE", "header_safe"]

#: A year, s: the max-age of versioned URLs (RFC 8246 `immutable`).
IMMUTABLE_MAX_AGE = 31536000
IMMUTABLE = f"public, max-age={IMMUTABLE_MAX_AGE}, immutable"
_UNSAFE = re.compile(r"[^\x20-\x7e]")
_COMMON = {"Access-Control-Allow-Origin": "*", "Timing-Allow-Origin": "*"}


def header_safe(text: str, limit: int = 200) -> str:
    """`text` as a single-line printable-ASCII header value of at most `limit` chars."""
    return _UNSAFE.sub("?", text)[:limit]


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """True when an `If-None-Match` list holds `etag` (weak comparison, RFC 9110 §13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag.strip('"') == etag:
            return True
    return False


def _disposition(name: str, fmt: str) -> str:
    safe = re.sub(r'[^A-Za-z0-9._-]', "_", name) or "download"
    if "." not in safe:
        safe = f"{safe}.{fmt}"
    return f'attachment; filename="{safe}"'


RawHeaders = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class AssetHeaders:
    """The request-independent response headers of one derived asset (ASGI form: lower-case
    latin-1 names and values): `common` goes with the 200 and the 304, `full` is the 200's
    (`common` plus X-Edge-Notice, Content-Disposition, Content-Type, Content-Length).  Built
    once per memory-tier entry by the delivery hit path (`asset_headers`)."""

    common: RawHeaders
    full: RawHeaders


def asset_headers(asset: DerivedAsset, *, versioned: bool, max_age: int, vary: Iterable[str],
                  placeholder_error: str | None = None, public_for_s: int | None = None,
                  private_for_s: int | None = None) -> AssetHeaders:
    """ETag, Cache-Control (immutable when `versioned`, else `max_age` s; when `public_for_s`
    is given, the seconds the answer stays public (an access window that ends), a max-age of
    at most that and never immutable; when `private_for_s` is given, the seconds left of the
    `__cld_token__` that let the request in: `private`, so no shared cache (CDN, nginx, which
    key on the path alone) hands it to a request without the token), Vary (the request
    headers the key used, plus Accept for an f_auto asset), Accept-CH, CORS, and for the 200
    the notice, Content-Disposition of attachments, Content-Type and Content-Length.
    `placeholder_error` marks a `d_` default image: `X-Cld-Error` is kept and caching is
    short and private.  Raises UnicodeEncodeError for a value outside latin-1."""
    vary_list = list(dict.fromkeys([*vary, *(["Accept"] if asset.vary_accept else [])]))
    headers = {
        **_COMMON,
        "ETag": f'"{asset.etag}"',
        "Cache-Control": IMMUTABLE if versioned else f"public, max-age={max_age}",
    }
    if public_for_s is not None:
        longest = IMMUTABLE_MAX_AGE if versioned else max_age
        headers["Cache-Control"] = f"public, max-age={max(0, min(longest, public_for_s))}"
    if private_for_s is not None:
        longest = IMMUTABLE_MAX_AGE if versioned else max_age
        headers["Cache-Control"] = f"private, max-age={max(0, min(longest, private_for_s))}"
    if vary_list:
        headers["Vary"] = ", ".join(vary_list)
    if any(v.lower() in ("dpr", "width") for v in vary_list):
        headers["Accept-CH"] = "Sec-CH-DPR, Sec-CH-Width, DPR, Width"
    if placeholder_error:
        headers["X-Cld-Error"] = header_safe(placeholder_error)
        headers["Cache-Control"] = "private, max-age=60"
    common = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    extra: dict[str, str] = {}
    if asset.notice:
        extra["X-Edge-Notice"] = asset.notice
    if asset.attachment is not None:
        extra["Content-Disposition"] = _disposition(asset.attachment, asset.format)
    content_type = asset.content_type
    if content_type.startswith("text/") and "charset=" not in content_type.lower():
        content_type += "; charset=utf-8"  # as Starlette's Response adds
    extra["Content-Type"] = content_type
    extra["Content-Length"] = str(len(asset.data))
    full = common + [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
    return AssetHeaders(common, full)


def timing_headers(timing: Mapping[str, float], cache_tier: str) -> RawHeaders:
    """The per-request headers of a derived asset's answer: Server-Timing (`timing` in ms, and
    the cache tier as `cache;desc=`) and X-Edge-Cache (the tier)."""
    value = ", ".join(f"{k};dur={v:.1f}" for k, v in timing.items()) + f', cache;desc="{cache_tier}"'
    return [(b"server-timing", value.encode("latin-1")), (b"x-edge-cache", cache_tier.encode("latin-1"))]


def asset_answer(headers: AssetHeaders, asset: DerivedAsset, *, if_none_match: str | None,
                 timing: Mapping[str, float], cache_tier: str) -> tuple[int, RawHeaders, bytes]:
    """`(status, raw headers, body)` of a derived asset: 304 without body for a matching
    `If-None-Match` (weak comparison), else 200 with `asset.data`."""
    per_request = timing_headers(timing, cache_tier)
    if etag_matches(if_none_match, asset.etag):
        return 304, headers.common + per_request, b""
    return 200, headers.full + per_request, asset.data


def asset_response(
    asset: DerivedAsset,
    *,
    versioned: bool,
    max_age: int,
    vary: Iterable[str],
    if_none_match: str | None,
    timing: Mapping[str, float],
    cache_tier: str,
    placeholder_error: str | None = None,
) -> Response:
    """200 (or 304 for a matching `If-None-Match`) with the headers of `asset_headers` and
    Server-Timing / X-Edge-Cache (`timing_headers`), as a Starlette Response."""
    built = asset_headers(asset, versioned=versioned, max_age=max_age, vary=vary,
                          placeholder_error=placeholder_error)
    return raw_response(*asset_answer(built, asset, if_none_match=if_none_match, timing=timing,
                                      cache_tier=cache_tier))


def raw_response(status: int, headers: RawHeaders, body: bytes) -> Response:
    """A Starlette Response sending exactly `headers` (ASGI form) and `body`."""
    response = Response(status_code=status)
    response.body = body
    response.raw_headers = list(headers)
    return response


def error_response(status: int, reason: str, *, retry_after: int | None = None) -> Response:
    """A small text error with `X-Cld-Error: <reason>`; 400/404 are cacheable for a minute
    (as Cloudinary's CDN does), everything else `no-store`."""
    reason = header_safe(reason) or "Error"
    headers = {**_COMMON, "X-Cld-Error": reason,
               "Cache-Control": "public, max-age=60" if status in (400, 404) else "no-store"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(f"{status} {reason}\n", status_code=status, headers=headers, media_type="text/plain")
