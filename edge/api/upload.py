"""The Upload API endpoints (upload-spec §1-§2.2): `POST /v1_1/<cloud>/image/upload` here;
`explicit` (`edge.api.explicit`), `destroy`, `rename`, `tags`, `context` and `delete_by_token`
(`edge.api.manage`), all methods of one `UploadApi` assembled from those modules and
`edge.api.upload_base` (plumbing), `edge.api.upload_analysis`, `edge.api.eager` and
`edge.api.background` (jobs and webhooks).

Flow of an upload: a new version_id is chosen -> body read (`edge.api.forms`; the file part is
streamed, `edge.api.multipart`, into the disk origin's staging file of that version, hashed on
the way: its bytes are written once) -> authentication (signature or unsigned preset,
`edge.api.auth`) -> every parameter checked (a parameter Edge does not honour is a 400 naming
it, never silently dropped; `eval`/`on_success` are never executed) -> `file` resolved (file
part, http(s) URL through the fetch origin and its SSRF rules, data URI, bare base64;
`edge.api.incoming`) -> image validated with pyvips (header, limits, the file's end marker or
a strict decode: a text file or a truncated image is a 400 and nothing is stored) -> optional
incoming `transformation` / `format` rendered by the delivery renderer -> analysis
(`edge.analysis`) -> original stored under the version_id key (the staged file synced and
renamed, or an atomic write for other sources and origins) -> `Catalogue.publish` -> previous
bytes removed (unless `backup`) and, with `invalidate`, the old derived cache entries purged ->
`eager` renders through `edge.derive.Deriver` (the delivery miss path, same cache keys) ->
response JSON with every §1.4 field.  `async=1` answers `{"status": "pending", ...}` once the
original is stored and continues (analysis, eager, webhook) in the background; `eager_async`
and `notification_url` likewise (webhooks: `edge.api.webhooks`).
"""
from __future__ import annotations

import dataclasses
import re
import secrets
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from edge.api.auth import UploadAuth
from edge.api.background import BackgroundJobs
from edge.api.eager import EagerSteps, EagerStub
from edge.api.errors import ApiError, api_errors, json_response
from edge.api.explicit import ExplicitEndpoint
from edge.api.incoming import ChunkedUpload, Incoming, filename_base, probe_image, resolve_file
from edge.api.manage import ManageEndpoints
from edge.api.params import (
    KNOWN_UPLOAD_PARAMS, UploadParams, check_names, check_public_id, parse_context, random_public_id,
)
from edge.api.resources import delivery_url, make_delete_token, resource_json
from edge.api.context import ApiContext
from edge.api.upload_analysis import AnalysisSteps, moderate_duplicates
from edge.api.upload_base import ApiBase, jsonable, quiet_purge, request_id_of
from edge.derive import FixedHints

#: `parse_context`, `resource_json`, `delivery_url`, `probe_image` are re-exported (Admin API, bench).
__all__ = ["upload_routes", "UploadApi", "parse_context", "resource_json", "delivery_url", "probe_image"]


class UploadApi(ManageEndpoints, ExplicitEndpoint, BackgroundJobs, EagerSteps, AnalysisSteps, ApiBase):
    """The Upload API endpoints over one `ApiContext` (see the module docs): upload here;
    explicit, destroy, rename, tags and context, eager renders, analysis and background work
    in the modules of its bases."""

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
        store = self.ctx.store
        body, auth = await self._begin(request, allow_unsigned=True,
                                       open_file=lambda: store.stage(version_id))
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
                result = await self._ingest(request, incoming, p, areq, auth, jsonable(params), version_id)
            finally:
                incoming.file.close()
        finally:
            body.close()
        return json_response(result, request)

    async def _ingest(self, request: Request, incoming: Incoming, p: UploadParams, areq: Any,
                      auth: UploadAuth, params_text: dict[str, Any], version_id: str) -> dict[str, Any]:
        """Validate, store and publish `incoming` (one worker-thread job: `_store`), then the
        steps that need the event loop: the async job, eager renders, the notification."""
        pub, out = await self._io(self._store, incoming, p, areq, auth, version_id)
        if pub.existing:
            return out
        record = pub.record
        if p.is_async:
            batch = p.batch_id or secrets.token_hex(32)
            self._job("finish_upload", {
                "type": record.type, "public_id": record.public_id, "version": record.version,
                "params": params_text, "api_key": auth.api_key, "algorithm": auth.algorithm,
                "batch_id": batch, "request_id": request_id_of(request)})
            return {"status": "pending", "type": p.delivery_type, "batch_id": batch, "public_id": record.public_id}
        if p.eager:
            out["eager"] = await self._eager_answer(record, p, params_text)
        if p.notification_url or self.ctx.notification_url:
            self._notify(p.notification_url, {**out, "notification_type": "upload",
                                              "request_id": request_id_of(request)})
        return out

    def _store(self, incoming: Incoming, p: UploadParams, areq: Any, auth: UploadAuth,
               version_id: str) -> tuple[Any, dict[str, Any]]:
        """Blocking, one worker-thread job per upload (no hand-off between its steps):
        validation (`probe_image`), the incoming transformation, analysis and duplicate
        moderation when asked, the `AssetDraft`, `store_original` (bytes then catalogue row),
        the purge of replaced derived entries (`invalidate`) and the response JSON.  Returns
        `(Publication, response dict)`; raises ApiError (nothing stored) or the origin's and
        catalogue's errors."""
        from edge.assets.catalogue import AssetDraft  # noqa: PLC0415
        from edge.assets.originals import store_original  # noqa: PLC0415

        ctx = self.ctx
        probe = probe_image(incoming, ctx.deriver.limits)
        if p.allowed_formats and probe.format not in p.allowed_formats:
            raise ApiError(400, "File format not allowed")
        if p.transformation or (p.format and p.format != probe.format):
            converted = self._transform_incoming(incoming.read(), p)
            incoming = Incoming.of_bytes(converted, incoming.filename, incoming.origin)
            probe = probe_image(incoming, ctx.deriver.limits)
        public_id = self._public_id_for(p, incoming)
        if p.eager:  # syntax checked before anything is stored
            self._eager_requests(EagerStub(p.delivery_type, public_id, probe.format), p.eager)
        analysis: dict[str, Any] = {}
        dedupe = [m for m in p.moderation or () if m["kind"] == "duplicate"]
        hidden = {"phash"} if dedupe and not areq.phash else set()  # compared and stored, not answered
        now = dataclasses.replace(areq, phash=True) if dedupe else areq
        if p.is_async:  # the rest of the analysis runs in the background job
            now = dataclasses.replace(type(areq)(), phash=True) if dedupe else None
        if now is not None and self._wants_analysis(now):
            analysis = self._analyze(incoming.read(), now, public_id, version_id)
        if dedupe:
            p.moderation = moderate_duplicates(ctx.catalogue, p.moderation, analysis.get("phash"),
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
            width=probe.width, height=probe.height, bytes=incoming.size, etag=incoming.md5(),
            pages=probe.pages, tags=tags, context=p.context, metadata=p.metadata,
            coordinates_custom=[list(b) for b in areq.custom_coordinates] if areq.custom_coordinates is not None else None,
            coordinates_faces=[list(b) for b in faces] if faces is not None else None,
            asset_folder=p.asset_folder, display_name=display or None,
            original_filename=original_filename, access_mode=p.access_mode, moderation=p.moderation,
            analysis=analysis, auto_tags=auto_tags or None, extra=p.extra or None,
        )
        pub = store_original(ctx.store, ctx.catalogue, draft, incoming.rewound(),
                             overwrite=p.overwrite, backup=p.backup)
        if pub.existing:
            out = resource_json(ctx, pub.record, api_key=auth.api_key or None, algorithm=auth.algorithm)
            out["existing"] = True
            return pub, out
        record = pub.record
        ctx.deriver.forget(record.type, record.public_id)
        if pub.previous is not None and p.invalidate:
            quiet_purge(ctx.purge, record)
        out = resource_json(ctx, record, api_key=auth.api_key or None, algorithm=auth.algorithm)
        for key in hidden:
            out.pop(key, None)
        if p.return_delete_token:
            out["delete_token"] = make_delete_token(ctx.api_secret or "edge", record)
        return pub, out


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
