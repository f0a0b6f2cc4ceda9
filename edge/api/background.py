"""Background work of the Upload API (`BackgroundJobs`, a part of
`edge.api.upload.UploadApi`): the job consumer's lifecycle (`start`/`stop`, bound to the
server's event loop), the durable jobs `api.finish_upload` (the rest of an `async=1` upload:
analysis, eager, notification), `api.eager` (`eager_async`) and `api.webhook` (one delivery
attempt, retried with back-off by the queue), and `_notify`, which sends a webhook through the
queue or, without one, in-process (`edge.api.webhooks`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Mapping

from edge.api.errors import ApiError
from edge.api.params import UploadParams
from edge.api.resources import resource_json
from edge.api.upload_base import update_record
from edge.storage.writable import original_key

__all__ = ["BackgroundJobs"]

log = logging.getLogger("edge.api")


class BackgroundJobs:
    """Jobs and webhooks of the Upload API (needs the `ApiBase`, `AnalysisSteps` and
    `EagerSteps` parts of `UploadApi`)."""

    ctx: Any

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
                    record = await self._io(update_record, ctx.catalogue, record,
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
