"""HTTP answers: derived assets with validators and caching headers, and errors with
`X-Cld-Error`."""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from starlette.responses import Response

from edge.storage.derived import DerivedAsset

__all__ = ["asset_response", "error_response", "etag_matches", "IMMUTABLE", "header_safe"]

IMMUTABLE = "public, max-age=31536000, immutable"
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
    """200 (or 304 for a matching `If-None-Match`) with ETag, Cache-Control (immutable when
    `versioned`), Vary, CORS, Server-Timing (`timing` in ms) and Content-Disposition for
    attachments.  `placeholder_error` marks a `d_` default image: `X-Cld-Error` is kept and
    caching is short and private."""
    vary_list = list(dict.fromkeys([*vary, *(["Accept"] if asset.vary_accept else [])]))
    headers = {
        **_COMMON,
        "ETag": f'"{asset.etag}"',
        "Cache-Control": IMMUTABLE if versioned else f"public, max-age={max_age}",
        "Server-Timing": ", ".join(f"{k};dur={v:.1f}" for k, v in timing.items())
        + f', cache;desc="{cache_tier}"',
        "X-Edge-Cache": cache_tier,
    }
    if vary_list:
        headers["Vary"] = ", ".join(vary_list)
    if any(v.lower() in ("dpr", "width") for v in vary_list):
        headers["Accept-CH"] = "Sec-CH-DPR, Sec-CH-Width, DPR, Width"
    if placeholder_error:
        headers["X-Cld-Error"] = header_safe(placeholder_error)
        headers["Cache-Control"] = "private, max-age=60"
    if etag_matches(if_none_match, asset.etag):
        return Response(status_code=304, headers=headers)
    if asset.notice:
        headers["X-Edge-Notice"] = asset.notice
    if asset.attachment is not None:
        headers["Content-Disposition"] = _disposition(asset.attachment, asset.format)
    return Response(asset.data, status_code=200, headers=headers, media_type=asset.content_type)


def error_response(status: int, reason: str, *, retry_after: int | None = None) -> Response:
    """A small text error with `X-Cld-Error: <reason>`; 400/404 are cacheable for a minute
    (as Cloudinary's CDN does), everything else `no-store`."""
    reason = header_safe(reason) or "Error"
    headers = {**_COMMON, "X-Cld-Error": reason,
               "Cache-Control": "public, max-age=60" if status in (400, 404) else "no-store"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(f"{status} {reason}\n", status_code=status, headers=headers, media_type="text/plain")
