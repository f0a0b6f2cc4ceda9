"""`fl_getinfo`: a JSON document about the render instead of the image."""

from __future__ import annotations

import json
from typing import Any

from .context import Context

__all__ = ["getinfo", "to_json"]


def getinfo(ctx: Context, *, width: int, height: int, fmt: str, frames: int) -> dict[str, Any]:
    """The `fl_getinfo` document.

    Shape: ``{"input": {"width", "height", "format", "frames"}, "output": {"width", "height",
    "format", "frames"}, "crop": {"x", "y", "width", "height"} | null, "gravity": str | null,
    "regions": [...], "components": [per-component gravity decisions]}``.  `crop` is the first
    component's crop window in source px (after EXIF orientation); `regions` are the
    detections that placed it, in source px."""
    first = ctx.decisions[0] if ctx.decisions else None
    crop = None
    if ctx.source_box is not None:
        x, y, w, h = ctx.source_box
        crop = {"x": x, "y": y, "width": w, "height": h}
    return {
        "input": {
            "width": ctx.header.width,
            "height": ctx.header.height,
            "format": ctx.header.format,
            "frames": ctx.header.frames,
        },
        "output": {"width": width, "height": height, "format": fmt, "frames": frames},
        "crop": crop,
        "gravity": first["gravity"] if first else None,
        "focus": first["focus"] if first else None,
        "regions": first["regions"] if first else [],
        "components": ctx.decisions,
    }


def to_json(info: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON bytes of `info`."""
    return json.dumps(info, separators=(",", ":"), sort_keys=False).encode()
