"""The Analyze API v2 (upload-spec §5, issue 12): one model on an asset or a uri, sync or as a
task, HTTP Basic `api_key:api_secret`.

Routes (JSON bodies; another cloud name answers 404):

* ``POST /v2/analysis/<cloud>/analyze/<model>`` with ``{"source": {"uri": ...} |
  {"asset_id": ...}, "async": bool, "notification_url": "..."}`` (§5.1);
* ``POST /v2/<cloud>/analysis/analyze/uri`` with ``{"analysis_type", "uri", "parameters"}``,
  what `cloudinary.api.analyze("uri", model, uri=...)` sends (§5.2); ``parameters`` may hold
  ``{<model>: {}}`` and, as Edge extensions, ``async`` and ``notification_url``;
* ``GET /v2/analysis/<cloud>/tasks/<task_id>`` (also ``/v2/<cloud>/analysis/tasks/<id>``):
  ``{"request_id", "data": {"task_id", "status", "model", "entity"}}``, plus ``analysis`` once
  ``completed`` or ``error`` once ``failed``; kept `analyze_task_ttl_s` (`edge.api.analyze_tasks`);
* ``GET /v2/analysis/<cloud>/models``: the models offered with their versions, and the
  documented ones Edge lacks (`edge.analysis.models_v2`).

Sync answers are the §5.1 envelope ``{"request_id", "limits": {"items": [...]}, "data":
{"entity", "analysis"}}``.  Errors are ``{"error": {"category", "code", "message",
"details", "request_id"}}`` (a 429 adds the top-level ``limits``), also in `X-Cld-Error`;
the Python SDK raises its exception of the status with the message.

Models: the table of `edge.analysis.models_v2` (coco, cld_text, image_quality, edge_tagging,
faces, ocr, colors, phash, metadata, and shop_classifier as a documented heuristic named so in
its answer); documented models Edge lacks (captioning, ai_vision_*, lvis, unidet, google_*,
watermark_detection, ...) answer 400 ``model_not_available`` listing those it offers.
Sources: `edge.api.analyze_sources` (catalogue asset, own delivery host in-process, fetch
origin for other uris).  Results are cached per asset version and model in the catalogue
(`set_analysis` under the ``_analyze_v2`` key, dropped with the version) and, for uris, per
source bytes (SHA-1) and model in a bounded in-memory LRU of `analyze_cache_entries`; identical
concurrent requests share one model run.

`async: true` -> 202 ``{"request_id", "data": {"task_id", "status": "pending"}}``; the work is
the durable job ``analyze.run`` of the job queue async uploads use (`edge.assets.jobs`: stored,
restart-safe, shared by nodes); the result (the sync envelope's ``data`` plus ``task_id``,
``status``, ``notification_type: "analysis"``) is POSTed to ``notification_url`` (or the
global notification URL) signed as §6 by `edge.api.webhooks.WebhookSender`, each attempt a job
``analyze.webhook`` retried by the queue with exponential backoff.

Modules: `edge.api.analyze_wire` (request bodies, fields, the error envelope),
`edge.api.analyze_jobs` (tasks run as jobs, webhooks), `edge.api.analyze_tasks` (where tasks
live), `edge.api.analyze_sources`, `edge.api.analyze_limits`; this one holds the endpoints.

Rate limits (`analyze_rate_limit` requests per `analyze_rate_window_s` per API key, off by
default; `edge.api.analyze_limits`): the ``limits`` block and `X-FeatureRateLimit-*` headers
report them (``{"items": []}`` when no limit is configured); over the limit: 429
``rate_limit_error`` with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import threading
import time
from typing import Any, Awaitable, Callable

from cachetools import LRUCache
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from edge.api.analyze_jobs import AnalyzeJobs
from edge.api.analyze_limits import LimitState, RateLimiter
from edge.api.analyze_sources import AnalyzeError, SourceRef, classify, classify_uri, load, own_hosts
from edge.api.analyze_tasks import TaskStore
from edge.api.analyze_wire import (
    MAX_BODY_BYTES, PARAM_KEYS, SDK_KEYS, TOP_KEYS, Endpoint, parse_flag, parse_url, read_json, refuse_unknown,
    resolve_model, v2_errors,
)
from edge.api.auth import verify_basic
from edge.api.errors import json_response, request_id

__all__ = ["AnalyzeApi", "analyze_routes", "STORE_KEY", "MAX_BODY_BYTES"]

log = logging.getLogger("edge.api.analyze")

#: Key of the catalogue's per-version analysis under which v2 results are stored (a leading
#: underscore keeps it out of upload/admin answers: `edge.api.resources.resource_json`).
STORE_KEY = "_analyze_v2"


class AnalyzeApi(AnalyzeJobs):
    """The Analyze API endpoints over one `edge.api.context.ApiContext` (module docs).
    Settings come from ``ctx.extra["analyze"]`` (the `analyze_*` fields of
    `edge.server.settings.Settings`)."""

    def __init__(self, ctx: Any) -> None:
        from edge.analysis.models_v2 import DEFAULT_MAX_PIXELS

        self.ctx = ctx
        opts = dict(ctx.extra.get("analyze") or {})
        self.task_ttl_s = float(opts.get("analyze_task_ttl_s", 86400))
        mb = max(0, int(opts.get("analyze_max_source_mb") or 0))
        self.max_bytes = mb * 1024 * 1024 or int(ctx.max_upload_bytes)  # bytes
        mp = max(0, int(opts.get("analyze_max_megapixels") or 0))
        self.max_pixels = mp * 1_000_000 or DEFAULT_MAX_PIXELS  # width x height
        self.limiter = RateLimiter(int(opts.get("analyze_rate_limit", 0)), float(opts.get("analyze_rate_window_s", 3600)))
        self.cache: LRUCache[tuple[str, str], dict[str, Any]] = LRUCache(maxsize=max(1, int(opts.get("analyze_cache_entries", 512))))
        self._cache_lock = threading.Lock()
        self.tasks = TaskStore(ctx.jobs, self.task_ttl_s)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._flights: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._cpu = asyncio.Semaphore(2)
        self._register_jobs()

    # ---- helpers ---------------------------------------------------------------------------
    async def _io(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.ctx.io, lambda: fn(*args))

    def _begin(self, request: Request) -> str:
        """Bind the loop, check credentials (401) and the cloud (404); returns the api_key."""
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        key = verify_basic(request.headers.get("authorization"), api_key=self.ctx.api_key,
                           api_secret=self.ctx.api_secret)
        cloud = request.path_params.get("cloud", "")
        if cloud != self.ctx.cloud_name:
            raise AnalyzeError(404, "not_found", f"Unknown cloud name - {cloud[:64]}")
        return key


    def _limits(self, key: str, spec: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
        state: LimitState | None = self.limiter.take(key)
        if state is None:
            return [], {}
        items = [state.item(spec.limit_type)]
        if not state.allowed:
            retry = max(1, int(state.reset_at - time.time() + 0.999))
            raise AnalyzeError(429, "rate_limit_exceeded",
                               f"Rate limit exceeded: {state.limit} requests per {int(self.limiter.window_s)} s",
                               limits={"items": items}, headers={"Retry-After": str(retry), **state.headers()})
        return items, state.headers()

    # ---- the analysis ----------------------------------------------------------------------
    async def _run(self, data: bytes, spec: Any, focus: Any = None, token: str | None = None) -> dict[str, Any]:
        from edge.analysis import AnalysisError
        from edge.analysis.models_v2 import ImageTooLarge, run_model

        async with self._cpu:
            try:
                return await self._io(lambda: run_model(data, spec, max_pixels=self.max_pixels, focus=focus,
                                                        asset_token=token))
            except ImageTooLarge as exc:
                raise AnalyzeError(413, "source_too_large", exc.message,
                                   details={"pixels": exc.pixels, "limit": exc.limit}) from None
            except AnalysisError as exc:
                raise AnalyzeError(400, "invalid_image", exc.message) from None

    async def _shared(self, key: tuple[str, str], fn: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """One run of `fn` per key at a time (concurrent identical requests share it)."""
        fut = self._flights.get(key)
        if fut is None:
            fut = asyncio.ensure_future(fn())
            self._flights[key] = fut
            fut.add_done_callback(lambda _: self._flights.pop(key, None))
        return copy.deepcopy(await asyncio.shield(fut))

    def _focus(self, record: Any) -> Any:
        factory = self.ctx.deriver.focus_factory
        if factory is None:
            return None
        try:
            return factory(record.public_id, record.version_id)
        except Exception:  # noqa: BLE001 - no focus provider: analysis still runs
            return None

    async def analysis(self, ref: SourceRef, spec: Any) -> dict[str, Any]:
        """The §5.1 ``analysis`` of model `spec` on `ref`, from the cache when there (see the
        module docs).  Raises `AnalyzeError`."""
        if ref.kind == "asset":
            record = await self._io(self.ctx.catalogue.get_by_asset_id, ref.value)
            if record is None:
                raise AnalyzeError(404, "asset_not_found", f"Asset not found - {ref.value}")
            stored = ((record.analysis or {}).get(STORE_KEY) or {}).get(spec.name)
            if stored:
                return copy.deepcopy(stored)

            async def compute() -> dict[str, Any]:
                data = await load(ref, self.ctx, self.max_bytes, record=record)
                result = await self._run(data, spec, self._focus(record), record.version_id)
                fresh = await self._io(self.ctx.catalogue.get_by_asset_id, record.asset_id)
                if fresh is not None and fresh.version == record.version:
                    merged = dict((fresh.analysis or {}).get(STORE_KEY) or {})
                    merged[spec.name] = result
                    await self._io(self.ctx.catalogue.set_analysis, record.asset_id, record.version,
                                   {STORE_KEY: merged})
                return result

            return await self._shared((f"asset:{record.version_id}", spec.name), compute)
        data = await load(ref, self.ctx, self.max_bytes)
        key = (hashlib.sha1(data).hexdigest(), spec.name)
        with self._cache_lock:
            hit = self.cache.get(key)
        if hit is not None:
            return copy.deepcopy(hit)

        async def compute_uri() -> dict[str, Any]:
            result = await self._run(data, spec)
            with self._cache_lock:
                self.cache[key] = copy.deepcopy(result)
            return result

        return await self._shared(key, compute_uri)

    # ---- endpoints -------------------------------------------------------------------------
    async def analyze_v2(self, request: Request) -> Response:
        """``POST /v2/analysis/<cloud>/analyze/<model>`` (§5.1)."""
        key = self._begin(request)
        body = await read_json(request)
        spec = resolve_model(request.path_params["model"])
        refuse_unknown(body, TOP_KEYS, "")
        if "source" not in body:
            raise AnalyzeError(400, "missing_parameter", "Missing required parameter - source")
        ref = classify(body["source"], hosts=self._hosts(request))
        return await self._answer(request, key, spec, ref, parse_flag("async", body.get("async")),
                                  parse_url("notification_url", body.get("notification_url")))

    async def analyze_sdk(self, request: Request) -> Response:
        """``POST /v2/<cloud>/analysis/analyze/<input_type>`` (§5.2, the SDKs' form)."""
        key = self._begin(request)
        body = await read_json(request)
        input_type = request.path_params["input_type"]
        if input_type != "uri":
            raise AnalyzeError(400, "invalid_parameter", f"Unsupported input type '{input_type[:40]}': use uri",
                               details={"input_types": ["uri"]})
        refuse_unknown(body, SDK_KEYS, "")
        spec = resolve_model(body.get("analysis_type"))
        params = body.get("parameters") or {}
        if not isinstance(params, dict):
            raise AnalyzeError(400, "invalid_parameter", "parameters must be an object")
        refuse_unknown(params, PARAM_KEYS | {spec.name, body.get("analysis_type")}, "parameters.")
        for name in (spec.name, body.get("analysis_type")):
            extras = params.get(name)
            if extras not in (None, {}):
                if not isinstance(extras, dict):
                    raise AnalyzeError(400, "invalid_parameter", f"parameters.{name} must be an object")
                refuse_unknown(extras, frozenset(), f"parameters.{name}.")
        if body.get("uri") is None:
            raise AnalyzeError(400, "missing_parameter", "Missing required parameter - uri")
        ref = classify_uri(body.get("uri"), hosts=self._hosts(request))
        return await self._answer(request, key, spec, ref, parse_flag("async", params.get("async")),
                                  parse_url("notification_url", params.get("notification_url")))

    def _hosts(self, request: Request) -> tuple[tuple[str, str], ...]:
        return own_hosts(self.ctx.public_url, self.ctx.secure_url, request.headers.get("host"))

    async def _answer(self, request: Request, key: str, spec: Any, ref: SourceRef, is_async: bool,
                      notification_url: str) -> Response:
        items, headers = self._limits(key, spec)
        rid = request_id(request)
        if is_async:
            return await self._enqueue(request, spec, ref, notification_url, rid, items, headers)
        analysis = await self.analysis(ref, spec)
        from edge.analysis.models_v2 import envelope

        return json_response(envelope(ref.entity, analysis, request_id=rid, limits=items), request,
                             headers=headers)


    async def models(self, request: Request) -> Response:
        """``GET /v2/analysis/<cloud>/models``."""
        self._begin(request)
        from edge.analysis.models_v2 import models_listing

        return json_response({"request_id": request_id(request), "data": models_listing()}, request)


def analyze_routes(ctx: Any) -> list[BaseRoute]:
    """The Analyze API routes over `ctx` (see the module docs); the `AnalyzeApi` is kept in
    ``ctx.extra["analyze_api"]``."""
    api = AnalyzeApi(ctx)
    ctx.extra["analyze_api"] = api

    def only(method: str, endpoint: Endpoint) -> Endpoint:
        async def handle(request: Request) -> Response:
            if request.method != method and not (method == "GET" and request.method == "HEAD"):
                raise AnalyzeError(405, "method_not_allowed", f"{request.method} is not allowed here: use {method}",
                                   headers={"Allow": method})
            return await endpoint(request)
        return v2_errors(handle)

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    return [
        Route("/v2/analysis/{cloud}/analyze/{model}", only("POST", api.analyze_v2), methods=methods),
        Route("/v2/{cloud}/analysis/analyze/{input_type}", only("POST", api.analyze_sdk), methods=methods),
        Route("/v2/analysis/{cloud}/tasks/{task_id}", only("GET", api.task), methods=methods),
        Route("/v2/{cloud}/analysis/tasks/{task_id}", only("GET", api.task), methods=methods),
        Route("/v2/analysis/{cloud}/models", only("GET", api.models), methods=methods),
        Route("/v2/{rest:path}", v2_errors(_unknown_path), methods=methods),  # last: never delivery's
    ]


async def _unknown_path(request: Request) -> Response:
    """A `/v2/...` path that no Analyze route matches (a `%2F` in a task id, a typo)."""
    raise AnalyzeError(404, "not_found", f"Unknown Analyze API path {request.url.path[:200]}")
