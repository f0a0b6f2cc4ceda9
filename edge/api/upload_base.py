"""The plumbing every Upload API endpoint shares (`ApiBase`, the base of
`edge.api.upload.UploadApi`): blocking work on the context's executor (`_io`), background
tasks (`_spawn`, `drain`), the cloud/resource-type check of the path, reading and
authenticating a body (`_begin`), preset settings under the request's parameters
(`_effective`), and small helpers of the endpoint modules.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Callable, Mapping

from starlette.requests import Request

from edge.api.auth import UploadAuth, authenticate_upload
from edge.api.errors import ApiError
from edge.api.forms import Body, read_body, text_param
from edge.api.params import preset_params
from edge.api.context import ApiContext

__all__ = ["ApiBase", "quiet_purge", "jsonable", "request_id_of", "update_record"]

log = logging.getLogger("edge.api")


class ApiBase:
    """State and helpers of the Upload API endpoints over one `ApiContext`."""

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


def update_record(catalogue: Any, record: Any, fields: Mapping[str, Any]) -> Any:
    from edge.assets.catalogue import AssetMissing  # noqa: PLC0415

    try:
        return catalogue.update(record.type, record.public_id, **fields)
    except AssetMissing:
        raise ApiError(404, f"Resource not found - {record.public_id}") from None


def quiet_purge(purge: Callable[..., Any] | None, what: Any) -> None:
    """`purge(what)` (an `AssetRecord`: all derived entries of the asset; a `Removed`: those
    of a deleted asset), logging instead of raising: the catalogue change is committed."""
    if purge is None:
        return
    try:
        purge(what)
    except Exception:  # noqa: BLE001 - a failed purge must not fail the API call
        log.exception("derived cache purge failed")


def jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    """The effective parameters as a JSON-like dict for a job payload (`file` left out)."""
    return {k: v for k, v in params.items() if k != "file" and isinstance(v, (str, list, dict))}


def request_id_of(request: Request) -> str:
    """The request's X-Request-Id (see `edge.api.errors.request_id`)."""
    from edge.api.errors import request_id  # noqa: PLC0415

    return request_id(request)
