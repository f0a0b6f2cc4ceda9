"""The derivation of one derived asset, shared by delivery (a cache miss of a GET) and the
Upload API (`eager` renders), so both produce the same bytes under the same cache key and the
first GET of an eager URL is a cache hit.

Steps of `Deriver.produce`: persistent cache tier -> origin load -> render in the bounded pool
(with the vision focus hook) -> memory tier + persistent tier write.  Below both `edge.server`
and `edge.api`: imports storage, url and (lazily, through `render_fn`) render, never server.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

from edge.storage import AssetNotFound, DerivedAsset, DerivedCache, Origin, Source, derived_key
from edge.url import canonical_transformation
from edge.url.ast import DeliveryRequest

if TYPE_CHECKING:  # render loads pyvips
    from edge.render.limits import Limits
    from edge.render.rendered import Rendered

__all__ = ["Deriver", "Produced", "RenderHints", "FixedHints", "default_image"]


class RenderHints(Protocol):
    """Request-dependent render inputs (`edge.server.negotiate.Hints` has this shape):
    `accept` (modern types f_auto may use), `output` (the key's format part), `dpr_hint`,
    `width_hint` (px), `width_key` (the key's width part)."""

    accept: str
    output: str
    dpr_hint: float | None
    width_hint: int | None
    width_key: str


@dataclass(frozen=True, slots=True)
class FixedHints:
    """Hints of a render no browser asked for (eager): no Accept, no client hints; `output`
    is the requested extension ('' for the original's format), as delivery's key has it."""

    output: str = ""
    accept: str = ""
    dpr_hint: float | None = None
    width_hint: int | None = None
    width_key: str = ""
    vary: tuple[str, ...] = ()


@dataclass
class Produced:
    """A derived asset and how it was obtained: `tier` (`memory`, `disk`, `s3`, `miss`,
    `coalesced`), `load_ms`/`render_ms` (ms spent, 0 on hits), `placeholder` (the reason when
    a `d_` default image stood in for a missing original)."""

    asset: DerivedAsset
    tier: str
    load_ms: float = 0.0
    render_ms: float = 0.0
    placeholder: str | None = None


def default_image(req: DeliveryRequest) -> str | None:
    """The public_id of the request's `d_` default image, or None."""
    for comp in req.components:
        value = comp.get("d")
        if value:
            return str(getattr(value, "public_id", value))
    return None


class Deriver:
    """Produces derived assets.  Collaborators: `origin` (upload/private/authenticated
    originals), `fetch_origin` (the fetch type), `cache` (memory + persistent tiers), `pool`
    (`edge.server.pool.RenderPool`-like: `reserve()`, `run(fn, *args, reservation=)`), `io`
    (executor for blocking I/O), `render_fn` (`edge.render.render`'s signature), `limits`,
    `render_timeout_s` (s), `focus_factory(public_id, version) -> FocusProvider | None`
    (called in the render thread), `named` transformations, `load_layer(layer) -> bytes`."""

    def __init__(
        self, *, cloud_name: str, origin: Origin, fetch_origin: Origin, cache: DerivedCache, pool: Any,
        io: ThreadPoolExecutor, render_fn: Callable[..., "Rendered"], limits: "Limits",
        render_timeout_s: float, focus_factory: Callable[[str, str], Any] | None = None,
        named: Mapping[str, str] | None = None, load_layer: Callable[[Any], bytes] | None = None,
    ) -> None:
        self.cloud_name = cloud_name
        self.origin = origin
        self.fetch_origin = fetch_origin
        self.cache = cache
        self.pool = pool
        self.io = io
        self.render_fn = render_fn
        self.limits = limits
        self.render_timeout_s = render_timeout_s
        self.focus_factory = focus_factory
        self.named = dict(named or {})
        self.load_layer = load_layer
        self._background: set[asyncio.Task[Any]] = set()

    async def _io(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.io, fn, *args)

    def key(self, req: DeliveryRequest, hints: RenderHints) -> str:
        """The derived cache key of `req` rendered with `hints` (`edge.storage.derived_key`)."""
        return derived_key(
            cloud_name=self.cloud_name, delivery_type=req.delivery_type,
            transformation=canonical_transformation(req.components), public_id=req.public_id,
            version="" if req.version is None else str(req.version), output=hints.output,
            dpr="" if hints.dpr_hint is None else str(hints.dpr_hint), width_hint=hints.width_key,
        )

    async def produce(self, req: DeliveryRequest, key: str, hints: RenderHints, *,
                      wait_for_cache: bool = False, check_backing: bool = True) -> Produced:
        """The derived asset for `req` under `key`: from the persistent tier, else rendered
        (origin load and render inside one pool reservation) and written to both tiers (the
        persistent write in the background unless `wait_for_cache`).  Raises the storage,
        pool and render errors (`AssetNotFound`, `Overloaded`, `RenderError`, ...)."""
        if check_backing and self.cache.backing is not None:
            hit = await self._io(self.cache.get, key)
            if hit is not None:
                return Produced(hit[0], hit[1])
        with self.pool.reserve() as slot:
            t0 = time.perf_counter()
            placeholder = None
            origin = self.fetch_origin if req.delivery_type == "fetch" else self.origin
            try:
                source: Source = await self._io(origin.load, req.public_id)
            except AssetNotFound as exc:
                default = default_image(req)
                if default is None:
                    raise
                source = await self._io(self.origin.load, default)
                placeholder = str(exc) or "Resource not found"
            load_ms = (time.perf_counter() - t0) * 1000
            t1 = time.perf_counter()
            rendered = await self.pool.run(self.render, source, req, hints, reservation=slot)
            render_ms = (time.perf_counter() - t1) * 1000
        asset = DerivedAsset(
            data=rendered.data, content_type=rendered.content_type, format=rendered.format,
            width=rendered.width, height=rendered.height,
            etag=hashlib.sha1(rendered.data).hexdigest(), attachment=rendered.attachment,
            vary_accept=rendered.vary_accept, notice=rendered.notice,
        )
        if placeholder is None:  # a placeholder must not outlive the asset's arrival
            blob = self.cache.put_memory(key, asset)
            if self.cache.backing is not None:
                if wait_for_cache:
                    await self._io(self.cache.put_backing, key, blob)
                else:
                    task = asyncio.ensure_future(self._io(self.cache.put_backing, key, blob))
                    self._background.add(task)
                    task.add_done_callback(self._background.discard)
        return Produced(asset, "miss", load_ms, render_ms, placeholder)

    def render(self, source: Source, req: DeliveryRequest, hints: RenderHints) -> "Rendered":
        """Runs in a pool thread: build the focus provider (vision hook), then render."""
        focus = None
        if self.focus_factory is not None:
            focus = self.focus_factory(req.public_id, source.version)
        return self.render_fn(
            source.data, req, accept=hints.accept, dpr_hint=hints.dpr_hint, focus=focus,
            limits=self.limits, width_hint=hints.width_hint, named=self.named,
            load_layer=self.load_layer,
            # stop libvips once the pool has answered 503, so the thread is free again
            deadline=time.monotonic() + self.render_timeout_s,
        )

    async def drain(self) -> None:
        """Wait for background cache writes (shutdown, tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
