"""Pre-processing shared by the detectors: one downsized RGB copy per image, resizes, NMS.

`Frame.of(image)` renders a `pyvips.Image` (any interpretation, bands, depth) once into a uint8
RGB numpy array no larger than `MAX_SIDE` px (alpha flattened onto white), using libvips'
`thumbnail_image` (shrink then lanczos3 reduce).  Every model resizes from that small copy, so a
5000 px source is decoded once, not once per model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvips

__all__ = ["MAX_SIDE", "Frame", "resize", "nms", "iou"]

MAX_SIDE = 1024  # px: largest input any of Edge's detectors uses (FaceBoxes)


def _to_srgb8(image: pyvips.Image) -> pyvips.Image:
    """Any image -> 3-band uchar sRGB (alpha flattened onto white)."""
    if image.interpretation == "multiband":  # no colour space to convert from: use the bands
        if image.bands >= 3:
            image = image.extract_band(0, n=3).copy(interpretation="srgb")
        else:  # one band, or two read as grey + alpha
            image = image.copy(interpretation="b-w")
    if image.hasalpha():
        image = image.flatten(background=[255] * (image.bands - 1) if image.bands > 2 else 255)
    if image.interpretation not in ("srgb", "b-w") or image.format != "uchar":
        image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    if image.bands < 3:
        image = image.extract_band(0)
        image = image.bandjoin([image, image])
    elif image.bands > 3:
        image = image.extract_band(0, n=3)
    return image


@dataclass(frozen=True, slots=True)
class Frame:
    """A downsized uint8 RGB copy `rgb` (h, w, 3) of an image of `width` x `height` px."""

    rgb: np.ndarray
    width: int
    height: int

    @classmethod
    def of(cls, image: pyvips.Image, max_side: int = MAX_SIDE) -> "Frame":
        """Render `image` at most `max_side` px on its longer side (never upscaled)."""
        w, h = image.width, image.height
        small = image
        if max(w, h) > max_side:
            small = image.thumbnail_image(max_side, height=max_side, size="down")
        return cls(_to_srgb8(small).numpy(), w, h)


def resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize an (h, w, c) uint8 array to (height, width, c) with libvips (lanczos3 down,
    bicubic up)."""
    h0, w0, c = rgb.shape
    if (w0, h0) == (width, height):
        return rgb
    im = pyvips.Image.new_from_array(rgb).resize(width / w0, vscale=height / h0)
    if (im.width, im.height) != (width, height):
        im = im.embed(0, 0, width, height, extend="copy")
    return im.numpy().reshape(height, width, c)


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one (x0, y0, x1, y1) box with an (n, 4) array of boxes."""
    ix0 = np.maximum(box[0], boxes[:, 0])
    iy0 = np.maximum(box[1], boxes[:, 1])
    ix1 = np.minimum(box[2], boxes[:, 2])
    iy1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> list[int]:
    """Greedy non-maximum suppression: indices of kept boxes, best score first.
    `boxes` (n, 4) as (x0, y0, x1, y1); a box is dropped when its IoU with a kept one exceeds
    `threshold`."""
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(int(i))
        order = rest[iou(boxes[i], boxes[rest]) <= threshold]
    return keep
