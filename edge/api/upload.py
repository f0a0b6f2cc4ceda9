"""The Upload API endpoints (upload-spec §1-§2.2): `POST /v1_1/<cloud>/image/upload`,
`explicit`, `destroy`, `rename`, `tags`, `context` and `delete_by_token`.

Flow of an upload: body read (streamed, `edge.api.forms`) -> authentication (signature or
unsigned preset, `edge.api.auth`) -> every parameter checked (a parameter Edge does not honour
is a 400 naming it, never silently dropped; `eval`/`on_success` are never executed) -> `file`
resolved (file part, http(s) URL through the fetch origin and its SSRF rules, data URI, bare
base64; `edge.api.incoming`) -> image validated with pyvips (header, limits, the file's end
marker or a strict decode: a text file or a truncated image is a 400 and nothing is stored)
-> optional incoming `transformation`
/ `format` rendered by the delivery renderer -> analysis (`edge.analysis`) -> original written
under a new version_id key (atomic) -> `Catalogue.publish` -> previous bytes removed (unless
`backup`) and, with `invalidate`, the old derived cache entries purged -> `eager` renders
through `edge.derive.Deriver` (the delivery miss path, same cache keys) -> response JSON with
every §1.4 field.  `async=1` answers `{"status": "pending", ...}` once the original is stored
and continues (analysis, eager, webhook) in the background; `eager_async` and
`notification_url` likewise (webhooks: `edge.api.webhooks`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from edge.api.auth import NON_SIGNABLE_TAG_PARAMS, UploadAuth, authenticate_upload
from edge.api.errors import ApiError, api_errors, json_response
from edge.api.forms import Body, parse_bool, read_body, text_param
from edge.api.incoming import ChunkedUpload, Incoming, filename_base, probe_image, resolve_file
from edge.api.params import (
    AUTH_PARAMS, CONTEXT_COMMANDS, CONTEXT_PARAMS, DESTROY_PARAMS, EXPLICIT_EXTRA, KNOWN_UPLOAD_PARAMS,
    RENAME_PARAMS, TAG_COMMANDS, TAGS_PARAMS, EagerSpec, UploadParams, check_names, check_public_id,
    delivery_type_param, parse_context, parse_tags, preset_params, random_public_id, split_list, url_param,
)
from edge.api.resources import delivery_url, make_delete_token, read_delete_token, resource_json
from edge.api.router import ApiContext
from edge.derive import FixedHints, target_of
from edge.storage import StorageError
from edge.storage.writable import original_key

#: `parse_context`, `resource_json`, `delivery_url`, `probe_image` are re-exported (Admin API, bench).
__all__ = ["upload_routes", "UploadApi", "parse_context", "resource_json", "delivery_url", "probe_image"]

log = logging.getLogger("edge.api")


# ---- the endpoints -------------------------------------------------------------------------
class UploadApi:
    """The Upload API endpoints over one `ApiContext` (see the module docs)."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self._background: set[asyncio.Task[Any]] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._register_jobs()

    # -- helpers ---------------------------------------------------------------------------
    async def _io(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.ctx.io, lambda: fn(*args, **kwargs))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background work (async uploads, eager_async, webhooks) to finish."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def _check_cloud(self, request: Request) -> None:
        cloud = request.path_params.get("cloud", "")
        if cloud != self.ctx.cloud_name:
            raise ApiError(404, f"Unknown cloud name - {cloud[:64]}")
        rtype = request.path_params.get("resource_type", "image")
        # `upload_large` posts its chunks as resource_type raw unless told otherwise
        chunked = "content-range" in request.headers and rtype == "raw"
        if rtype not in ("image", "auto") and not chunked:
            raise ApiError(400, f"Edge supports resource_type image only, not {rtype[:20]}")

    async def _begin(self, request: Request, *, allow_unsigned: bool = False,
                     exclude: frozenset[str] = frozenset(),
                     open_file: Callable[[], Any] | None = None) -> tuple[Body, UploadAuth]:
        self._check_cloud(request)
        body = await read_body(request, max_bytes=self.ctx.max_upload_bytes, open_file=open_file,
                               executor=self.ctx.io)
        try:
            if not allow_unsigned and not text_param(body.params, "signature"):
                if not text_param(body.params, "api_key"):
                    raise ApiError(400, "Missing required parameter - api_key")
                raise ApiError(400, "Missing required parameter - signature")
            catalogue = self.ctx.catalogue
            check = functools.partial(
                authenticate_upload, body.params, api_key=self.ctx.api_key,
                api_secret=self.ctx.api_secret,
                lookup_preset=catalogue.get_preset if catalogue is not None else None, exclude=exclude,
            )
            # a signature check alone is microseconds: only a preset lookup needs a thread
            auth = await self._io(check) if "upload_preset" in body.params else check()
        except BaseException:
            body.close()
            raise
        return body, auth

    def _effective(self, body: Body, auth: UploadAuth) -> dict[str, Any]:
        """Request parameters over the preset's settings (request wins)."""
        params = preset_params(auth.preset)
        if auth.preset.get("disallow_public_id") and "public_id" in body.params:
            raise ApiError(400, f"public_id is not allowed by upload preset {auth.preset_name}")
        params.update(body.params)
        if not auth.signed and "overwrite" not in auth.preset:
            params["overwrite"] = "0"
        return params

    def _analysis_request(self, params: Mapping[str, Any]) -> Any:
        from edge.analysis import AnalysisError, AnalysisRequest  # noqa: PLC0415

        try:
            return AnalysisRequest.from_params(params, lenient=self.ctx.lenient_analysis,
                                               aliases=self.ctx.analysis_aliases)
        except AnalysisError as exc:
            raise ApiError(400, exc.message) from None

    @staticmethod
    def _wants_analysis(areq: Any) -> bool:
        from edge.analysis.request import BOOL_FLAGS  # noqa: PLC0415

        return bool(any(getattr(areq, f) for f in BOOL_FLAGS) or areq.detection or areq.categorization
                    or areq.ocr or areq.auto_tagging is not None)

    def _analyze(self, data: bytes, areq: Any, public_id: str, version_id: str) -> dict[str, Any]:
        """Blocking: `edge.analysis.analyze` with the vision focus of this asset version (its
        detections pre-warm the cache delivery's g_face/g_auto read)."""
        from edge.analysis import AnalysisError, analyze  # noqa: PLC0415

        focus = None
        factory = getattr(self.ctx.deriver, "focus_factory", None)
        if factory is not None:
            try:
                focus = factory(public_id, version_id)
            except Exception:  # noqa: BLE001 - no focus provider: analysis still runs
                focus = None
        try:
            return analyze(data, areq, asset_token=version_id, focus=focus)
        except AnalysisError as exc:
            raise ApiError(400, exc.message) from None

    def _eager_requests(self, record: Any, specs: Sequence[EagerSpec]) -> list[Any]:
        """Parse each eager transformation as a delivery URL of `record` (400 when malformed
        or when it depends on the browser: f_auto, w_auto, dpr_auto)."""
        from edge.url import UrlError, parse  # noqa: PLC0415

        reqs = []
        for spec in specs:
            path = delivery_url("", self.ctx.cloud_name, record, spec.transformation, spec.ext)
            try:
                req = parse(path, cloud_name=self.ctx.cloud_name)
            except UrlError as exc:
                raise ApiError(400, f"Invalid eager transformation {spec.transformation[:100]!r}: {exc}") from None
            for comp in req.components:
                for p in comp:
                    text = str(p.text)
                    if (p.key == "f" and text.startswith("auto")) or (p.key in ("dpr", "w") and text.startswith("auto")):
                        raise ApiError(400, f"Invalid eager transformation {spec.transformation[:100]!r}: "
                                            f"{p.key}_auto depends on the requesting browser")
            from edge.render.cost import ChainLimitError, check_chain  # noqa: PLC0415

            try:  # the URL limits of delivery (issue 9) hold for eager derivatives too
                check_chain(req.components, self.ctx.deriver.named, self.ctx.deriver.limits)
            except ChainLimitError as exc:
                raise ApiError(400, f"Invalid eager transformation {spec.transformation[:100]!r}: {exc}") from None
            reqs.append(req)
        return reqs

    async def _render_eager(self, record: Any, specs: Sequence[EagerSpec]) -> list[dict[str, Any]]:
        """Render each eager derivative through the delivery miss path and store it in the
        derived cache under delivery's key (the first GET of its URL is a hit); record it in
        the catalogue.  Raises the render/storage errors (mapped by the caller)."""
        deriver = self.ctx.deriver
        out = []
        for spec, req in zip(specs, self._eager_requests(record, specs)):
            hints = FixedHints(output=req.format or "")
            target = target_of(deriver, req, hints, record)
            produced = await deriver.produce(req, target, hints, wait_for_cache=True, check_backing=False)
            asset = produced.asset
            await self._io(self.ctx.catalogue.add_derived, record.asset_id, record.version_id,
                           transformation=spec.transformation, format=asset.format, bytes=len(asset.data),
                           width=asset.width, height=asset.height, cache_key=target.key)
            out.append({
                "transformation": spec.transformation, "width": asset.width, "height": asset.height,
                "bytes": len(asset.data), "format": asset.format,
                "url": delivery_url(self.ctx.public_url, self.ctx.cloud_name, record, spec.transformation,
                                    spec.ext or record.format),
                "secure_url": delivery_url(self.ctx.secure_url, self.ctx.cloud_name, record,
                                           spec.transformation, spec.ext or record.format),
            })
        return out

    async def _eager_answer(self, record: Any, p: Any, params_text: str) -> list[dict[str, Any]]:
        """The `eager` list of an upload/explicit answer: rendered now, or (`eager_async`)
        `processing` entries with their URLs and a durable `eager` job that renders them and
        sends the `eager` notification."""
        ctx = self.ctx
        if not p.eager_async:
            return await self._eager_or_error(record, p.eager)
        batch = p.batch_id or secrets.token_hex(32)
        self._job("eager", {"type": record.type, "public_id": record.public_id,
                            "version": record.version, "params": params_text, "batch_id": batch})
        return [{"status": "processing", "batch_id": batch,
                 "url": delivery_url(ctx.public_url, ctx.cloud_name, record, s.transformation, s.ext),
                 "secure_url": delivery_url(ctx.secure_url, ctx.cloud_name, record, s.transformation, s.ext)}
                for s in p.eager]

    async def _eager_or_error(self, record: Any, specs: Sequence[EagerSpec]) -> list[dict[str, Any]]:
        from edge.render.errors import RenderError  # noqa: PLC0415

        try:
            return await self._render_eager(record, specs)
        except ApiError:
            raise
        except RenderError as exc:
            raise ApiError(400, f"Eager transformation failed: {exc}") from None
        except StorageError as exc:
            raise ApiError(400 if exc.status < 500 else 503, f"Eager transformation failed: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - pool overload / timeout
            if type(exc).__name__ in ("Overloaded", "RenderTimeout"):
                raise ApiError(503, "Server busy: eager render did not run") from None
            raise

    def _public_id_for(self, p: UploadParams, incoming: Incoming) -> str:
        if p.public_id:
            base = p.public_id
        elif p.use_filename and (p.filename_override or incoming.filename):
            stem = re.sub(r"[^\w.-]+", "_", filename_base(p.filename_override or incoming.filename)).strip("._") or "file"
            base = f"{stem}_{random_public_id(6)}" if p.unique_filename else stem
        else:
            base = random_public_id()
        prefixes = [p.folder]
        if p.use_asset_folder_prefix and p.asset_folder:
            prefixes.append(p.asset_folder)
        if p.public_id_prefix:
            prefixes.append(p.public_id_prefix)
        full = "/".join(x for x in (*prefixes, base) if x)
        return check_public_id(full)

    def _transform_incoming(self, data: bytes, p: UploadParams) -> bytes:
        """Blocking: apply the incoming `transformation` / `format` with the delivery renderer
        (the stored original is the result)."""
        from edge.render.errors import RenderError  # noqa: PLC0415
        from edge.storage import Source  # noqa: PLC0415
        from edge.url import UrlError, parse  # noqa: PLC0415

        fmt = p.format or probe_image(data, self.ctx.deriver.limits).format
        trans = f"{p.transformation}/" if p.transformation else ""
        try:
            req = parse(f"/{self.ctx.cloud_name}/image/upload/{trans}incoming.{fmt}", cloud_name=self.ctx.cloud_name)
        except UrlError as exc:
            raise ApiError(400, f"Invalid transformation - {exc}") from None
        try:
            rendered = self.ctx.deriver.render(Source(data, "incoming", "", ""), req, FixedHints(output=fmt))
        except RenderError as exc:
            raise ApiError(400, f"Incoming transformation failed: {exc}") from None
        return rendered.data

    # -- upload ----------------------------------------------------------------------------
    async def upload(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/upload` (spec §1).  The version_id is chosen first: a
        file part is streamed into the origin's staging file of that version (when the
        origin has one: a disk origin), so its bytes are written once and published by rename."""
        from edge.assets.catalogue import new_version_id  # noqa: PLC0415

        version_id = new_version_id()
        stage = getattr(self.ctx.store, "stage", None)
        body, auth = await self._begin(request, allow_unsigned=True,
                                       open_file=(lambda: stage(version_id)) if stage is not None else None)
        try:
            params = self._effective(body, auth)
            check_names(params, KNOWN_UPLOAD_PARAMS)
            p = UploadParams.parse(params, signed=auth.signed)
            areq = self._analysis_request(params)
            if body.file_part is not None:  # already on disk: nothing blocking to do
                incoming = resolve_file(self.ctx, body)
            else:
                incoming = await self._io(resolve_file, self.ctx, body)
            if "content-range" in request.headers:
                chunks = ChunkedUpload.from_headers(request.headers, self.ctx)
                incoming = await self._io(chunks.add, incoming)
                if incoming is None:  # more chunks to come
                    return json_response({"done": False, "upload_id": chunks.upload_id,
                                          "public_id": p.public_id or ""}, request)
            try:
                result = await self._ingest(request, incoming, p, areq, auth, _jsonable(params), version_id)
            finally:
                incoming.file.close()
        finally:
            body.close()
        return json_response(result, request)

    async def _ingest(self, request: Request, incoming: Incoming, p: UploadParams, areq: Any,
                      auth: UploadAuth, params_text: dict[str, Any], version_id: str) -> dict[str, Any]:
        from edge.assets.catalogue import AssetDraft  # noqa: PLC0415

        ctx = self.ctx
        probe = await self._io(probe_image, incoming, ctx.deriver.limits)
        if p.allowed_formats and probe.format not in p.allowed_formats:
            raise ApiError(400, "File format not allowed")
        if p.transformation or (p.format and p.format != probe.format):
            converted = await self._io(self._transform_incoming, await self._io(incoming.read), p)
            incoming = Incoming.of_bytes(converted, incoming.filename, incoming.origin)
            probe = await self._io(probe_image, incoming, ctx.deriver.limits)
        public_id = self._public_id_for(p, incoming)
        if p.eager:  # syntax checked before anything is stored
            self._eager_requests(_Stub(p.delivery_type, public_id, probe.format), p.eager)
        analysis: dict[str, Any] = {}
        dedupe = [m for m in p.moderation or () if m["kind"] == "duplicate"]
        hidden = {"phash"} if dedupe and not areq.phash else set()  # compared and stored, not answered
        now = dataclasses.replace(areq, phash=True) if dedupe else areq
        if p.is_async:  # the rest of the analysis runs in the background job
            now = dataclasses.replace(type(areq)(), phash=True) if dedupe else None
        if now is not None and self._wants_analysis(now):
            analysis = await self._io(self._analyze, await self._io(incoming.read), now, public_id, version_id)
        if dedupe:
            p.moderation = await self._io(_moderate_duplicates, ctx.catalogue, p.moderation, analysis.get("phash"),
                                          p.delivery_type, public_id)
        auto_tags = list(analysis.pop("tags", []) or [])
        original_filename = None
        if not p.discard_original_filename:
            original_filename = p.filename_override or incoming.filename or None
            if original_filename is not None:
                original_filename = filename_base(original_filename)
        tags = None if p.tags is None and not auto_tags else list(dict.fromkeys([*(p.tags or []), *auto_tags]))
        faces = areq.face_coordinates
        if faces is None and analysis.get("faces") is not None:
            faces = analysis.get("faces")
        display = p.display_name
        if display is None and p.use_filename_as_display_name and original_filename:
            display = original_filename
        draft = AssetDraft(
            type=p.delivery_type, public_id=public_id, version_id=version_id, format=probe.format,
            width=probe.width, height=probe.height, bytes=incoming.size, etag=await self._io(incoming.md5),
            pages=probe.pages, tags=tags, context=p.context, metadata=p.metadata,
            coordinates_custom=[list(b) for b in areq.custom_coordinates] if areq.custom_coordinates is not None else None,
            coordinates_faces=[list(b) for b in faces] if faces is not None else None,
            asset_folder=p.asset_folder, display_name=display or None,
            original_filename=original_filename, access_mode=p.access_mode, moderation=p.moderation,
            analysis=analysis, auto_tags=auto_tags or None, extra=p.extra or None,
        )
        from edge.assets.originals import store_original  # noqa: PLC0415

        pub = await self._io(lambda: store_original(ctx.store, ctx.catalogue, draft, incoming.rewound(),
                                                    overwrite=p.overwrite, backup=p.backup))
        if pub.existing:
            out = resource_json(ctx, pub.record, api_key=auth.api_key or None, algorithm=auth.algorithm)
            out["existing"] = True
            return out
        record = pub.record
        ctx.deriver.forget(record.type, record.public_id)
        if pub.previous is not None and p.invalidate:
            await self._io(_quiet_purge, ctx.purge, record)
        out = resource_json(ctx, record, api_key=auth.api_key or None, algorithm=auth.algorithm)
        for key in hidden:
            out.pop(key, None)
        if p.return_delete_token:
            out["delete_token"] = make_delete_token(ctx.api_secret or "edge", record)
        if p.is_async:
            batch = p.batch_id or secrets.token_hex(32)
            self._job("finish_upload", {
                "type": record.type, "public_id": record.public_id, "version": record.version,
                "params": params_text, "api_key": auth.api_key, "algorithm": auth.algorithm,
                "batch_id": batch, "request_id": request_id_of(request)})
            return {"status": "pending", "type": p.delivery_type, "batch_id": batch, "public_id": record.public_id}
        if p.eager:
            out["eager"] = await self._eager_answer(record, p, params_text)
        if p.notification_url or ctx.notification_url:
            self._notify(p.notification_url, {**out, "notification_type": "upload",
                                              "request_id": request_id_of(request)})
        return out

    # -- background work (the jobs seam) --------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to the server's event loop and start the job consumer (lifespan startup).
        Job handlers run in consumer threads and hand their async work to this loop."""
        self.loop = loop
        if self.ctx.jobs is not None:
            self.ctx.jobs.start()

    async def stop(self) -> None:
        """Stop the job consumer (running jobs finish; waiting ones stay stored) and wait for
        in-process background work (lifespan shutdown)."""
        if self.ctx.jobs is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.ctx.jobs.stop)
        await self.drain()

    def _register_jobs(self) -> None:
        jobs = self.ctx.jobs
        if jobs is None:
            return
        attempts = max(1, int(self.ctx.extra.get("webhook_attempts", 5)))
        jobs.register("api.finish_upload", self._run_job(self._finish_upload))
        jobs.register("api.eager", self._run_job(self._eager_job))
        jobs.register("api.webhook", self._webhook_job, retries=attempts - 1, retry_delay_s=1.0, retry_backoff=2.0)

    def _run_job(self, fn: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
        def handler(payload: dict[str, Any]) -> None:
            deadline = time.monotonic() + 60
            while self.loop is None and time.monotonic() < deadline:  # a job found at startup
                time.sleep(0.05)
            if self.loop is None:
                raise RuntimeError("API job ran before the server started")
            asyncio.run_coroutine_threadsafe(fn(payload), self.loop).result(timeout=600)
        return handler

    def _job(self, name: str, payload: dict[str, Any]) -> None:
        """Run background work `name` durably (the job queue) or, without one, in-process."""
        if self.ctx.jobs is not None:
            try:
                self.ctx.jobs.enqueue(f"api.{name}", payload)
                return
            except Exception:  # noqa: BLE001 - the queue is down: do it in-process
                log.exception("cannot enqueue job %s; running it in-process", name)
        fn = {"finish_upload": self._finish_upload, "eager": self._eager_job}[name]
        self._spawn(fn(payload))

    async def _current(self, payload: Mapping[str, Any]) -> Any:
        """The record a job is about, or None when it was deleted or replaced since."""
        record = await self._io(self.ctx.catalogue.get, payload["type"], payload["public_id"])
        if record is None or record.version != payload["version"]:
            return None
        return record

    async def _finish_upload(self, payload: dict[str, Any]) -> None:
        """Background part of `async=1`: analysis, eager, then the upload notification."""
        ctx = self.ctx
        params = payload["params"]
        p = UploadParams.parse(params, signed=bool(payload.get("api_key")))
        batch, rid = payload["batch_id"], payload.get("request_id", "")
        try:
            record = await self._current(payload)
            if record is None:
                raise ApiError(404, f"Resource not found - {payload['public_id']} (replaced or deleted)")
            areq = self._analysis_request(params)
            if self._wants_analysis(areq):
                source = await self._io(ctx.store.load_key, original_key(record.version_id, record.format))
                analysis = await self._io(self._analyze, source.data, areq, record.public_id, record.version_id)
                auto = list(analysis.pop("tags", []) or [])
                if analysis.get("faces") and areq.face_coordinates is None:
                    record = await self._io(_update, ctx.catalogue, record,
                                            {"coordinates_faces": [list(b) for b in analysis["faces"]]})
                record = await self._io(ctx.catalogue.set_analysis, record.asset_id, record.version, analysis,
                                        auto_tags=auto) or record
                ctx.deriver.forget(record.type, record.public_id)
            out = resource_json(ctx, record, api_key=payload.get("api_key") or None,
                                algorithm=payload.get("algorithm", "sha1"))
            if p.eager:
                out["eager"] = await self._eager_or_error(record, p.eager)
            self._notify(p.notification_url, {**out, "notification_type": "upload", "batch_id": batch,
                                              "request_id": rid})
        except Exception as exc:  # noqa: BLE001 - reported through the webhook, never raised
            message = exc.message if isinstance(exc, ApiError) else "Internal error"
            if not isinstance(exc, ApiError):
                log.exception("async upload of %s failed", payload.get("public_id"))
            self._notify(p.notification_url, {"notification_type": "upload", "status": "failed",
                                              "batch_id": batch, "public_id": payload.get("public_id"),
                                              "error": {"message": message}, "request_id": rid})

    async def _eager_job(self, payload: dict[str, Any]) -> None:
        """Background eager renders (`eager_async`), then the `eager` notification."""
        p = UploadParams.parse(payload["params"], signed=True)
        batch = payload["batch_id"]
        try:
            record = await self._current(payload)
            if record is None:
                raise ApiError(404, f"Resource not found - {payload['public_id']} (replaced or deleted)")
            eager = await self._eager_or_error(record, p.eager)
            note = {"notification_type": "eager", "batch_id": batch, "public_id": record.public_id,
                    "asset_id": record.asset_id, "eager": eager}
        except Exception as exc:  # noqa: BLE001 - reported through the webhook
            message = exc.message if isinstance(exc, ApiError) else "Internal error"
            if not isinstance(exc, ApiError):
                log.exception("eager renders of %s failed", payload.get("public_id"))
            note = {"notification_type": "eager", "batch_id": batch, "public_id": payload.get("public_id"),
                    "status": "failed", "error": {"message": message}}
        self._notify(p.eager_notification_url or p.notification_url, note)

    def _webhook_job(self, payload: dict[str, Any]) -> None:
        """One delivery attempt (the queue retries with backoff); raises on failure."""
        if not self.ctx.webhooks.send_once(payload["url"], payload["payload"]):
            raise RuntimeError(f"webhook to {payload['url'][:200]} not delivered")

    def _notify(self, url: str, payload: dict[str, Any]) -> None:
        """Send the webhook to `url` and to the global notification URL (when set): through
        the job queue (durable, retried there) or, without one, in-process with retries."""
        sender = self.ctx.webhooks
        if sender is None:
            return
        payload.setdefault("timestamp", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        for target in dict.fromkeys(u for u in (url, self.ctx.notification_url) if u):
            if self.ctx.jobs is not None:
                try:
                    self.ctx.jobs.enqueue("api.webhook", {"url": target, "payload": payload})
                    continue
                except Exception:  # noqa: BLE001 - the queue is down: send in-process
                    log.exception("cannot enqueue webhook; sending in-process")
            self._spawn(sender.deliver(target, payload))

    # -- explicit --------------------------------------------------------------------------
    async def explicit(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/explicit` (spec §2.1): eager renders, analysis, tags,
        context, metadata, coordinates of an existing asset; the same JSON as upload."""
        body, auth = await self._begin(request)
        body.close()
        params = self._effective(body, auth)
        check_names(params, (KNOWN_UPLOAD_PARAMS - {"file"}) | EXPLICIT_EXTRA)
        if "file" in params or body.file_part is not None:
            raise ApiError(400, "explicit takes no file")
        p = UploadParams.parse(params, signed=True)
        params_text = _jsonable(params)
        if not p.public_id:
            raise ApiError(400, "Missing required parameter - public_id")
        areq = self._analysis_request(params)
        ctx = self.ctx
        record = await self._io(ctx.catalogue.get, p.delivery_type, p.public_id)
        if record is None:
            raise ApiError(404, f"Resource not found - {p.public_id}")
        if p.eager:
            self._eager_requests(record, p.eager)
        fields: dict[str, Any] = {}
        if p.tags is not None:
            fields["tags"] = p.tags
        if p.context is not None:
            fields["context"] = p.context
        if p.metadata is not None:
            fields["metadata"] = p.metadata
        if areq.custom_coordinates is not None:
            fields["coordinates_custom"] = [list(b) for b in areq.custom_coordinates]
        if areq.face_coordinates is not None:
            fields["coordinates_faces"] = [list(b) for b in areq.face_coordinates]
        if p.moderation is not None:
            fields["moderation"] = p.moderation
        if p.display_name is not None:
            fields["display_name"] = p.display_name
        if p.asset_folder is not None:
            fields["asset_folder"] = p.asset_folder
        if p.access_mode is not None:
            fields["access_mode"] = p.access_mode
        if fields:
            record = await self._io(_update, ctx.catalogue, record, fields)
        analysis = None
        if self._wants_analysis(areq):
            source = await self._io(ctx.store.load_key, original_key(record.version_id, record.format))
            analysis = await self._io(self._analyze, source.data, areq, record.public_id, record.version_id)
            auto = list(analysis.pop("tags", []) or [])
            if "faces" in analysis and areq.face_coordinates is None and analysis["faces"]:
                record = await self._io(_update, ctx.catalogue, record,
                                        {"coordinates_faces": [list(b) for b in analysis["faces"]]})
            updated = await self._io(ctx.catalogue.set_analysis, record.asset_id, record.version, analysis,
                                     auto_tags=auto)
            record = updated or record
        ctx.deriver.forget(record.type, record.public_id)  # coordinates, tags feed delivery
        if p.invalidate:
            await self._io(_quiet_purge, ctx.purge, record)
        out = resource_json(ctx, record, api_key=auth.api_key or None, algorithm=auth.algorithm,
                            analysis={**record.analysis, **(analysis or {})})
        if p.eager:
            out["eager"] = await self._eager_answer(record, p, params_text)
        if p.notification_url:
            self._notify(p.notification_url, {**out, "notification_type": "explicit",
                                              "request_id": request_id_of(request)})
        return json_response(out, request)

    # -- destroy ---------------------------------------------------------------------------
    async def destroy(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/destroy` (spec §2.2): `{"result": "ok"}` or
        `{"result": "not found"}` (200 both)."""
        body, auth = await self._begin(request)
        body.close()
        check_names(body.params, DESTROY_PARAMS)
        pid = text_param(body.params, "public_id").strip()
        if not pid:
            raise ApiError(400, "Missing required parameter - public_id")
        result = await self._destroy(delivery_type_param(body.params), pid,
                                     parse_bool(body.params.get("invalidate"), "invalidate"))
        url = url_param(body.params, "notification_url")
        if url and result == "ok":
            self._notify(url, {"notification_type": "delete", "public_id": pid, "result": result,
                               "request_id": request_id_of(request)})
        return json_response({"result": result}, request)

    async def _destroy(self, type_: str, public_id: str, invalidate: bool, asset_id: str | None = None) -> str:
        ctx = self.ctx
        if asset_id is not None:
            record = await self._io(ctx.catalogue.get, type_, public_id)
            if record is None or record.asset_id != asset_id:
                return "not found"
        removed = await self._io(ctx.catalogue.delete, type_, public_ids=[public_id])
        ctx.deriver.forget(type_, public_id)
        if not removed:
            return "not found"
        from edge.assets.originals import remove_originals  # noqa: PLC0415

        await self._io(remove_originals, ctx.store, removed)
        for gone in removed:  # its derived entries are unreachable now; purge frees their space
            await self._io(_quiet_purge, ctx.purge, gone)
        return "ok"

    async def delete_by_token(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/[image/]delete_by_token` with `token` (unsigned; the token is
        the credential, valid 10 minutes)."""
        self._check_cloud(request)
        body = await read_body(request, max_bytes=64 * 1024)
        body.close()
        check_names(body.params, AUTH_PARAMS | {"token"})
        token = text_param(body.params, "token")
        if not token:
            raise ApiError(400, "Missing required parameter - token")
        asset_id, type_, public_id = read_delete_token(self.ctx.api_secret or "edge", token)
        result = await self._destroy(type_, public_id, True, asset_id=asset_id)
        return json_response({"result": result}, request)

    # -- rename ----------------------------------------------------------------------------
    async def rename(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/rename`: the renamed asset's JSON (404 missing source,
        409 target taken without overwrite)."""
        from edge.assets.catalogue import AssetExists, AssetMissing  # noqa: PLC0415

        body, auth = await self._begin(request)
        body.close()
        params = body.params
        check_names(params, RENAME_PARAMS)
        src = check_public_id(text_param(params, "from_public_id"), "from_public_id") \
            if text_param(params, "from_public_id").strip() else None
        dst = check_public_id(text_param(params, "to_public_id"), "to_public_id") \
            if text_param(params, "to_public_id").strip() else None
        if src is None:
            raise ApiError(400, "Missing required parameter - from_public_id")
        if dst is None:
            raise ApiError(400, "Missing required parameter - to_public_id")
        type_ = delivery_type_param(params)
        to_type = delivery_type_param(params, "to_type") if text_param(params, "to_type") else None
        overwrite = parse_bool(params.get("overwrite"), "overwrite")
        invalidate = parse_bool(params.get("invalidate"), "invalidate")
        context = parse_context(params["context"]) if "context" in params else None
        metadata = parse_context(params["metadata"], "metadata") if "metadata" in params else None
        ctx = self.ctx
        try:
            result = await self._io(ctx.catalogue.rename, type_, src, dst, overwrite=overwrite, to_type=to_type)
        except AssetMissing:
            raise ApiError(404, f"Resource not found - {src}") from None
        except AssetExists:
            raise ApiError(409, f"Resource already exists - {dst}") from None
        record = result.record
        ctx.deriver.forget(type_, src)
        ctx.deriver.forget(record.type, dst)
        if result.replaced is not None:
            from edge.assets.originals import remove_originals  # noqa: PLC0415

            await self._io(remove_originals, ctx.store, [result.replaced])
            await self._io(_quiet_purge, ctx.purge, result.replaced)
        if invalidate:
            await self._io(_quiet_purge, ctx.purge, record)
        fields: dict[str, Any] = {}
        if context is not None:
            fields["context"] = {**record.context, **context}
        if metadata is not None:
            fields["metadata"] = metadata
        if fields:
            record = await self._io(_update, ctx.catalogue, record, fields)
        url = url_param(params, "notification_url")
        out = resource_json(ctx, record, api_key=auth.api_key or None, algorithm=auth.algorithm)
        if url:
            self._notify(url, {**out, "notification_type": "rename", "from_public_id": src,
                               "request_id": request_id_of(request)})
        return json_response(out, request)

    # -- tags and context ------------------------------------------------------------------
    async def tags(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/tags`: `command` add | remove | replace | remove_all |
        set_exclusive; `{"public_ids": [...]}` of the assets found."""
        body, _auth = await self._begin(request, exclude=NON_SIGNABLE_TAG_PARAMS)
        body.close()
        params = body.params
        check_names(params, TAGS_PARAMS)
        notify_url = url_param(params, "notification_url")
        command = text_param(params, "command").strip()
        if command not in TAG_COMMANDS:
            raise ApiError(400, f"Invalid command - {command[:40]} (add, remove, replace, remove_all, set_exclusive)")
        ids = _public_ids(params)
        tags = parse_tags(params.get("tag"))
        if command != "remove_all" and not tags:
            raise ApiError(400, "Missing required parameter - tag")
        type_ = delivery_type_param(params)
        cat = self.ctx.catalogue
        if command == "add":
            res = await self._io(cat.add_tags, type_, ids, tags)
        elif command == "remove":
            res = await self._io(cat.remove_tags, type_, ids, tags)
        elif command == "replace":
            res = await self._io(cat.replace_tags, type_, ids, tags)
        elif command == "remove_all":
            res = await self._io(cat.remove_all_tags, type_, ids)
        else:
            if len(tags) != 1:
                raise ApiError(400, "set_exclusive takes exactly one tag")
            res = await self._io(_set_exclusive, cat, type_, ids, tags[0])
        for pid in res.public_ids:  # tags and context feed if_ conditions: new keys at once
            self.ctx.deriver.forget(type_, pid)
        if notify_url:
            self._notify(notify_url, {"notification_type": "tags", "command": command,
                               "public_ids": list(res.public_ids), "request_id": request_id_of(request)})
        return json_response({"public_ids": list(res.public_ids)}, request)

    async def context(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/context`: `command` add | remove_all (| remove with
        `context` listing keys); `{"public_ids": [...]}`."""
        body, _auth = await self._begin(request, exclude=NON_SIGNABLE_TAG_PARAMS)
        body.close()
        params = body.params
        check_names(params, CONTEXT_PARAMS)
        notify_url = url_param(params, "notification_url")
        command = text_param(params, "command").strip()
        if command not in CONTEXT_COMMANDS:
            raise ApiError(400, f"Invalid command - {command[:40]} (add, remove_all)")
        ids = _public_ids(params)
        type_ = delivery_type_param(params)
        cat = self.ctx.catalogue
        if command == "add":
            context = parse_context(params.get("context"))
            if not context:
                raise ApiError(400, "Missing required parameter - context")
            res = await self._io(cat.add_context, type_, ids, context)
        elif command == "remove":
            keys = split_list(params.get("context"))
            if not keys:
                raise ApiError(400, "Missing required parameter - context")
            res = await self._io(cat.remove_context, type_, ids, keys)
        else:
            res = await self._io(cat.remove_context, type_, ids, None)
        for pid in res.public_ids:  # tags and context feed if_ conditions: new keys at once
            self.ctx.deriver.forget(type_, pid)
        if notify_url:
            self._notify(notify_url, {"notification_type": "context", "command": command,
                               "public_ids": list(res.public_ids), "request_id": request_id_of(request)})
        return json_response({"public_ids": list(res.public_ids)}, request)


@dataclass
class _Stub:
    """Enough of a record to build an eager URL before the asset exists (syntax check)."""

    type: str
    public_id: str
    format: str
    version: int = 1
    version_id: str = "0" * 32


def _public_ids(params: Mapping[str, Any]) -> list[str]:
    ids = split_list(params.get("public_ids"))
    if not ids:
        raise ApiError(400, "Missing required parameter - public_ids")
    if len(ids) > 1000:
        raise ApiError(400, "Too many public_ids (max 1000)")
    return [check_public_id(i, "public_ids") for i in ids]


def _update(catalogue: Any, record: Any, fields: Mapping[str, Any]) -> Any:
    from edge.assets.catalogue import AssetMissing  # noqa: PLC0415

    try:
        return catalogue.update(record.type, record.public_id, **fields)
    except AssetMissing:
        raise ApiError(404, f"Resource not found - {record.public_id}") from None


def _set_exclusive(catalogue: Any, type_: str, ids: Sequence[str], tag: str) -> Any:
    """Give `tag` to exactly `ids`: removed from every other asset of `type_` first."""
    holders: list[str] = []
    cursor = None
    while True:
        records, cursor = catalogue.list(type=type_, tag=tag, max_results=500, cursor=cursor)
        holders += [r.public_id for r in records if r.public_id not in ids]
        if cursor is None:
            break
    if holders:
        catalogue.remove_tags(type_, holders, [tag])
    return catalogue.add_tags(type_, ids, [tag])


def _moderate_duplicates(catalogue: Any, moderation: list[dict[str, Any]], phash: str | None,
                         type_: str, public_id: str) -> list[dict[str, Any]]:
    """Blocking: settle `duplicate` moderation entries: compare `phash` with the stored pHash
    of every catalogue asset (a linear scan in pages of 500: fine for catalogues of some
    10^5 assets) and answer `rejected` with the matches (`response.duplicates`: public_id,
    similarity = 1 - Hamming/64, most similar first) or `approved`.  Assets uploaded without
    `phash` (or duplicate moderation) are not compared."""
    from edge.analysis.phash import phash_distance  # noqa: PLC0415

    out = []
    for entry in moderation:
        if entry["kind"] != "duplicate":
            out.append(entry)
            continue
        threshold = float(entry.get("threshold", 0.9))
        matches: list[dict[str, Any]] = []
        cursor = None
        while phash:
            records, cursor = catalogue.list(max_results=500, cursor=cursor)
            for rec in records:
                other = (rec.analysis or {}).get("phash")
                if not other or (rec.type == type_ and rec.public_id == public_id):
                    continue
                similarity = round(1.0 - phash_distance(phash, other) / 64.0, 4)
                if similarity >= threshold:
                    matches.append({"public_id": rec.public_id, "type": rec.type, "similarity": similarity})
            if cursor is None:
                break
        matches.sort(key=lambda m: -m["similarity"])
        out.append({"kind": "duplicate", "status": "rejected" if matches else "approved",
                    "response": {"threshold": threshold, "duplicates": matches[:20]}})
    return out


def _quiet_purge(purge: Callable[..., Any] | None, what: Any) -> None:
    """`purge(what)` (an `AssetRecord`: all derived entries of the asset; a `Removed`: those
    of a deleted asset), logging instead of raising: the catalogue change is committed."""
    if purge is None:
        return
    try:
        purge(what)
    except Exception:  # noqa: BLE001 - a failed purge must not fail the API call
        log.exception("derived cache purge failed")


def _jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    """The effective parameters as a JSON-like dict for a job payload (`file` left out)."""
    return {k: v for k, v in params.items() if k != "file" and isinstance(v, (str, list, dict))}


def request_id_of(request: Request) -> str:
    """The request's X-Request-Id (see `edge.api.errors.request_id`)."""
    from edge.api.errors import request_id  # noqa: PLC0415

    return request_id(request)


def upload_routes(ctx: ApiContext) -> list[BaseRoute]:
    """The Upload API routes over `ctx` (POST only; `resource_type` in the path is `image`
    or `auto`)."""
    api = UploadApi(ctx)
    ctx.extra["upload_api"] = api
    base = "/v1_1/{cloud}/{resource_type}"

    def post_only(endpoint: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            if request.method != "POST":
                raise ApiError(405, f"{request.method} is not allowed: the Upload API takes POST",
                               headers={"Allow": "POST"})
            return await endpoint(request)
        return api_errors(handle)

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    return [
        Route(f"{base}/upload", post_only(api.upload), methods=methods),
        Route(f"{base}/explicit", post_only(api.explicit), methods=methods),
        Route(f"{base}/destroy", post_only(api.destroy), methods=methods),
        Route(f"{base}/rename", post_only(api.rename), methods=methods),
        Route(f"{base}/tags", post_only(api.tags), methods=methods),
        Route(f"{base}/context", post_only(api.context), methods=methods),
        Route(f"{base}/delete_by_token", post_only(api.delete_by_token), methods=methods),
        Route("/v1_1/{cloud}/delete_by_token", post_only(api.delete_by_token), methods=methods),
    ]
