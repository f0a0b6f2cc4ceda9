"""GET/HEAD of delivery URLs: raw path -> parse -> signature policy -> cache -> origin ->
render (bounded pool) -> cache write-through -> HTTP answer.

Every client-caused failure maps to its status with `X-Cld-Error` (see `errors.classify`);
only genuine bugs reach the 500 branch, which logs them.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from edge.derive import Deriver, Produced as _Produced
from edge.server.errors import classify
from edge.server.metrics import Metrics
from edge.server.negotiate import Hints, negotiate
from edge.assets.access import public_until, restriction
from edge.server.policy import signature_reason
from edge.server.pool import RenderPool
from edge.server.responses import AssetHeaders, asset_answer, asset_headers, error_response
from edge.storage.derived import DerivedAsset
from edge.server.settings import Settings
from edge.storage import AssetNotFound, DerivedCache, Origin, SingleFlight
from edge.storage.derived_cache import NOT_READY
from edge.url import UrlError, canonical_transformation, parse, verify_signature
from edge.url.token import TokenError, parse_token, token_from, verify_token
from edge.url.ast import DeliveryRequest
from edge.url.errors import SignatureSegmentError

if TYPE_CHECKING:  # render loads pyvips: imported for real only when the app is built
    from edge.render.limits import Limits
    from edge.render.rendered import Rendered

__all__ = ["Delivery", "raw_request_path"]

log = logging.getLogger("edge.server")

SUPPORTED_TYPES = frozenset({"upload", "private", "authenticated", "fetch"})
#: first segments of cloud-less delivery paths: resource types and the SDK's short forms
ROOT_PREFIXES = frozenset({"image", "video", "raw", "iu", "images", "files"})

#: `edge.render.render`'s signature: (source bytes, request, **inputs) -> Rendered.
RenderFn = Callable[..., "Rendered"]
#: Delivery paths whose checked parse a worker remembers (`Delivery._prepare`), and derived
#: assets whose built headers it remembers; each map is emptied when it grows past this.
MEMO_ENTRIES = 4096
#: Longest path remembered, chars (longer ones, rare, are parsed every time): bounds the memo
#: at ~4096 x (1 KiB + the parsed request), a few MB, whatever paths a client sends.
MEMO_PATH_CHARS = 1024


def _header_inputs(asset: DerivedAsset) -> tuple[Any, ...]:
    """Every field of `asset` its answer's headers are made from (`asset_headers`): a
    remembered header set is reused only for an entry with the same ones, and the memo holds
    these, never the asset (whose bytes must leave with its memory-tier entry)."""
    return (asset.etag, len(asset.data), asset.content_type, asset.format, asset.attachment,
            asset.vary_accept, asset.notice)


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a delivery path alone decides, checked once per worker and path (`_prepare`): the
    parsed `req`, its `chain` (t_ expanded), the `transformation` part of its cache keys
    (canonical), and `hints` when they depend on no request header (no f_auto, dpr_auto or
    w_auto in the chain), else None (negotiated per request)."""

    req: DeliveryRequest
    chain: tuple[Any, ...]
    transformation: str
    hints: Hints | None


def _request_header(scope: Mapping[str, Any], name: bytes) -> str | None:
    """The first value of request header `name` (lower-case) as latin-1 text, or None."""
    for k, v in scope.get("headers", ()):
        if k == name:
            return v.decode("latin-1")
    return None


def raw_request_path(scope: Mapping[str, Any]) -> str:
    """The request path exactly as sent (percent-encoding untouched), from ASGI `raw_path`.
    Raises UrlError for bytes that are not ASCII (a URL path must be percent-encoded)."""
    raw = scope.get("raw_path")
    if raw is None:  # a server without raw_path: re-encode the decoded path (best effort)
        from urllib.parse import quote

        return quote(scope.get("path", "/"), safe="/:@!$&'()*+,;=-._~%")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise UrlError("Invalid path: non-ASCII bytes must be percent-encoded") from None
    return text.split("?", 1)[0]


class Delivery:
    """The delivery endpoint, an ASGI app (the catch-all route).  Collaborators (all required):

    * `origin`: originals of upload/private/authenticated; `fetch_origin`: the fetch type.
    * `cache`: the derived cache; `pool`: the bounded render pool; `io`: executor for blocking
      origin/cache I/O; `metrics`; `render_fn`: `edge.render.render`'s signature;
    * `focus_factory(public_id, version) -> FocusProvider | None`: called in the render thread
      per miss (None: render's saliency default);
    * `named`: named transformations for `t_<name>`; `load_layer(layer) -> bytes`: sources of
      image layers (`edge.server.layers.LayerLoader`);
    * `catalogue`: the asset catalogue (None: every original is read by public_id).

    All but `settings`, `metrics` and the URL limits go to the `Deriver` (the miss path, shared
    with the Upload API), which holds them; `cache` and `pool` are read through it.

    The hit path (issue 16): what the path alone decides (parse, route, chain limits,
    signature, header-independent hints, the canonical transformation) is checked once per
    path and remembered (`Prepared`; only paths that passed every check); the headers of a
    memory-tier asset are built once per entry (`AssetHeaders`); the answer is sent as two
    ASGI messages.  The catalogue look-up (`Deriver.target`, its 1 s memo) and the access rules
    of restricted assets (`_check_access`) still run for every request, before any cache.
    """

    def __init__(
        self, settings: Settings, *, origin: Origin, fetch_origin: Origin, cache: DerivedCache,
        pool: RenderPool, io: ThreadPoolExecutor, metrics: Metrics, render_fn: RenderFn, limits: Limits,
        focus_factory: Callable[[str, str], Any] | None = None,
        named: Mapping[str, str] | None = None, load_layer: Callable[[Any], bytes] | None = None,
        catalogue: Any = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        # issue 9: URL limits from the settings; render threads deep enough for the longest chain
        from edge.render.cost import stack_bytes

        self.limits = replace(limits, max_components=settings.max_components,
                              max_costly_ops=settings.max_costly_ops, max_cost_mp=settings.max_cost_mp)
        pool.require_stack(stack_bytes(self.limits))
        #: the miss path (shared with the Upload API's eager renders)
        self.deriver = Deriver(
            cloud_name=settings.cloud_name, origin=origin, fetch_origin=fetch_origin, cache=cache,
            pool=pool, io=io, render_fn=render_fn, limits=self.limits,
            render_timeout_s=settings.render_timeout_s, focus_factory=focus_factory,
            named=named, load_layer=load_layer, catalogue=catalogue,
        )
        self.named = self.deriver.named
        #: first path segments that mark a non-root delivery path (see `_parse`)
        self._rooted = frozenset({settings.cloud_name, *ROOT_PREFIXES})
        self.flights: SingleFlight[_Produced] = SingleFlight()
        self._prepared: dict[str, Prepared] = {}
        #: cache key -> (header inputs, versioned, vary, headers) of memory-tier answers
        self._headers: dict[str, tuple[tuple[Any, ...], bool, tuple[str, ...], AssetHeaders]] = {}
        self._tier_counters: dict[str, Any] = {}

    @property
    def cache(self) -> DerivedCache:
        """The derived cache (the deriver's)."""
        return self.deriver.cache

    @property
    def pool(self) -> RenderPool:
        """The render pool (the deriver's)."""
        return self.deriver.pool

    # ---- entry points ---------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI: answer one GET/HEAD delivery request (never raises for client input)."""
        try:
            status, headers, body = await self._answer(scope)
        except Exception as exc:  # noqa: BLE001 - mapped to a status below
            await self._failure(exc, scope)(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _failure(self, exc: Exception, scope: Scope) -> Response:
        status, reason, retry = classify(exc)
        if status >= 500 and retry is None:
            log.exception("unexpected error for %s", scope.get("path"))
        return error_response(status, reason, retry_after=retry)

    async def unrouted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI handler for paths no route matched (the router's `default`): Starlette's
        `{path:path}` does not match a decoded newline, so `l_text:...Line1%0ALine2` (the
        documented multi-line text) got a bare 404.  GET/HEAD are delivered as usual; other
        methods answer 405 with `X-Cld-Error`."""
        if scope["type"] != "http":
            return
        if scope["method"] in ("GET", "HEAD"):
            await self(scope, receive, send)
            return
        response = error_response(405, "Method not allowed")
        response.headers["Allow"] = "GET, HEAD"
        await response(scope, receive, send)

    def _prepare(self, path: str, *, by_token: bool = False) -> Prepared:
        """The checked, path-only part of a request (see the class docs), remembered per path
        once every check passed.  `by_token`: a valid `__cld_token__` stands in for a missing
        signature, and the result is not remembered (the next request may carry none).
        Raises what `_parse` and the checks raise (SignatureRequired when only a signature or
        token is missing)."""
        prepared = None if by_token else self._prepared.get(path)
        if prepared is not None:
            return prepared
        req = self._parse(path)
        self._check_route(req)
        chain = self._check_chain(req)
        self._check_signature(req, path, chain, by_token=by_token)
        fixed = negotiate(req, {}, chain)  # varies on nothing: the same for every request
        prepared = Prepared(req, chain, canonical_transformation(req.components), None if fixed.vary else fixed)
        if not by_token and len(path) <= MEMO_PATH_CHARS:
            if len(self._prepared) >= MEMO_ENTRIES:
                self._prepared.clear()
            self._prepared[path] = prepared
        return prepared

    async def _answer(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        t0 = time.perf_counter()
        path = raw_request_path(scope)
        token_for_s: int | None = None  # set when a `__cld_token__` let the request in
        try:
            prepared = self._prepare(path)
        except SignatureRequired:
            token_for_s = self._token(scope, path)
            if token_for_s is None:
                raise
            prepared = self._prepare(path, by_token=True)
        req = prepared.req
        parse_ms = (time.perf_counter() - t0) * 1000
        if prepared.hints is not None:
            hints = prepared.hints
            if_none_match = _request_header(scope, b"if-none-match")
        else:
            headers = Headers(scope=scope)
            hints = negotiate(req, headers, prepared.chain)
            if_none_match = headers.get("if-none-match")
        target = await self.deriver.target(req, hints, transformation=prepared.transformation)
        try:
            public_for_s = self._check_access(req, target.record, by_token=token_for_s is not None)
        except SignatureRequired:  # before any cache: the row decides
            token_for_s = self._token(scope, path)
            if token_for_s is None:
                raise
            public_for_s = None
        key = target.key
        versioned = req.version is not None
        found = self.cache.get_nowait(key)  # memory tier, or a small page-cached disk-tier file
        if type(found) is tuple:
            asset, tier = found
            inputs = _header_inputs(asset)
            remembered = self._headers.get(key)
            if public_for_s is not None or token_for_s is not None:  # a lifetime per request
                built = asset_headers(asset, versioned=versioned, max_age=self.settings.max_age, vary=hints.vary,
                                      public_for_s=public_for_s, private_for_s=token_for_s)
            elif (remembered is not None and remembered[0] == inputs and remembered[1] is versioned
                    and remembered[2] == hints.vary):
                built = remembered[3]
            else:
                built = asset_headers(asset, versioned=versioned, max_age=self.settings.max_age, vary=hints.vary)
                if len(self._headers) >= MEMO_ENTRIES:
                    self._headers.clear()
                self._headers[key] = (inputs, versioned, hints.vary, built)
            timing = {"parse": parse_ms, "load": 0.0, "render": 0.0, "total": (time.perf_counter() - t0) * 1000}
        else:
            leader = False
            check_backing = found is NOT_READY  # None: every tier said miss just now

            async def produce() -> _Produced:
                nonlocal leader
                leader = True
                return await self.deriver.produce(req, target, hints, check_backing=check_backing)

            produced = await self.flights.run(key, produce)
            tier = produced.tier if leader else "coalesced"
            asset = produced.asset
            built = asset_headers(asset, versioned=versioned, max_age=self.settings.max_age, vary=hints.vary,
                                  placeholder_error=produced.placeholder, public_for_s=public_for_s,
                                  private_for_s=token_for_s)
            load_ms, render_ms = (produced.load_ms, produced.render_ms) if leader else (0.0, 0.0)
            timing = {"parse": parse_ms, "load": load_ms, "render": render_ms,
                      "total": (time.perf_counter() - t0) * 1000}
        counter = self._tier_counters.get(tier)
        if counter is None:
            counter = self._tier_counters[tier] = self.metrics.cache.labels(tier)
        counter.inc()
        return asset_answer(built, asset, if_none_match=if_none_match, timing=timing, cache_tier=tier)

    # ---- checks ---------------------------------------------------------------------------
    def _check_route(self, req: DeliveryRequest) -> None:
        if req.cloud_name != self.settings.cloud_name:
            raise AssetNotFound(f"Unknown cloud name: {req.cloud_name}")
        if req.resource_type != "image":
            raise AssetNotFound(f"Unsupported resource type: {req.resource_type}")
        if req.delivery_type not in SUPPORTED_TYPES:
            raise AssetNotFound(f"Unsupported delivery type: {req.delivery_type}")

    def _parse(self, path: str) -> DeliveryRequest:
        """Parse the raw path.  With the `root_path` setting, a path whose first segment is
        neither the cloud name nor a resource type / short form (`image`, `iu`, `images`, ...)
        is read in the SDK's root-path form (`use_root_path`: image/upload of the configured
        cloud), so `/c_fill,w_400/samples/cat.jpg` works on a host dedicated to one cloud.
        A malformed or misplaced signature segment is a SignatureError (401, as any bad
        signature), not a 400."""
        root = self.settings.root_path and path.split("/", 2)[1] not in self._rooted
        try:
            return parse(path, cloud_name=self.settings.cloud_name, root_path=root)
        except SignatureSegmentError as exc:
            raise SignatureError(str(exc)) from None

    def _check_chain(self, req: DeliveryRequest) -> tuple[Any, ...]:
        """The URL limits (components, costly operations: ChainLimitError 400) on the chain
        with `t_` expanded, before the cache, the origin or any pixel; returns that chain."""
        from edge.render.cost import check_chain

        return check_chain(req.components, self.named, self.limits)

    def _check_signature(self, req: DeliveryRequest, path: str, chain: Sequence[Any], *,
                         by_token: bool = False) -> None:
        """SignatureError (401) unless the signature is valid or not needed (SignatureRequired
        when it is missing; `by_token`: a verified token stands in for it); `chain` is the
        transformation with `t_` expanded (what needs a signature is what will run)."""
        reason = signature_reason(req, self.settings.signed, chain)
        secret = self.settings.api_secret
        if req.signature is None:
            if reason and not by_token:
                raise SignatureRequired(f"Signature required: {reason}")
            return
        if not secret:
            if reason:
                raise SignatureError("Signature required but no api_secret is configured")
            return
        if not verify_signature(path, secret, root_path=req.short_form == "root"):
            raise SignatureError("Invalid signature")

    def _check_access(self, req: DeliveryRequest, record: Any, *, by_token: bool = False) -> int | None:
        """SignatureRequired (401) for an `upload`-type catalogue asset whose `access_mode` or
        `access_control` restricts it now (`edge.assets.access.restriction`) when the URL
        carries no signature (a present one was verified by `_check_signature`) and no token
        was verified (`by_token`).  Returns the whole seconds an unsigned answer stays public
        when its open anonymous window ends (`public_until`: the answer's cache lifetime is
        capped at it), else None."""
        if record is None or req.delivery_type != "upload":
            return None
        now = datetime.now(timezone.utc)
        reason = restriction(record, now)
        anonymous = (req.signature is None or not self.settings.api_secret) and not by_token
        if reason and anonymous:
            raise SignatureRequired(f"Signature required: {reason}")
        until = public_until(record, now) if anonymous and not reason else None
        return None if until is None else int((until - now).total_seconds())

    def _token(self, scope: Scope, path: str) -> int | None:
        """The whole seconds left of the request's `__cld_token__` (query, else cookie) when it
        is valid for `path` (`edge.url.token.verify_token` with the `auth_token_key` setting and
        the client's address), None when no key is configured or the request carries no token.
        Raises SignatureError (401) naming why a carried token is refused."""
        key = self.settings.auth_token_key
        if not key:
            return None
        text = token_from(scope.get("query_string", b"").decode("latin-1"), _request_header(scope, b"cookie"))
        if text is None:
            return None
        client = scope.get("client")
        try:
            token = parse_token(text)
            now = time.time()
            verify_token(token, path, key, now=now, client_ip=client[0] if client else None)
        except TokenError as exc:
            raise SignatureError(str(exc)) from None
        return max(1, int(token.expiry - now))

    async def drain(self) -> None:
        """Wait for background cache writes (shutdown, tests)."""
        await self.deriver.drain()


class SignatureError(Exception):
    """Missing or invalid signature where one is required (HTTP 401)."""

    status = 401


class SignatureRequired(SignatureError):
    """A signature is required and the URL carries none (HTTP 401): a valid `__cld_token__`
    may stand in for it."""
