"""`AppUploader`: the upload step of bulk ingestion (`edge.assets.ingest`) through an ASGI
app's Upload API in this process: a signed multipart `POST /v1_1/<cloud>/image/upload` per
item (as the SDK sends it) over httpx's ASGI transport, no socket, so every file goes through
exactly the Upload API's code path; the app's lifespan is driven as a server would (`_Lifespan`).
This module stays below `edge.api` in the import order (it never imports it).
"""

from __future__ import annotations

import threading
import time
from typing import Any, BinaryIO, Sequence

from edge.assets.discover import IngestItem

__all__ = ["AppUploader", "IngestError"]


class IngestError(Exception):
    """An upload the API refused: `status` (HTTP) and the API's `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = f"{status} {message}"


class _Lifespan:
    """Drives an ASGI app's lifespan protocol (startup, later shutdown) the way a server does,
    so the app's start-up work runs and its shutdown drains background work and closes the
    catalogue.  Raises RuntimeError when the app reports a failed startup/shutdown."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._to_app: Any = None
        self._from_app: Any = None
        self._task: Any = None

    async def startup(self) -> None:
        import asyncio

        self._to_app, self._from_app = asyncio.Queue(), asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        self._task = asyncio.ensure_future(self.app(scope, self._to_app.get, self._from_app.put))
        await self._step("startup")

    async def shutdown(self) -> None:
        if self._task is None:
            return
        await self._step("shutdown")
        await self._task

    async def _step(self, phase: str) -> None:
        import asyncio

        await self._to_app.put({"type": f"lifespan.{phase}"})
        get = asyncio.ensure_future(self._from_app.get())
        done, _ = await asyncio.wait({get, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if get not in done:
            get.cancel()
            self._task.result()  # the app raised: re-raise here
            raise RuntimeError(f"the app ended its lifespan during {phase}")
        message = get.result()
        if message["type"] != f"lifespan.{phase}.complete":
            raise RuntimeError(f"app {phase} failed: {message.get('message', '')}")


class AppUploader:
    """`upload(item, stream)` through an ASGI app's Upload API in this process.

    Each call is a signed multipart `POST /v1_1/<cloud_name>/image/upload` (fields as the
    Python SDK sends them: `public_id`, `overwrite=1`, `type`, `tags`, `timestamp`,
    `signature` (SHA-1, signature v2, `edge.url.signing.sign_api_params`), `api_key`, and the
    file part named after the original file) sent with httpx's `ASGITransport` on one event
    loop in a background thread; calls from several threads run concurrently on it.  Returns
    the upload JSON; raises `IngestError` with the API's message for a non-200 answer.  Use as
    a context manager (or call `close()`)."""

    def __init__(self, app: Any, *, cloud_name: str, api_key: str, api_secret: str,
                 tags: Sequence[str] = (), type: str = "upload", timeout_s: float = 600.0) -> None:
        import asyncio

        import httpx

        self.cloud_name = cloud_name
        self.api_key = api_key
        self.api_secret = api_secret
        self.tags = ",".join(tags)
        self.type = type
        self.timeout_s = timeout_s
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="edge-ingest-loop", daemon=True)
        self._thread.start()

        self._lifespan = _Lifespan(app)

        async def make() -> Any:
            await self._lifespan.startup()
            return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge-ingest",
                                     timeout=timeout_s)

        try:
            self._client = asyncio.run_coroutine_threadsafe(make(), self._loop).result(timeout=120)
        except BaseException:
            self._stop_loop()
            raise

    def __enter__(self) -> "AppUploader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the client and stop the loop thread."""
        import asyncio

        if self._loop.is_closed():
            return

        async def finish() -> None:
            await self._client.aclose()
            await self._lifespan.shutdown()

        try:
            asyncio.run_coroutine_threadsafe(finish(), self._loop).result(timeout=120)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def params(self, item: IngestItem) -> dict[str, str]:
        """The signed form fields of `item`'s upload (without the file)."""
        from edge.url.signing import sign_api_params

        params = {"public_id": item.public_id, "overwrite": "1", "type": self.type,
                  "timestamp": str(int(time.time()))}
        if self.tags:
            params["tags"] = self.tags
        params["signature"] = sign_api_params(params, self.api_secret)
        params["api_key"] = self.api_key
        return params

    async def _post(self, item: IngestItem, data: bytes) -> dict[str, Any]:
        import mimetypes

        ctype = mimetypes.guess_type(item.filename)[0] or "application/octet-stream"
        response = await self._client.post(f"/v1_1/{self.cloud_name}/image/upload", data=self.params(item),
                                           files={"file": (item.filename, data, ctype)})
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "error" in body:
            message = (body.get("error") or {}).get("message") if isinstance(body, dict) else None
            raise IngestError(response.status_code, message or response.text[:200])
        return body

    def __call__(self, item: IngestItem, stream: BinaryIO) -> dict[str, Any]:
        import asyncio

        data = stream.read()
        future = asyncio.run_coroutine_threadsafe(self._post(item, data), self._loop)
        return future.result(timeout=self.timeout_s)
