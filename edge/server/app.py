"""The Starlette application of `edge serve`.

Routes: GET/HEAD delivery URLs (`/<cloud>/image/<type>/...` and the cloud-less form),
`/healthz` (process alive), `/readyz` (origin and cache tier reachable), `/metrics`
(Prometheus text).  `create_app(settings)` wires storage, the render pool and metrics;
`create_app_from_env()` is the uvicorn factory used by multi-worker `edge serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Match, Route, Router, get_route_path
from starlette.types import Receive, Scope, Send

from edge.analysis.registry import load_configured
from edge.api.router import api_router, unmatched
from edge.server.api_wiring import api_context, catalogue_for, start_api, stop_api
from edge.server.delivery import Delivery
from edge.server.access_log import AccessLog
from edge.server.metrics import CONTENT_TYPE_LATEST, Metrics, TrafficMetrics
from edge.server.pool import RenderPool
from edge.server.responses import error_response
from edge.server.focus import focus_factory_for
from edge.server.layers import LayerLoader
from edge.server.memory import (
    IdleTrimmer, configure_libvips, freeze_startup_objects, limit_malloc_arenas, set_mmap_threshold,
)
from edge.server.named import load_named_transformations
from edge.server.settings import Settings
from edge.storage import (
    ByteStore, DerivedCache, DiskStore, FetchOrigin, MemoryStore, Origin, origin_from_location,
    store_from_location,
)

__all__ = ["create_app", "create_app_from_env", "DeliveryFirstRouter"]

log = logging.getLogger("edge.server")
_UNSET: Any = object()
#: Threads for blocking origin and cache I/O (network-bound, so more than the cores).
IO_THREADS = 16


def create_app(
    settings: Settings | None = None,
    *,
    render_fn: Callable[..., Any] | None = None,
    origin: Origin | None = None,
    fetch_origin: Origin | None = None,
    backing: ByteStore | None = _UNSET,
    s3_client: Any = None,
) -> Starlette:
    """Build the app.  `settings` default to `Settings.from_env()`; `render_fn` defaults to
    `edge.render.render`; `origin`/`fetch_origin`/`backing` override what the settings'
    locations would build (`backing=None` disables the persistent tier).  `app.state.edge`
    holds the `Delivery` (with its cache, pool, metrics) for introspection."""
    settings = (settings or Settings.from_env()).validate()
    if render_fn is None:
        from edge.render import render as render_fn  # noqa: PLC0415 - render loads pyvips
    from edge.render.limits import Limits

    limit_malloc_arenas(settings.malloc_arenas)  # issue 9: bounded per-worker memory
    set_mmap_threshold(settings.malloc_mmap_threshold_kb * 1024)  # issue 16 (0: glibc's dynamic threshold)
    configure_libvips(settings.vips_cache_ops)

    max_bytes = settings.max_source_mb * 1024 * 1024
    if origin is None:
        origin = origin_from_location(settings.origin, s3_endpoint=settings.s3_endpoint or None,
                                      max_bytes=max_bytes, s3_client=s3_client, settings=settings)
    if fetch_origin is None:
        fetch_origin = FetchOrigin(settings.fetch_hosts, max_bytes=max_bytes,
                                   allow_private=settings.fetch_allow_private)
    if backing is _UNSET:
        backing = store_from_location(settings.cache, s3_endpoint=settings.s3_endpoint or None,
                                      s3_client=s3_client, settings=settings)
    load_configured(settings.analyzers, settings)  # issue 13: analysis plug-ins
    cache = DerivedCache(MemoryStore(settings.memory_cache_mb * 1024 * 1024), backing)
    metrics = Metrics()
    pool = RenderPool(settings.threads, settings.queue, settings.render_timeout_s, metrics)
    io = ThreadPoolExecutor(max_workers=IO_THREADS, thread_name_prefix="edge-io")
    # issue 10: upload API -- the catalogue (delivery reads it) and the API router
    catalogue = catalogue_for(settings)
    delivery = Delivery(
        settings, origin=origin, fetch_origin=fetch_origin, cache=cache, pool=pool, io=io,
        metrics=metrics, render_fn=render_fn, limits=Limits(max_source_bytes=max_bytes),
        focus_factory=settings.focus_factory or focus_factory_for(settings.focus, backing, settings),
        named=load_named_transformations(settings.named_transformations, cloud_name=settings.cloud_name),
        load_layer=LayerLoader(origin, fetch_origin), catalogue=catalogue,
    )
    trimmer = IdleTrimmer(lambda: pool.admitted > 0, io)
    api_ctx = api_context(
        settings, catalogue=catalogue, origin=origin, fetch_origin=fetch_origin, cache=cache,
        deriver=delivery.deriver, io=io,
        extra={  # issue 12: Analyze API settings (edge.api.analyze reads them)
               "analyze": {k: v for k, v in vars(settings).items() if k.startswith("analyze_")}},
    )

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok\n", headers={"Cache-Control": "no-store"})

    async def readyz(_: Request) -> Response:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(io, origin.check)
            await loop.run_in_executor(io, cache.check)
        except Exception as exc:  # noqa: BLE001 - any failure = not ready
            return error_response(503, f"Not ready: {exc}", retry_after=5)
        return PlainTextResponse("ready\n", headers={"Cache-Control": "no-store"})

    async def metrics_endpoint(_: Request) -> Response:
        return Response(metrics.render_text(), media_type=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if isinstance(backing, DiskStore):
            try:
                await asyncio.get_running_loop().run_in_executor(io, backing.sweep_temp)
            except OSError:
                log.warning("cannot sweep cache temp files in %s", backing.root)
        start_api(api_ctx)  # issue 10: API background jobs run on this loop
        trim = asyncio.create_task(trimmer.run())  # issue 16: freed render memory back when idle
        freeze_startup_objects()  # issue 16: full collections never rescan the startup heap
        yield
        trim.cancel()
        await stop_api(api_ctx)  # issue 10 (closes the job queue and the catalogue)
        await delivery.drain()
        pool.shutdown()
        io.shutdown(wait=False)
        metrics.close()
        fetch_origin.close()
        origin.close()

    routes = [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        *api_router(api_ctx).routes,  # issue 10: /v1_1/<cloud>/... Upload + Admin API
        Route("/{path:path}", delivery, methods=["GET", "HEAD"]),  # issue 16: an ASGI app, no Request/Response
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.router = DeliveryFirstRouter(routes=routes, lifespan=lifespan)  # issue 16: delivery without the route scan
    app.state.edge = delivery
    app.state.trimmer = trimmer
    # issue 9: a path with %0A (multi-line l_text) matches no route; API paths answer JSON 404
    app.router.default = unmatched(delivery.unrouted)
    app.add_middleware(TrafficMetrics, metrics=metrics)  # issue 9: metrics, then the access log
    app.add_middleware(AccessLog, fmt=settings.access_log)  # outermost: sees every answer
    return app


class DeliveryFirstRouter(Router):
    """Starlette's router, but a request whose path starts with none of the literal prefixes of
    the routes before the last (`/healthz`, `/v1_1/`, `/v2/`, ...) goes straight to the last
    route (the delivery catch-all) when that matches it fully: no earlier route's pattern can
    match such a path, so the answer is the one the route-by-route scan gives, without trying
    30 regular expressions first (issue 16: ~8 % of a cached answer's CPU).  Anything else
    (a partial match, the API, no match) takes Starlette's scan."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefixes = []
        for route in self.routes[:-1]:
            path = getattr(route, "path", None)
            if path is None:  # a route kind without a path pattern: never skip the scan
                prefixes = [""]
                break
            prefixes.append(path.split("{", 1)[0])
        self._earlier = tuple(dict.fromkeys(prefixes))

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.routes and not get_route_path(scope).startswith(self._earlier):
            last = self.routes[-1]
            match, child_scope = last.matches(scope)
            if match is Match.FULL:
                scope.setdefault("router", self)
                scope["route"] = last
                scope.update(child_scope)
                await last.handle(scope, receive, send)
                return
        await super().app(scope, receive, send)


def create_app_from_env() -> Starlette:
    """uvicorn factory (`edge.server.app:create_app_from_env`): settings from `EDGE_*`."""
    return create_app(Settings.from_env())
