"""`POST /v1_1/<cloud>/image/explicit` (upload-spec §2.1; `ExplicitEndpoint`, a part of
`edge.api.upload.UploadApi`): eager renders, analysis, tags, context, metadata, coordinates
and the other stored fields of an existing asset, answered with the same JSON as upload.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from edge.api.errors import ApiError, json_response
from edge.api.params import EXPLICIT_EXTRA, KNOWN_UPLOAD_PARAMS, UploadParams, check_names
from edge.api.resources import resource_json
from edge.api.upload_base import jsonable, quiet_purge, request_id_of, update_record
from edge.storage.writable import original_key

__all__ = ["ExplicitEndpoint"]


class ExplicitEndpoint:
    """The explicit endpoint (needs the other parts of `UploadApi`)."""

    ctx: Any

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
        params_text = jsonable(params)
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
        if "access_control" in p.extra:  # None clears the rules
            fields["extra"] = {"access_control": p.extra["access_control"]}
        if fields:
            record = await self._io(update_record, ctx.catalogue, record, fields)
        analysis = None
        if self._wants_analysis(areq):
            source = await self._io(ctx.store.load_key, original_key(record.version_id, record.format))
            analysis = await self._io(self._analyze, source.data, areq, record.public_id, record.version_id)
            auto = list(analysis.pop("tags", []) or [])
            if "faces" in analysis and areq.face_coordinates is None and analysis["faces"]:
                record = await self._io(update_record, ctx.catalogue, record,
                                        {"coordinates_faces": [list(b) for b in analysis["faces"]]})
            updated = await self._io(ctx.catalogue.set_analysis, record.asset_id, record.version, analysis,
                                     auto_tags=auto)
            record = updated or record
        ctx.deriver.forget(record.type, record.public_id)  # coordinates, tags feed delivery
        if p.invalidate:
            await self._io(quiet_purge, ctx.purge, record)
        out = resource_json(ctx, record, api_key=auth.api_key or None, algorithm=auth.algorithm,
                            analysis={**record.analysis, **(analysis or {})})
        if p.eager:
            out["eager"] = await self._eager_answer(record, p, params_text)
        if p.notification_url:
            self._notify(p.notification_url, {**out, "notification_type": "explicit",
                                              "request_id": request_id_of(request)})
        return json_response(out, request)
