"""Sources of the Analyze API (upload-spec §5.1 `source`): what is analysed, and reading it.

`classify(source, own_hosts=...)` turns the request's ``{"uri": ...}`` / ``{"asset_id": ...}``
into a `SourceRef` (400 `AnalyzeError` for anything else):

* ``asset``: an asset_id of the catalogue; the stored original of its current version is read
  from the origin (`edge.storage.writable.original_key`); unknown -> 404.
* ``delivery``: a uri on this Edge's own delivery host (the public base URL, its https twin, or
  the Host the request came to): the path is parsed with `edge.url.parse` and read in-process,
  never over HTTP: without a transformation the original (catalogue row or origin by
  public_id), with one the derived asset through `edge.derive.Deriver` (the same code path and
  cache keys as delivery and eager renders).
* ``remote``: any other http(s) uri, through the fetch origin (`edge.storage.FetchOrigin`: its
  host allow-list, public-address rule and size limit).  Refused -> 403, unreachable -> 400.

`load(ref, ctx, max_bytes)` (async) returns the bytes; a source above `max_bytes` is a 413.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

__all__ = ["SourceRef", "AnalyzeError", "classify", "load", "own_hosts", "MAX_URI"]

MAX_URI = 4096  # characters
_ASSET_ID = re.compile(r"^[0-9a-f]{32}$")


class AnalyzeError(Exception):
    """An Analyze API failure answered in the §5.1 error envelope: HTTP `status`, `code`
    (snake_case), client-safe `message`, `details` (JSON object), `category` (default by
    status: 401 auth_error, 429 rate_limit_error, 5xx server_error, else user_error),
    extra response `headers`, and `limits` (the top-level block of a 429)."""

    def __init__(self, status: int, code: str, message: str, *, details: Mapping[str, Any] | None = None,
                 category: str | None = None, headers: Mapping[str, str] | None = None,
                 limits: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = dict(details or {})
        self.category = category or ("auth_error" if status == 401 else "rate_limit_error" if status == 429
                                     else "server_error" if status >= 500 else "user_error")
        self.headers = dict(headers or {})
        self.limits = dict(limits) if limits is not None else None


@dataclass(frozen=True, slots=True)
class SourceRef:
    """What to analyse: `kind` (``asset``, ``delivery``, ``remote``), `entity` (what
    ``data.entity`` answers: the uri or asset_id as sent), `value` (the asset_id, the
    delivery path, or the remote uri).  JSON-able (job payloads carry it as a dict)."""

    kind: str
    entity: str
    value: str

    def as_dict(self) -> dict[str, str]:
        """The ref as a plain dict (job payloads)."""
        return {"kind": self.kind, "entity": self.entity, "value": self.value}


def own_hosts(public_url: str, secure_url: str, request_host: str | None) -> tuple[tuple[str, str], ...]:
    """(netloc, path prefix) pairs that name this Edge's delivery host (lower-case netloc)."""
    out: list[tuple[str, str]] = []
    for base in (public_url, secure_url):
        if base:
            p = urlsplit(base)
            out.append((p.netloc.lower(), p.path.rstrip("/")))
    if request_host:
        out.append((request_host.lower(), ""))
    return tuple(dict.fromkeys(out))


def classify(source: Any, *, hosts: Iterable[tuple[str, str]]) -> SourceRef:
    """The `SourceRef` of a request's `source` object (see the module docs).  Raises
    `AnalyzeError` 400 for a missing or malformed source."""
    if not isinstance(source, Mapping):
        raise AnalyzeError(400, "invalid_source", "source must be an object: {\"uri\": ...} or {\"asset_id\": ...}")
    keys = set(source)
    if keys == {"asset_id"}:
        asset_id = source["asset_id"]
        if not isinstance(asset_id, str) or not _ASSET_ID.match(asset_id):
            raise AnalyzeError(400, "invalid_source", "source.asset_id must be 32 lowercase hex characters")
        return SourceRef("asset", asset_id, asset_id)
    if keys != {"uri"}:
        raise AnalyzeError(400, "invalid_source", "source needs exactly one of uri or asset_id",
                           details={"keys": sorted(str(k)[:40] for k in keys)})
    return classify_uri(source["uri"], hosts=hosts)


def classify_uri(uri: Any, *, hosts: Iterable[tuple[str, str]]) -> SourceRef:
    """The `SourceRef` of an http(s) `uri` (400 `AnalyzeError` when it is not one)."""
    if not isinstance(uri, str) or not uri.strip():
        raise AnalyzeError(400, "invalid_source", "uri must be a non-empty string")
    uri = uri.strip()
    if len(uri) > MAX_URI or any(ord(c) < 32 or ord(c) == 127 for c in uri):
        raise AnalyzeError(400, "invalid_source", "uri is too long or contains control characters")
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise AnalyzeError(400, "invalid_source", "uri is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise AnalyzeError(400, "invalid_source", "uri must be an http(s) URL")
    netloc = parts.netloc.lower()
    for host, prefix in hosts:
        if netloc == host and (not prefix or parts.path == prefix or parts.path.startswith(prefix + "/")):
            return SourceRef("delivery", uri, parts.path[len(prefix):] or "/")
    return SourceRef("remote", uri, uri)


def _check_size(data: bytes, max_bytes: int) -> bytes:
    if max_bytes and len(data) > max_bytes:
        raise AnalyzeError(413, "source_too_large", f"Source is {len(data)} bytes, more than the {max_bytes} allowed",
                           details={"bytes": len(data), "limit": max_bytes})
    return data


async def _io(ctx: Any, fn: Any, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(ctx.io, fn, *args)


async def load(ref: SourceRef, ctx: Any, max_bytes: int, record: Any = None) -> bytes:
    """The bytes of `ref` (see the module docs) for an `edge.api.context.ApiContext`.
    `record`: the catalogue record of an ``asset`` ref when already looked up.  Raises
    `AnalyzeError`: 404 unknown asset or missing original, 403 refused uri, 400 unreachable
    or malformed uri, 413 above `max_bytes`."""
    from edge.storage.errors import AssetNotFound, FetchDenied, OriginUnavailable, SourceTooLarge
    from edge.storage.writable import original_key

    try:
        if ref.kind == "asset":
            if record is None:
                record = await _io(ctx, ctx.catalogue.get_by_asset_id, ref.value)
            if record is None:
                raise AnalyzeError(404, "asset_not_found", f"Asset not found - {ref.value}")
            source = await _io(ctx, ctx.store.load_key, original_key(record.version_id, record.format))
            return _check_size(source.data, max_bytes)
        if ref.kind == "delivery":
            return _check_size(await _delivery(ref, ctx), max_bytes)
        source = await _io(ctx, ctx.fetch_origin.load, ref.value)
        return _check_size(source.data, max_bytes)
    except AnalyzeError:
        raise
    except SourceTooLarge as exc:
        raise AnalyzeError(413, "source_too_large", str(exc)) from None
    except FetchDenied as exc:
        raise AnalyzeError(403, "source_not_allowed", f"Source uri refused - {exc}", category="user_error") from None
    except AssetNotFound as exc:
        if ref.kind == "remote":
            raise AnalyzeError(400, "source_unreachable", f"Source uri could not be loaded - {exc}") from None
        raise AnalyzeError(404, "asset_not_found", f"Source not found - {exc}") from None
    except OriginUnavailable as exc:
        if ref.kind == "remote":
            raise AnalyzeError(400, "source_unreachable", f"Source uri could not be loaded - {exc}") from None
        raise


async def _delivery(ref: SourceRef, ctx: Any) -> bytes:
    """A delivery path of this Edge, read in-process (original, or derived through the
    deriver when the path has a transformation)."""
    from edge.derive import FixedHints
    from edge.url import UrlError, parse

    deriver = ctx.deriver
    try:
        req = parse(ref.value, cloud_name=ctx.cloud_name)
    except UrlError as exc:
        raise AnalyzeError(400, "invalid_source", f"uri is not a valid delivery URL of this Edge: {exc}") from None
    if req.cloud_name != ctx.cloud_name or req.resource_type != "image":
        raise AnalyzeError(404, "asset_not_found", f"Unknown cloud or resource type in uri: {req.cloud_name}/"
                                                   f"{req.resource_type}")
    if req.delivery_type not in ("upload", "private", "authenticated", "fetch"):
        raise AnalyzeError(400, "invalid_source", f"Unsupported delivery type in uri: {req.delivery_type}")
    hints = FixedHints(output=req.format or "")
    target = await deriver.target(req, hints)
    if req.components:
        from edge.render.errors import RenderError

        try:
            produced = await deriver.produce(req, target, hints)
        except RenderError as exc:
            raise AnalyzeError(400, "invalid_image", f"Cannot render the uri's transformation: {exc}") from None
        return produced.asset.data
    if target.stored_key is not None:
        source = await _io(ctx, ctx.store.load_key, target.stored_key)
    elif req.delivery_type == "fetch":
        source = await _io(ctx, ctx.fetch_origin.load, req.public_id)
    else:
        source = await _io(ctx, deriver.origin.load, req.public_id)
    return source.data
