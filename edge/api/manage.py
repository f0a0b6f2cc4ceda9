"""The asset-management endpoints of the Upload API (`ManageEndpoints`, a part of
`edge.api.upload.UploadApi`): `destroy` (upload-spec §2.2), `delete_by_token`, `rename`,
`tags` and `context`, each a catalogue change followed by the derived-cache and original
clean-up it implies, and the optional notification.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from starlette.requests import Request
from starlette.responses import Response

from edge.api.auth import NON_SIGNABLE_TAG_PARAMS
from edge.api.errors import ApiError, json_response
from edge.api.forms import parse_bool, read_body, text_param
from edge.api.params import (
    AUTH_PARAMS, CONTEXT_COMMANDS, CONTEXT_PARAMS, DESTROY_PARAMS, RENAME_PARAMS, TAG_COMMANDS, TAGS_PARAMS,
    check_names, check_public_id, delivery_type_param, parse_context, parse_tags, split_list, url_param,
)
from edge.api.resources import read_delete_token, resource_json
from edge.api.upload_base import quiet_purge, request_id_of, update_record

__all__ = ["ManageEndpoints"]


class ManageEndpoints:
    """destroy, delete_by_token, rename, tags, context (needs the `ApiBase` part of `UploadApi`)."""

    ctx: Any

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
            await self._io(quiet_purge, ctx.purge, gone)
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
            await self._io(quiet_purge, ctx.purge, result.replaced)
        if invalidate:
            await self._io(quiet_purge, ctx.purge, record)
        fields: dict[str, Any] = {}
        if context is not None:
            fields["context"] = {**record.context, **context}
        if metadata is not None:
            fields["metadata"] = metadata
        if fields:
            record = await self._io(update_record, ctx.catalogue, record, fields)
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
        params, command, ids, notify_url = await self._bulk_command(
            request, TAGS_PARAMS, TAG_COMMANDS, "add, remove, replace, remove_all, set_exclusive")
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
        return self._bulk_answer(request, "tags", command, type_, res.public_ids, notify_url)

    async def context(self, request: Request) -> Response:
        """`POST /v1_1/<cloud>/image/context`: `command` add | remove_all (| remove with
        `context` listing keys); `{"public_ids": [...]}`."""
        params, command, ids, notify_url = await self._bulk_command(
            request, CONTEXT_PARAMS, CONTEXT_COMMANDS, "add, remove_all")
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
        return self._bulk_answer(request, "context", command, type_, res.public_ids, notify_url)

    async def _bulk_command(self, request: Request, names: Any, commands: Any,
                            listed: str) -> tuple[Mapping[str, Any], str, list[str], str]:
        """The shared start of the tags and context endpoints: signed parameters (400 for an
        unknown name), `(params, command, public_ids, notification_url or '')`; ApiError 400
        for a command outside `commands` (`listed` names them in the message) or missing /
        too many public_ids (max 1000)."""
        body, _auth = await self._begin(request, exclude=NON_SIGNABLE_TAG_PARAMS)
        body.close()
        params = body.params
        check_names(params, names)
        notify_url = url_param(params, "notification_url")
        command = text_param(params, "command").strip()
        if command not in commands:
            raise ApiError(400, f"Invalid command - {command[:40]} ({listed})")
        return params, command, _public_ids(params), notify_url

    def _bulk_answer(self, request: Request, kind: str, command: str, type_: str,
                     public_ids: Any, notify_url: str) -> Response:
        """The shared end of the tags and context endpoints: forget the delivery lookups of the
        changed assets (tags and context feed `if_` conditions at once), send the `kind`
        webhook when asked, answer `{"public_ids": [...]}`."""
        for pid in public_ids:
            self.ctx.deriver.forget(type_, pid)
        if notify_url:
            self._notify(notify_url, {"notification_type": kind, "command": command,
                                      "public_ids": list(public_ids), "request_id": request_id_of(request)})
        return json_response({"public_ids": list(public_ids)}, request)


def _public_ids(params: Mapping[str, Any]) -> list[str]:
    ids = split_list(params.get("public_ids"))
    if not ids:
        raise ApiError(400, "Missing required parameter - public_ids")
    if len(ids) > 1000:
        raise ApiError(400, "Too many public_ids (max 1000)")
    return [check_public_id(i, "public_ids") for i in ids]


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
