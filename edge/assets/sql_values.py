"""Values of the SQL catalogue (`edge.assets.sql`): times, list cursors, tag/box
normalisation, and the column values of a published draft (new row or new version)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping


from edge.assets.catalogue import AssetDraft, new_asset_id

__all__ = ["MAX_RESULTS", "UPDATABLE", "utcnow", "as_utc", "encode_cursor", "decode_cursor", "check_max",
           "like_prefix", "merge_info", "int_boxes", "dedupe", "new_row_values", "update_row_values"]

MAX_RESULTS = 500
UPDATABLE = frozenset({
    "tags", "context", "metadata", "coordinates_custom", "coordinates_faces", "asset_folder",
    "display_name", "access_mode", "moderation", "placeholder", "extra",
})


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def as_utc(dt: datetime | None) -> datetime | None:
    """`dt` as timezone-aware UTC (a naive value read from SQLite is UTC); None stays None."""
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def encode_cursor(value: Any) -> str:
    """An opaque list cursor (URL-safe base64 of JSON) holding `value`, the last key returned."""
    raw = json.dumps({"k": value}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    """The key of a cursor from `encode_cursor` (None for none); ValueError for a malformed one."""
    if not cursor:
        return None
    try:
        pad = "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(cursor + pad))["k"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("Invalid next_cursor") from exc


def check_max(max_results: int) -> int:
    """`max_results` as int; ValueError outside 1..MAX_RESULTS."""
    n = int(max_results)
    if not 1 <= n <= MAX_RESULTS:
        raise ValueError(f"max_results must be between 1 and {MAX_RESULTS}")
    return n


def like_prefix(prefix: str) -> str:
    """A LIKE pattern (escape `\\`) matching text that starts with `prefix` literally."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def merge_info(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Stored analysis `old` updated with `new`; the `info` mapping is merged one level deeper."""
    out = dict(old)
    for k, v in new.items():
        if k == "info" and isinstance(v, Mapping) and isinstance(out.get("info"), Mapping):
            info = dict(out["info"])
            for ik, iv in v.items():
                if isinstance(iv, Mapping) and isinstance(info.get(ik), Mapping):
                    info[ik] = {**info[ik], **iv}
                else:
                    info[ik] = iv
            out["info"] = info
        else:
            out[k] = v
    return out


def int_boxes(value: Any) -> list[list[int]]:
    """Boxes `[[x, y, w, h], ...]` (px) rounded to ints ([] for None)."""
    return [[int(round(float(c))) for c in box] for box in (value or [])]


def dedupe(items: Iterable[str]) -> list[str]:
    """`items` without repeats, first occurrence order kept."""
    seen: dict[str, None] = {}
    for i in items:
        if i not in seen:
            seen[i] = None
    return list(seen)


def new_row_values(d: AssetDraft, now: datetime) -> dict[str, Any]:
    """Column values of a new asset row for draft `d` published at `now` (a new asset_id)."""
    last = d.public_id.rsplit("/", 1)[-1]
    return dict(
        asset_id=new_asset_id(), resource_type=d.resource_type, type=d.type, public_id=d.public_id,
        version=int(now.timestamp()), version_id=d.version_id, format=d.format, width=int(d.width),
        height=int(d.height), bytes=int(d.bytes), etag=d.etag, pages=int(d.pages), created_at=now,
        updated_at=now, metadata=dict(d.metadata or {}), coordinates_custom=int_boxes(d.coordinates_custom),
        coordinates_faces=int_boxes(d.coordinates_faces), asset_folder=d.asset_folder or "",
        display_name=d.display_name if d.display_name is not None else last,
        original_filename=d.original_filename, access_mode=d.access_mode or "public",
        moderation=[dict(m) for m in (d.moderation or [])], analysis=dict(d.analysis or {}),
        auto_tags=dedupe(d.auto_tags or ()), placeholder=bool(d.placeholder), extra=dict(d.extra or {}),
    )


def update_row_values(d: AssetDraft, now: datetime, version: int) -> dict[str, Any]:
    """Column values replacing an asset row's current version with draft `d` (fields left None keep theirs)."""
    values: dict[str, Any] = dict(
        version=version, version_id=d.version_id, format=d.format, width=int(d.width), height=int(d.height),
        bytes=int(d.bytes), etag=d.etag, pages=int(d.pages), resource_type=d.resource_type, created_at=now,
        updated_at=now, analysis=dict(d.analysis or {}), auto_tags=dedupe(d.auto_tags or ()),
    )
    optional = {
        "metadata": lambda v: dict(v), "coordinates_custom": int_boxes, "coordinates_faces": int_boxes,
        "asset_folder": str, "display_name": str, "original_filename": str, "access_mode": str,
        "moderation": lambda v: [dict(m) for m in v], "placeholder": bool, "extra": lambda v: dict(v),
    }
    for name, conv in optional.items():
        v = getattr(d, name)
        if v is not None:
            values[name] = conv(v)
    return values
