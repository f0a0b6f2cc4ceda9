"""``shop_classifier`` as a documented HEURISTIC (not a trained classifier): studio product shot
vs natural image, from how smooth the image's border is.

A studio product shot stands on a seamless backdrop (white, a soft gradient, or a transparent
cut-out) that reaches every edge of the frame; a natural photograph has texture (scenery,
floors, walls, clutter) on at least one edge.  On a copy of at most `SIDE` px (alpha composited
onto white), the grey level's central-difference gradient is taken at every pixel; a pixel is
*smooth* when it is transparent or its gradient is at most `GRADIENT` grey levels per px.  For
each of the four border bands (`BAND` x the shorter side deep) the smooth fraction is counted;
``border_smoothness`` is the smallest of the four (the roughest edge decides).  Label
``studio_product`` when it is >= `THRESHOLD`, else ``natural_image``; ``confidence`` is 0.5
at the threshold rising linearly to 1 at `THRESHOLD` +- `CONFIDENCE_SPAN`.  The box of the
studio label is the extent of the non-smooth pixels (the product), in px of the original.

Measured (Edge's own figures, on the labelled photos of the session; `THRESHOLD` set on the
same photos, midway between the classes): the two product shots (``product_sneakers_white_bg.jpg``
on a lavender gradient: 0.956; ``product_cap_transparent.png``, a cut-out: 1.000) score above
0.95; the 123 COCO photos of ``vision-dev`` score at most 0.815 (0 of 123 called studio at 0.88),
the 31 other photos among the shared test images at most 0.636 (a bird on a white sky).  Also
called studio: a transparent bird cut-out (0.987), dice on a plain backdrop (0.947) and a logo
(0.913): cut-outs, still lifes and graphics on a plain ground read as studio shots, which is
what the heuristic measures.  Two positives are too few for a recall figure; the false-positive
rate on natural photos is what the measurement bounds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["classify", "SIDE", "GRADIENT", "BAND", "THRESHOLD", "CONFIDENCE_SPAN", "METHOD", "MODEL_VERSION"]

SIDE = 256  # px, longer side analysed
GRADIENT = 3.0  # grey levels per px: at most this is smooth
BAND = 0.05  # border band depth, x the shorter side
THRESHOLD = 0.88  # between the natural photos measured (<= 0.815) and the studio shots (>= 0.913)
CONFIDENCE_SPAN = 0.3
METHOD = "heuristic: border smoothness (Edge, not a trained classifier)"
MODEL_VERSION = 1


def _smooth(ctx: Any) -> tuple[np.ndarray, int, int]:
    a = ctx.array(SIDE).astype(np.float32)
    h, w = a.shape[:2]
    if a.shape[2] == 4:
        alpha = a[..., 3:4] / 255.0
        rgb = a[..., :3] * alpha + 255.0 * (1.0 - alpha)
        clear = a[..., 3] < 128
    else:
        rgb, clear = a[..., :3], np.zeros((h, w), bool)
    g = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    grad = np.zeros_like(g)
    if w > 2:
        grad[:, 1:-1] = np.abs(g[:, 2:] - g[:, :-2]) * 0.5
    if h > 2:
        grad[1:-1] = np.maximum(grad[1:-1], np.abs(g[2:] - g[:-2]) * 0.5)
    return (grad <= GRADIENT) | clear, h, w


def classify(ctx: Any) -> dict[str, Any]:
    """The §5.1 ``analysis`` of ``shop_classifier`` for an `edge.analysis.image.ImageContext`:
    ``{"tags": {"studio_product"|"natural_image": [{"bounding-box", "confidence",
    "categories": ["shop"]}]}, "model_version": 1, "edge_method": METHOD, "edge_heuristic":
    {"border_smoothness", "threshold", ...}}`` (boxes in px of the original as displayed)."""
    smooth, h, w = _smooth(ctx)
    b = max(2, int(round(BAND * min(h, w))))
    inner = slice(1, -1) if min(h, w) > 4 else slice(None)
    bands = [smooth[:b, inner], smooth[-b:, inner], smooth[inner, :b], smooth[inner, -b:]]
    score = float(min(s.mean() for s in bands if s.size)) if min(h, w) >= 8 else 0.0
    studio = score >= THRESHOLD
    confidence = min(1.0, 0.5 + abs(score - THRESHOLD) / CONFIDENCE_SPAN * 0.5)
    kx, ky = ctx.width / w, ctx.height / h
    box = [0.0, 0.0, float(ctx.width), float(ctx.height)]
    if studio:
        ys, xs = np.nonzero(~smooth)
        if xs.size:
            box = [round(float(xs.min()) * kx, 2), round(float(ys.min()) * ky, 2),
                   round(float(xs.max() - xs.min() + 1) * kx, 2), round(float(ys.max() - ys.min() + 1) * ky, 2)]
    label = "studio_product" if studio else "natural_image"
    return {"tags": {label: [{"bounding-box": box, "confidence": round(confidence, 4), "categories": ["shop"]}]},
            "model_version": MODEL_VERSION, "edge_method": METHOD,
            "edge_heuristic": {"border_smoothness": round(score, 4), "threshold": THRESHOLD,
                               "gradient_grey_levels_per_px": GRADIENT, "band": BAND}}
