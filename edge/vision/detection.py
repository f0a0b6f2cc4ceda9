"""What a model finds, in two forms: normalised (cacheable) and in pixels (for one rendition).

* `Found`: box as fractions (0..1) of the analysed image's width/height, optional uint8 mask
  (0..255) covering that box at any resolution.  This is what the detection cache stores, so
  every rendition size of the same asset can reuse it.
* `Detection`: the public result of `edge.vision.detect()`: box `(x, y, w, h)` in pixels of the
  image passed, optional float32 mask (h, w) in 0..1 covering the box.

`encode`/`decode` turn a list of `Found` into compact bytes (JSON; masks as base64 PNG made by
libvips) for the pluggable byte store.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pyvips

__all__ = ["Found", "Detection", "encode", "decode", "to_pixels"]

FORMAT = 1  # bump when the encoded layout changes


@dataclass(frozen=True, slots=True)
class Found:
    """A detection in normalised coordinates.

    `box` = (x, y, w, h) as ratios of the analysed image's width and height; `mask` a uint8
    array (mh, mw) covering `box` (any resolution) or None."""

    label: str
    score: float
    box: tuple[float, float, float, float]
    model: str
    mask: Any = None


@dataclass(frozen=True, slots=True)
class Detection:
    """A detection in pixels of the image passed: `box` = (x, y, w, h) px, `score` 0..1,
    `mask` float32 (h, w) in 0..1 covering `box`, or None."""

    label: str
    score: float
    box: tuple[int, int, int, int]
    model: str
    mask: Any = None


def _resize_mask(mask: np.ndarray, w: int, h: int) -> np.ndarray:
    """uint8 (mh, mw) -> float32 (h, w) in 0..1, resized with libvips (bilinear)."""
    mh, mw = mask.shape
    if (mw, mh) != (w, h):
        im = pyvips.Image.new_from_array(mask).resize(w / mw, vscale=h / mh, kernel="linear")
        # resize may round one pixel off: pad/crop to exactly (w, h)
        mask = im.embed(0, 0, w, h, extend="copy").numpy().reshape(h, w)  # numpy(): 1x1 -> ()
    return mask.astype(np.float32) * (1.0 / 255.0)


def to_pixels(found: Sequence[Found], width: int, height: int) -> list[Detection]:
    """Scale normalised detections to an image of `width` x `height` px (boxes clipped to it,
    at least 1 px wide/high; masks resized to the box)."""
    out: list[Detection] = []
    for f in found:
        nx, ny, nw, nh = f.box
        x0 = int(round(min(max(nx, 0.0), 1.0) * width))
        y0 = int(round(min(max(ny, 0.0), 1.0) * height))
        x1 = int(round(min(max(nx + nw, 0.0), 1.0) * width))
        y1 = int(round(min(max(ny + nh, 0.0), 1.0) * height))
        x0, y0 = min(x0, width - 1), min(y0, height - 1)
        w, h = max(1, x1 - x0), max(1, y1 - y0)
        mask = _resize_mask(f.mask, w, h) if f.mask is not None else None
        out.append(Detection(f.label, float(f.score), (x0, y0, w, h), f.model, mask))
    return out


def _mask_to_text(mask: np.ndarray) -> str:
    im = pyvips.Image.new_from_array(np.asarray(mask, dtype=np.uint8))
    return base64.b64encode(im.pngsave_buffer(compression=6)).decode("ascii")


def _text_to_mask(text: str) -> np.ndarray:
    im = pyvips.Image.new_from_buffer(base64.b64decode(text), "")
    if (im.bands, im.format) != (1, "uchar"):
        raise ValueError("a detection mask is one uchar band")
    return im.numpy().reshape(im.height, im.width)


def encode(found: Sequence[Found], aspect: float, side: int | None = None) -> bytes:
    """Serialise detections of one image (width/height ratio `aspect`; `side` = longer side in
    px of the pixels the models saw, when known) for a byte store."""
    items = [
        {"label": f.label, "score": round(float(f.score), 4), "box": [round(float(v), 6) for v in f.box],
         "model": f.model, **({"mask": _mask_to_text(f.mask)} if f.mask is not None else {})}
        for f in found
    ]
    doc = {"format": FORMAT, "aspect": aspect, **({"side": int(side)} if side else {}), "found": items}
    return json.dumps(doc, separators=(",", ":")).encode()


def decode(data: bytes) -> tuple[list[Found], float, int | None] | None:
    """Inverse of `encode`: (detections, aspect, side px or None when not recorded); None for
    bytes of another format or garbage (never raises)."""
    try:
        doc = json.loads(data)
        if doc.get("format") != FORMAT:
            return None
        found = [
            Found(d["label"], float(d["score"]), tuple(float(v) for v in d["box"]), d["model"],
                  _text_to_mask(d["mask"]) if "mask" in d else None)
            for d in doc["found"]
        ]
        side = doc.get("side")
        return found, float(doc["aspect"]), int(side) if side else None
    except (ValueError, KeyError, TypeError, AttributeError, pyvips.Error):
        return None
