"""The derivation of one derived asset, shared by delivery (a cache miss of a GET) and the
Upload API (`eager` renders), so both produce the same bytes under the same cache key and the
first GET of an eager URL is a cache hit.

Steps: `Deriver.target` resolves the request against the catalogue (a catalogue asset's
original is stored under its version_id, `edge.storage.writable.original_key`, and that
version_id is the version part of its derived keys, so a new version or a re-upload never meets
an old derivative; a `v<version>` of an old version answers 404 unless that version was kept;
an id with no catalogue row is read from the origin by public_id as before).  Then
`Deriver.produce`: persistent cache tier -> original load -> render in the bounded pool (with
the vision focus hook) -> memory tier + persistent tier write.

Below both `edge.server` and `edge.api`: imports storage, url and (lazily, through
`render_fn`) render, never server.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

from edge.storage import AssetNotFound, DerivedAsset, DerivedCache, Origin, OriginUnavailable, Source, derived_key
from edge.storage.writable import original_key
from edge.url import canonical_transformation
from edge.url.ast import DeliveryRequest

if TYPE_CHECKING:  # render loads pyvips
    from edge.render.limits import Limits
    from edge.render.rendered import Rendered

__all__ = ["Deriver", "Produced", "RenderHints", "FixedHints", "Target", "default_image",
           "RESOLVE_TTL_S", "target_of", "StoredCoordinates"]

#: Seconds a worker reuses a catalogue lookup of one (type, public_id, version) for delivery
#: (this worker forgets it at once when it changes the asset itself; other workers within this).
RESOLVE_TTL_S = 1.0


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


@dataclass(frozen=True, slots=True)
class Target:
    """What one derived asset is made from: `key` (derived cache key), `stored_key` (the
    catalogue original's storage key, or None: load by public_id from the origin), and
    `version_id` (the cache version, see `Deriver._lookup`; '' for an asset without
    catalogue row); `record`: the catalogue record whose tags, context, metadata and
    coordinates the render reads (None without a row)."""

    key: str
    stored_key: str | None = None
    version_id: str = ""
    record: Any = None


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _cache_version(record: Any) -> str:
    return str(getattr(record, "cache_version", None) or record.version_id)


def default_image(req: DeliveryRequest, named: Mapping[str, str] | None = None) -> str | None:
    """The public_id of the request's `d_` default image, or None.

    A `d_` inside a named transformation (`t_<name>` whose stored string holds `d_...`) counts
    too: the chain is expanded with `named` first (name -> stored transformation string).  A
    chain that cannot be expanded (unknown name, cycle) has no default image here; the render
    raises its UrlError."""
    components = req.components
    if named and any("t" in c for c in components):
        from edge.render.program.named import expand_named, parse_transformation  # noqa: PLC0415
        from edge.url import UrlError  # noqa: PLC0415

        try:
            components = expand_named(components, named, parse_transformation)
        except UrlError:
            return None
    for comp in components:
        value = comp.get("d")
        if value:
            return str(getattr(value, "public_id", value))
    return None


def target_of(deriver: "Deriver", req: DeliveryRequest, hints: RenderHints, record: Any) -> Target:
    """The `Target` of `req` for the CURRENT version of catalogue `record` (eager renders:
    the key delivery computes for the same URL)."""
    version = _cache_version(record)
    return Target(deriver.key(req, hints, version), original_key(record.version_id, record.format), version,
                  record)


class StoredCoordinates:
    """A `FocusProvider` over another (or none) that answers `faces` from the catalogue's
    coordinates of the asset: `face_coordinates` when stored (they override detection), and
    for a `g_custom` request the `custom_coordinates` (render asks `faces` for g_custom too).
    Boxes are px of the original as displayed (`size` = (w, h)) and are scaled to the image
    `find` receives; anything else, and every derived image (`uncached()`), goes to `inner`."""

    def __init__(self, inner: Any, *, faces: Any, custom: Any, size: tuple[int, int], prefer_custom: bool) -> None:
        from edge.render.focus import complete  # noqa: PLC0415 - render loads pyvips

        self.inner = complete(inner)  # a complete FocusProvider (render's protocol) or None
        self.boxes = [tuple(int(v) for v in b) for b in ((custom if prefer_custom and custom else faces) or ())]
        self.label = "custom" if prefer_custom and custom else "face"
        self.size = size

    def find(self, image: Any, target: str, model: str | None = None) -> Any:
        if target == "faces" and self.boxes:
            from edge.render.focus import Region  # noqa: PLC0415 - render loads pyvips

            sx = image.width / max(1, self.size[0])
            sy = image.height / max(1, self.size[1])
            return [Region(self.label, 1.0, (round(x * sx), round(y * sy), max(1, round(w * sx)), max(1, round(h * sy))),
                           model="catalogue") for x, y, w, h in self.boxes]
        if self.inner is None:  # what render uses without a provider: libvips saliency
            from edge.render.saliency import SaliencyFocus  # noqa: PLC0415

            self.inner = SaliencyFocus()
        return self.inner.find(image, target, model)

    def cached(self, target: str, model: str | None = None, *, aspect: float) -> bool:
        if target == "faces" and self.boxes:
            return True
        return self.inner is not None and bool(self.inner.cached(target, model, aspect=aspect))

    def uncached(self) -> Any:
        return self.inner.uncached() if self.inner is not None else None


def _asks_custom(req: DeliveryRequest) -> bool:
    for comp in req.components:
        g = comp.get("g")
        if g is not None and getattr(g, "kind", None) == "custom":
            return True
    return False


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
        catalogue: Any = None,
    ) -> None:
        self.catalogue = catalogue
        # remembered lookups (delivery_type, public_id, version) -> (when, found), and per
        # asset (delivery_type, public_id) the versions remembered, so `forget` is O(1)
        self._resolved: dict[tuple[str, str, str], tuple[float, tuple[str, str, Any] | None]] = {}
        self._resolved_by_asset: dict[tuple[str, str], set[str]] = {}
        self._resolved_lock = threading.Lock()
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

    def key(self, req: DeliveryRequest, hints: RenderHints, version: str | None = None,
            transformation: str | None = None) -> str:
        """The derived cache key of `req` rendered with `hints` (`edge.storage.derived_key`);
        `version` replaces the URL's version part (a catalogue asset's version_id);
        `transformation` is `canonical_transformation(req.components)` when the caller has it."""
        if version is None:
            version = "" if req.version is None else str(req.version)
        if transformation is None:
            transformation = canonical_transformation(req.components)
        return derived_key(
            cloud_name=self.cloud_name, delivery_type=req.delivery_type,
            transformation=transformation, public_id=req.public_id,
            version=version, output=hints.output,
            dpr="" if hints.dpr_hint is None else str(hints.dpr_hint), width_hint=hints.width_key,
        )

    def _lookup(self, delivery_type: str, public_id: str, version: str) -> tuple[str, str, Any] | None:
        """Blocking: `(cache version, stored key, record)` of the catalogue asset at `version` ('' =
        current, and so is `1`, the version the SDK puts in URLs of ids with a folder), None
        when the catalogue has no such asset.  The cache version is `AssetRecord.cache_version`
        (version_id + row revision: a tag or context change, which `if_` conditions read, also
        moves the keys); a kept old version uses its version_id.  Raises `AssetNotFound` for a
        version that is not (or no longer) stored."""
        if "\x00" in public_id or not public_id.isprintable() and _unencodable(public_id):
            return None  # no catalogue can hold such an id (databases refuse NUL, lone surrogates)
        record = self.catalogue.get(delivery_type, public_id)
        if record is None:
            return None
        if version and version not in (str(record.version), "1"):  # v1: the SDK's placeholder
            old = self.catalogue.get_version(record.asset_id, int(version)) if version.isdigit() else None
            if old is None or not old.kept:
                raise AssetNotFound(f"Resource not found - {public_id} (version {version})")
            return old.version_id, original_key(old.version_id, old.format), record
        return _cache_version(record), original_key(record.version_id, record.format), record

    def forget(self, delivery_type: str, public_id: str) -> None:
        """Drop this worker's remembered lookups of one asset, every version (after changing
        it).  O(1) in the number of assets remembered (an index by asset)."""
        with self._resolved_lock:
            for version in self._resolved_by_asset.pop((delivery_type, public_id), ()):
                self._resolved.pop((delivery_type, public_id, version), None)

    def _remember(self, memo: tuple[str, str, str], entry: tuple[float, Any]) -> None:
        """Store a lookup (under `_resolved_lock`); past 10000 entries all are dropped first."""
        if len(self._resolved) > 10000:
            self._resolved.clear()
            self._resolved_by_asset.clear()
        self._resolved[memo] = entry
        self._resolved_by_asset.setdefault((memo[0], memo[1]), set()).add(memo[2])

    async def target(self, req: DeliveryRequest, hints: RenderHints, *, transformation: str | None = None) -> Target:
        """Resolve `req` (see the module docs): its cache key and where its original is
        (`transformation`: the canonical transformation of `req`, when the caller has it).
        Raises `AssetNotFound` for an old version that is not kept."""
        if self.catalogue is None or req.delivery_type == "fetch":
            return Target(self.key(req, hints, None, transformation))
        version = "" if req.version is None else str(req.version)
        memo = (req.delivery_type, req.public_id, version)
        now = time.monotonic()
        with self._resolved_lock:
            hit = self._resolved.get(memo)
        if hit is not None and now - hit[0] < RESOLVE_TTL_S:
            found = hit[1]
        else:
            try:
                found = await self._io(self._lookup, req.delivery_type, req.public_id, version)
            except AssetNotFound:
                raise
            except Exception as exc:  # the catalogue is down or locked: 503, retry later
                raise OriginUnavailable(f"Catalogue unavailable: {type(exc).__name__}") from exc
            with self._resolved_lock:
                self._remember(memo, (now, found))
        if found is None:
            return Target(self.key(req, hints, None, transformation))
        return Target(self.key(req, hints, found[0], transformation), found[1], found[0], found[2])

    async def produce(self, req: DeliveryRequest, target: Target, hints: RenderHints, *,
                      wait_for_cache: bool = False, check_backing: bool = True) -> Produced:
        """The derived asset for `req` at `target`: from the persistent tier, else rendered
        (origin load and render inside one pool reservation) and written to both tiers (the
        persistent write in the background unless `wait_for_cache`).  Raises the storage,
        pool and render errors (`AssetNotFound`, `Overloaded`, `RenderError`, ...)."""
        key = target.key
        if check_backing and self.cache.backing is not None:
            hit = await self._io(self.cache.get, key)
            if hit is not None:
                return Produced(hit[0], hit[1])
        with self.pool.reserve() as slot:
            t0 = time.perf_counter()
            placeholder = None
            origin = self.fetch_origin if req.delivery_type == "fetch" else self.origin
            try:
                if target.stored_key is not None:
                    source: Source = await self._io(self.origin.load_key, target.stored_key)
                else:
                    source = await self._io(origin.load, req.public_id)
            except AssetNotFound as exc:
                default = default_image(req, self.named)
                if default is None:
                    raise
                source = await self._io(self.origin.load, default)
                placeholder = str(exc) or "Resource not found"
            load_ms = (time.perf_counter() - t0) * 1000
            t1 = time.perf_counter()
            rendered = await self.pool.run(self.render, source, req, hints, target.record, reservation=slot)
            render_ms = (time.perf_counter() - t1) * 1000
        asset = DerivedAsset.from_rendered(rendered)
        if placeholder is None:  # a placeholder must not outlive the asset's arrival
            self.cache.put_memory(key, asset)
            if self.cache.backing is not None:
                blob = asset.encode()
                if wait_for_cache:
                    await self._io(self.cache.put_backing, key, blob)
                else:
                    task = asyncio.ensure_future(self._io(self.cache.put_backing, key, blob))
                    self._background.add(task)
                    task.add_done_callback(self._background.discard)
        return Produced(asset, "miss", load_ms, render_ms, placeholder)

    def render(self, source: Source, req: DeliveryRequest, hints: RenderHints, record: Any = None) -> "Rendered":
        """Runs in a pool thread: build the focus provider (vision hook; a catalogue asset's
        stored face/custom coordinates answer `faces`, see `StoredCoordinates`), then render
        with the asset's tags, context and metadata (for `if_` conditions)."""
        focus = None
        if self.focus_factory is not None:
            focus = self.focus_factory(req.public_id, source.version)
        extra: dict[str, Any] = {}
        if record is not None:
            faces, custom = record.coordinates_faces, record.coordinates_custom
            if faces or custom:
                focus = StoredCoordinates(focus, faces=faces, custom=custom, size=(record.width, record.height),
                                          prefer_custom=_asks_custom(req))
            extra = {"tags": tuple(record.tags), "context": dict(record.context), "metadata": dict(record.metadata)}
        return self.render_fn(
            source.data, req, accept=hints.accept, dpr_hint=hints.dpr_hint, focus=focus,
            limits=self.limits, width_hint=hints.width_hint, named=self.named,
            load_layer=self.load_layer, **extra,
            # stop libvips once the pool has answered 503, so the thread is free again
            deadline=time.monotonic() + self.render_timeout_s,
        )

    async def drain(self) -> None:
        """Wait for background cache writes (shutdown, tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
