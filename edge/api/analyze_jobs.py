"""The asynchronous half of the Analyze API (upload-spec §5.1, `async: true`): accepting a
task (202), running it as the durable job ``analyze.run`` of the job queue async uploads use
(`edge.assets.jobs`), the task endpoint, and the signed webhook of its result (each attempt a
job ``analyze.webhook`` retried with exponential backoff; `edge.api.webhooks.WebhookSender`).
Where tasks live: `edge.api.analyze_tasks.TaskStore`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from edge.api.analyze_sources import AnalyzeError, SourceRef
from edge.api.errors import json_response, request_id

__all__ = ["AnalyzeJobs"]

log = logging.getLogger("edge.api.analyze")


class AnalyzeJobs:
    """Mixed into `edge.api.analyze.AnalyzeApi`: it provides `ctx`, `tasks` (a `TaskStore`),
    `loop`, `_background` (in-process tasks), `_io(fn, *args)` and `analysis(ref, spec)`."""

    ctx: Any
    tasks: Any
    loop: asyncio.AbstractEventLoop | None
    _background: set["asyncio.Task[Any]"]

    async def _io(self, fn: Any, *args: Any) -> Any:  # pragma: no cover - AnalyzeApi's
        raise NotImplementedError

    async def analysis(self, ref: SourceRef, spec: Any) -> dict[str, Any]:  # pragma: no cover - AnalyzeApi's
        raise NotImplementedError

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
