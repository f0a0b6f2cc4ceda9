"""The asset JSON of the Upload and Admin APIs (upload-spec §1.4): every field with its type,
delivery URLs from the public base URL, the response signature; and stateless delete tokens
(`return_delete_token` / `delete_by_token`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from datetime import timezone
from typing import Any, Mapping
from urllib.parse import quote

from edge.api.auth import response_signature
from edge.api.errors import ApiError
from edge.api.context import ApiContext

__all__ = ["resource_json", "delivery_url", "make_delete_token", "read_delete_token", "DELETE_TOKEN_TTL_S"]

DELETE_TOKEN_TTL_S = 600

def _iso(dt: Any) -> str:
    if dt is None:
        return ""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _escape_public_id(public_id: str) -> str:
    return quote(public_id, safe="/:@!$'()*+,;=-._~")


def delivery_url(base: str, cloud: str, record: Any, transformation: str = "", ext: str = "") -> str:
    """`<base>/<cloud>/image/<type>/[<transformation>/]v<version>/<public_id>.<ext>`."""
    t = f"{transformation}/" if transformation else ""
    return (f"{base}/{cloud}/image/{record.type}/{t}v{record.version}/"
            f"{_escape_public_id(record.public_id)}.{ext or record.format}")


def resource_json(ctx: ApiContext, record: Any, *, api_key: str | None = None,
                  analysis: Mapping[str, Any] | None = None, algorithm: str = "sha1") -> dict[str, Any]:
    """The upload-response JSON of `record` (spec §1.4): every field with its type, context
    and metadata only when set, `coordinates` when any, plus the analysis fields (`analysis`
    or the record's stored ones); `algorithm` hashes the response `signature`."""
    out: dict[str, Any] = {
        "asset_id": record.asset_id, "public_id": record.public_id, "version": int(record.version),
        "version_id": record.version_id,
        "signature": response_signature(record.public_id, record.version, ctx.api_secret, algorithm),
        "width": int(record.width), "height": int(record.height), "format": record.format,
        "resource_type": record.resource_type, "created_at": _iso(record.created_at),
        "tags": list(record.tags), "pages": int(record.pages), "bytes": int(record.bytes),
        "type": record.type, "etag": record.etag, "placeholder": bool(record.placeholder),
        "url": delivery_url(ctx.public_url, ctx.cloud_name, record),
        "secure_url": delivery_url(ctx.secure_url, ctx.cloud_name, record),
        "asset_folder": record.asset_folder or "",
        "display_name": record.display_name or record.public_id.rsplit("/", 1)[-1],
    }
    out["access_mode"] = record.access_mode or "public"
    if (record.extra or {}).get("access_control"):
        out["access_control"] = [dict(r) for r in record.extra["access_control"]]
    if record.original_filename is not None:
        out["original_filename"] = record.original_filename
    if api_key:
        out["api_key"] = api_key
    if record.context:
        out["context"] = {"custom": dict(record.context)}
    if record.metadata:
        out["metadata"] = dict(record.metadata)
    coords: dict[str, Any] = {}
    if record.coordinates_custom:
        coords["custom"] = [list(b) for b in record.coordinates_custom]
    if record.coordinates_faces:
        coords["faces"] = [list(b) for b in record.coordinates_faces]
    if coords:
        out["coordinates"] = coords
    if record.moderation:
        out["moderation"] = [dict(m) for m in record.moderation]
    data = dict(record.analysis if analysis is None else analysis)
    data.pop("tags", None)
    for key, value in data.items():
        if key.startswith("_"):  # stored for another API (e.g. Analyze v2 results), not a field
            continue
        if key == "coordinates" and isinstance(value, dict):
            out.setdefault("coordinates", {}).update(value)
        elif key not in out:
            out[key] = value
    return out


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_delete_token(secret: str, record: Any, now: float | None = None) -> str:
    """A stateless delete token for `record`, valid `DELETE_TOKEN_TTL_S` s: base64url(JSON of
    asset_id, type, public_id, version, expiry) + `.` + HMAC-SHA256 of it with the secret."""
    exp = int((time.time() if now is None else now) + DELETE_TOKEN_TTL_S)
    body = _b64u(json.dumps([record.asset_id, record.type, record.public_id, record.version, exp],
                            separators=(",", ":")).encode())
    mac = _b64u(hmac.new(secret.encode(), b"delete_token:" + body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def read_delete_token(secret: str, token: str, now: float | None = None) -> tuple[str, str, str]:
    """`(asset_id, type, public_id)` of a valid, unexpired delete token; ApiError(400/401)."""
    body, _, mac = token.strip().partition(".")
    want = _b64u(hmac.new(secret.encode(), b"delete_token:" + body.encode(), hashlib.sha256).digest())
    if not body or not hmac.compare_digest(want.encode(), mac.encode("ascii", "replace")):
        raise ApiError(401, "Invalid token")
    try:
        asset_id, type_, public_id, _version, exp = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise ApiError(401, "Invalid token") from None
    if (time.time() if now is None else now) > exp:
        raise ApiError(400, "Stale token - the delete token has expired")
    return str(asset_id), str(type_), str(public_id)


