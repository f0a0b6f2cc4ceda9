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
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge.api.analyze_limits import LimitState, RateLimiter
from edge.api.analyze_sources import AnalyzeError, SourceRef, classify, classify_uri, load, own_hosts
from edge.api.analyze_tasks import TaskStore
from edge.api.auth import verify_basic
from edge.api.errors import ApiError, json_response, request_id

__all__ = ["AnalyzeApi", "analyze_routes", "STORE_KEY", "MAX_BODY_BYTES"]

log = logging.getLogger("edge.api.analyze")

#: Key of the catalogue's per-version analysis under which v2 results are stored (a leading
#: underscore keeps it out of upload/admin answers: `edge.api.resources.resource_json`).
STORE_KEY = "_analyze_v2"
#: Largest JSON request body, bytes.
MAX_BODY_BYTES = 256 * 1024
_TOP_KEYS = frozenset({"source", "async", "notification_url"})
_SDK_KEYS = frozenset({"analysis_type", "uri", "parameters"})
_PARAM_KEYS = frozenset({"async", "notification_url"})
Endpoint = Callable[[Request], Awaitable[Response]]


def _error_response(request: Request, exc: AnalyzeError) -> JSONResponse:
    body: dict[str, Any] = {"error": {"category": exc.category, "code": exc.code, "message": exc.message,
                                      "details": exc.details, "request_id": request_id(request)}}
    if exc.limits is not None:
        body["limits"] = exc.limits
    headers = {"X-Cld-Error": "".join(c if 32 <= ord(c) < 127 else "?" for c in exc.message)[:200], **exc.headers}
    return json_response(body, request, exc.status, headers)


def _v2(endpoint: Endpoint) -> Endpoint:
    """Every failure of `endpoint` as the §5.1 error envelope; unexpected ones are logged and
    answered 500 ``internal_error`` without internals."""

    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except AnalyzeError as exc:
            return _error_response(request, exc)
        except ApiError as exc:
            code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}
            return _error_response(request, AnalyzeError(exc.status, code.get(exc.status, "bad_request"),
                                                         exc.message, headers=exc.headers))
        except Exception as exc:  # noqa: BLE001 - storage/catalogue errors keep their status
            status = int(getattr(exc, "status", 500) or 500)
            if status in (404, 503) and type(exc).__module__.startswith(("edge.storage", "edge.assets")):
                return _error_response(request, AnalyzeError(status, "unavailable" if status == 503 else "not_found",
                                                             str(exc) or "Service unavailable",
                                                             headers={"Retry-After": "5"} if status == 503 else None))
            if type(exc).__name__ in ("Overloaded", "PoolTimeout", "RenderTimeout"):
                return _error_response(request, AnalyzeError(503, "overloaded", "Edge is busy; retry later",
                                                             headers={"Retry-After": "5"}))
            log.exception("unexpected Analyze API error for %s %s", request.method, request.url.path)
            return _error_response(request, AnalyzeError(500, "internal_error", "Internal server error"))

    return wrapped


def _bool(name: str, value: Any) -> bool:
    from edge.analysis.request import AnalysisError, parse_bool

    try:
        return parse_bool(name, value)
    except AnalysisError as exc:
        raise AnalyzeError(400, "invalid_parameter", exc.message, details={"parameter": name}) from None


def _url(name: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not value.startswith(("http://", "https://")) or len(value) > 2048:
        raise AnalyzeError(400, "invalid_parameter", f"{name} must be an http(s) URL", details={"parameter": name})
    return value


def _unknown(keys: Any, allowed: frozenset[str], where: str) -> None:
    extra = sorted(str(k)[:64] for k in keys if k not in allowed)
    if extra:
        raise AnalyzeError(400, "unknown_parameter", f"Unknown parameter {where}{extra[0]}",
                           details={"unknown": extra, "allowed": sorted(allowed)})


class AnalyzeApi:
    """The Analyze API endpoints over one `edge.api.router.ApiContext` (module docs).
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

    async def _json(self, request: Request) -> dict[str, Any]:
        import json

        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise AnalyzeError(413, "request_too_large", f"Request body is larger than {MAX_BODY_BYTES} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise AnalyzeError(413, "request_too_large", f"Request body is larger than {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
        raw = b"".join(chunks)
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise AnalyzeError(400, "invalid_json", "Request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise AnalyzeError(400, "invalid_json", "Request body must be a JSON object")
        return body

    def _model(self, name: Any) -> Any:
        from edge.analysis.models_v2 import ModelUnavailable, UnknownModel, offered, resolve

        if not isinstance(name, str) or not name:
            raise AnalyzeError(400, "invalid_parameter", "analysis_type must be a model name",
                               details={"models": offered()})
        try:
            return resolve(name)
        except ModelUnavailable as exc:
            raise AnalyzeError(400, "model_not_available", exc.message,
                               details={"model": exc.name, "models": exc.offered}) from None
        except UnknownModel as exc:
            raise AnalyzeError(400, "unknown_model", exc.message,
                               details={"model": exc.name, "models": exc.offered}) from None

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
        body = await self._json(request)
        spec = self._model(request.path_params["model"])
        _unknown(body, _TOP_KEYS, "")
        if "source" not in body:
            raise AnalyzeError(400, "missing_parameter", "Missing required parameter - source")
        ref = classify(body["source"], hosts=self._hosts(request))
        return await self._answer(request, key, spec, ref, _bool("async", body.get("async")),
                                  _url("notification_url", body.get("notification_url")))

    async def analyze_sdk(self, request: Request) -> Response:
        """``POST /v2/<cloud>/analysis/analyze/<input_type>`` (§5.2, the SDKs' form)."""
        key = self._begin(request)
        body = await self._json(request)
        input_type = request.path_params["input_type"]
        if input_type != "uri":
            raise AnalyzeError(400, "invalid_parameter", f"Unsupported input type '{input_type[:40]}': use uri",
                               details={"input_types": ["uri"]})
        _unknown(body, _SDK_KEYS, "")
        spec = self._model(body.get("analysis_type"))
        params = body.get("parameters") or {}
        if not isinstance(params, dict):
            raise AnalyzeError(400, "invalid_parameter", "parameters must be an object")
        _unknown(params, _PARAM_KEYS | {spec.name, body.get("analysis_type")}, "parameters.")
        for name in (spec.name, body.get("analysis_type")):
            extras = params.get(name)
            if extras not in (None, {}):
                if not isinstance(extras, dict):
                    raise AnalyzeError(400, "invalid_parameter", f"parameters.{name} must be an object")
                _unknown(extras, frozenset(), f"parameters.{name}.")
        if body.get("uri") is None:
            raise AnalyzeError(400, "missing_parameter", "Missing required parameter - uri")
        ref = classify_uri(body.get("uri"), hosts=self._hosts(request))
        return await self._answer(request, key, spec, ref, _bool("async", params.get("async")),
                                  _url("notification_url", params.get("notification_url")))

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

    async def _enqueue(self, request: Request, spec: Any, ref: SourceRef, notification_url: str, rid: str,
                       items: list[dict[str, Any]], headers: dict[str, str]) -> Response:
        if ref.kind == "asset":  # an unknown asset is a 404 now, not a failed task later
            if await self._io(self.ctx.catalogue.get_by_asset_id, ref.value) is None:
                raise AnalyzeError(404, "asset_not_found", f"Asset not found - {ref.value}")
        task = await self._io(lambda: self.tasks.create(model=spec.name, entity=ref.entity, request_id=rid))
        payload = {"task_id": task["task_id"], "model": spec.name, "source": ref.as_dict(),
                   "notification_url": notification_url, "request_id": rid}
        if self.ctx.jobs is not None:
            try:
                await self._io(self.ctx.jobs.enqueue, "analyze.run", payload)
            except Exception:  # noqa: BLE001 - queue down: run in-process
                log.exception("cannot enqueue analyze task; running it in-process")
                self._spawn(self._task(payload))
        else:
            self._spawn(self._task(payload))
        return json_response({"request_id": rid, "limits": {"items": items},
                              "data": {"task_id": task["task_id"], "status": "pending"}},
                             request, 202, headers)

    async def task(self, request: Request) -> Response:
        """``GET /v2/analysis/<cloud>/tasks/<task_id>``."""
        self._begin(request)
        task_id = request.path_params["task_id"]
        task = None
        if len(task_id) <= 64 and task_id.isalnum():
            task = await self._io(self.tasks.get, task_id)
        if task is None:
            raise AnalyzeError(404, "task_not_found", f"Task not found - {task_id[:64]} (unknown or expired)")
        data = {k: task[k] for k in ("task_id", "status", "model", "entity") if k in task}
        if task.get("status") == "completed":
            data["analysis"] = task.get("analysis", {})
        elif task.get("status") == "failed":
            data["error"] = task.get("error", {})
        return json_response({"request_id": request_id(request), "data": data}, request)

    async def models(self, request: Request) -> Response:
        """``GET /v2/analysis/<cloud>/models``."""
        self._begin(request)
        from edge.analysis.models_v2 import models_listing

        return json_response({"request_id": request_id(request), "data": models_listing()}, request)

    # ---- tasks (the job queue) -------------------------------------------------------------
    def _spawn(self, coro: Any) -> None:
        t = asyncio.ensure_future(coro)
        self._background.add(t)
        t.add_done_callback(self._background.discard)

    def _register_jobs(self) -> None:
        jobs = self.ctx.jobs
        if jobs is None:
            return
        attempts = max(1, int(self.ctx.extra.get("webhook_attempts", 5)))
        jobs.register("analyze.run", self._run_job)
        jobs.register("analyze.webhook", self._webhook_job, retries=attempts - 1, retry_delay_s=1.0,
                      retry_backoff=2.0)

    def _server_loop(self) -> asyncio.AbstractEventLoop:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            upload_api = self.ctx.extra.get("upload_api")
            loop = self.loop or (upload_api.loop if upload_api is not None else None)
            if loop is not None:
                return loop
            time.sleep(0.05)
        raise RuntimeError("analyze job ran before the server started")

    def _run_job(self, payload: dict[str, Any]) -> None:
        """Job ``analyze.run`` (a consumer thread): the task's work on the server's loop."""
        asyncio.run_coroutine_threadsafe(self._task(payload), self._server_loop()).result(timeout=900)

    def _webhook_job(self, payload: dict[str, Any]) -> None:
        """Job ``analyze.webhook``: one delivery attempt; raises so the queue retries."""
        if not self.ctx.webhooks.send_once(payload["url"], payload["payload"]):
            raise RuntimeError(f"analysis webhook to {payload['url'][:200]} not delivered")

    async def _task(self, payload: dict[str, Any]) -> None:
        """Run one task: processing -> completed | failed, then the notification.  A task
        already finished (a job run again after a crash) is left as it is."""
        from edge.analysis.models_v2 import resolve

        task_id = payload["task_id"]
        task = await self._io(self.tasks.get, task_id)
        if task is None or task.get("status") in ("completed", "failed"):
            return
        await self._io(lambda: self.tasks.update(task_id, status="processing"))
        ref = SourceRef(**payload["source"])
        note: dict[str, Any] = {"notification_type": "analysis", "task_id": task_id, "model": payload["model"],
                                "request_id": payload.get("request_id", "")}
        try:
            analysis = await self.analysis(ref, resolve(payload["model"]))
            await self._io(lambda: self.tasks.update(task_id, status="completed", analysis=analysis))
            note.update(status="completed", data={"entity": ref.entity, "analysis": analysis})
        except Exception as exc:  # noqa: BLE001 - reported through the task and the webhook
            if isinstance(exc, AnalyzeError):
                err = {"category": exc.category, "code": exc.code, "message": exc.message, "details": exc.details}
            else:
                log.exception("analyze task %s failed", task_id)
                err = {"category": "server_error", "code": "internal_error", "message": "Internal error", "details": {}}
            await self._io(lambda: self.tasks.update(task_id, status="failed", error=err))
            note.update(status="failed", data={"entity": ref.entity}, error=err)
        self._notify(payload.get("notification_url") or "", note)

    def _notify(self, url: str, note: dict[str, Any]) -> None:
        sender = self.ctx.webhooks
        if sender is None:
            return
        note.setdefault("timestamp", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        for target in dict.fromkeys(u for u in (url, self.ctx.notification_url) if u):
            if self.ctx.jobs is not None:
                try:
                    self.ctx.jobs.enqueue("analyze.webhook", {"url": target, "payload": note})
                    continue
                except Exception:  # noqa: BLE001 - queue down: send in-process
                    log.exception("cannot enqueue analysis webhook; sending in-process")
            self._spawn(sender.deliver(target, note))

    async def drain(self) -> None:
        """Wait for in-process background work (tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


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
        return _v2(handle)

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    return [
        Route("/v2/analysis/{cloud}/analyze/{model}", only("POST", api.analyze_v2), methods=methods),
        Route("/v2/{cloud}/analysis/analyze/{input_type}", only("POST", api.analyze_sdk), methods=methods),
        Route("/v2/analysis/{cloud}/tasks/{task_id}", only("GET", api.task), methods=methods),
        Route("/v2/{cloud}/analysis/tasks/{task_id}", only("GET", api.task), methods=methods),
        Route("/v2/analysis/{cloud}/models", only("GET", api.models), methods=methods),
        Route("/v2/{rest:path}", _v2(_unknown_path), methods=methods),  # last: never delivery's
    ]


async def _unknown_path(request: Request) -> Response:
    """A `/v2/...` path that no Analyze route matches (a `%2F` in a task id, a typo)."""
    raise AnalyzeError(404, "not_found", f"Unknown Analyze API path {request.url.path[:200]}")
