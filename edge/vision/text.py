"""`text` (Cloudinary's cld-text, `g_ocr_text`): PP-OCRv4 DBNet text detection, boxes only.

Model: PyPI rapidocr-onnxruntime 1.4.4, `ch_PP-OCRv4_det_infer.onnx`, copied unchanged.  Input
float32 [1, 3, H, W] in BGR order (PaddleOCR decodes with opencv), (x / 255 - 0.5) / 0.5, H and W
multiples of 32, the longer side scaled to `SIDE_LEN` px (rapidocr scales the shorter side up
to 736 px; on the test photos that turned cat fur and coffee crema into "text", 640 px on the
longer side did not and is 3-5x faster); output a text probability map [1, 1, H, W].

Post-processing after "Real-time Scene Text Detection with Differentiable Binarization" (Liao et
al. 2020) and PaddleOCR's DBPostProcess, without opencv/pyclipper: threshold the map at
`BIN_THRESH`, label 8-connected regions with libvips `labelregions`, keep regions whose mean
probability is >= `BOX_THRESH` (after a 2x2 dilation, rapidocr's use_dilation), and grow each axis-aligned box by the DB "unclip" distance
area x `UNCLIP` / perimeter (the offset pyclipper would apply to the box polygon).  Edge adds
one filter of its own: a large region whose second moments give an axis ratio below
`MIN_ELONGATION` is a blob (an eye, a cup of coffee), not a line of text.
"""

from __future__ import annotations

import numpy as np
import pyvips

from edge.vision.detection import Found
from edge.vision.prep import Frame, resize
from edge.vision.registry import REGISTRY

__all__ = ["detect_text", "SIDE_LEN", "BIN_THRESH", "BOX_THRESH", "UNCLIP"]

SIDE_LEN = 640  # px, longer side of the network input
MIN_ELONGATION = 2.0  # large regions rounder than this (axis ratio) are not text lines
BLOB_SIDE = 0.04  # ... when their short axis exceeds this fraction of the map's longer side
BIN_THRESH = 0.3
BOX_THRESH = 0.5
UNCLIP = 1.6
MIN_SIDE = 3  # px in the probability map


def _input(frame: Frame) -> np.ndarray:
    h0, w0 = frame.rgb.shape[:2]
    k = SIDE_LEN / max(w0, h0)
    w = max(32, int(round(w0 * k / 32)) * 32)
    h = max(32, int(round(h0 * k / 32)) * 32)
    bgr = resize(frame.rgb, w, h)[..., ::-1].astype(np.float32)
    return np.ascontiguousarray((bgr * (2.0 / 255.0) - 1.0).transpose(2, 0, 1)[None])


def _regions(prob: np.ndarray) -> list[tuple[float, float, float, float, float]]:
    """(score, x0, y0, x1, y1) in map px for each connected text region."""
    h, w = prob.shape
    binary = prob > BIN_THRESH
    if not binary.any():
        return []
    binary[1:, :] |= binary[:-1, :].copy()  # 2x2 dilation
    binary[:, 1:] |= binary[:, :-1].copy()
    labels = pyvips.Image.new_from_array(binary.astype(np.uint8)).labelregions().numpy().reshape(h, w)
    ys, xs = np.nonzero(binary)
    lab = labels[ys, xs]
    n = int(labels.max()) + 1
    count = np.bincount(lab, minlength=n)
    cnt = np.maximum(count, 1)
    mean_prob = np.bincount(lab, weights=prob[ys, xs], minlength=n) / cnt
    # second central moments of each region -> axis ratio (elongation)
    mx = np.bincount(lab, weights=xs, minlength=n) / cnt
    my = np.bincount(lab, weights=ys, minlength=n) / cnt
    dx, dy = xs - mx[lab], ys - my[lab]
    cxx = np.bincount(lab, weights=dx * dx, minlength=n) / cnt
    cyy = np.bincount(lab, weights=dy * dy, minlength=n) / cnt
    cxy = np.bincount(lab, weights=dx * dy, minlength=n) / cnt
    half_tr, det = (cxx + cyy) / 2, np.sqrt(((cxx - cyy) / 2) ** 2 + cxy ** 2)
    major, minor = half_tr + det, np.maximum(half_tr - det, 1e-6)
    elongation = np.sqrt(major / minor)
    minor_side = 4 * np.sqrt(minor)  # full extent of a uniform band along its short axis
    present = np.nonzero(count)[0]
    x0 = np.full(n, w); y0 = np.full(n, h); x1 = np.zeros(n, int); y1 = np.zeros(n, int)
    np.minimum.at(x0, lab, xs); np.minimum.at(y0, lab, ys)
    np.maximum.at(x1, lab, xs); np.maximum.at(y1, lab, ys)
    out = []
    for r in present:
        bw, bh = x1[r] - x0[r] + 1, y1[r] - y0[r] + 1
        if min(bw, bh) < MIN_SIDE:
            continue
        # DB scores a region by the mean probability inside its polygon; the region's own
        # pixels stand in for the polygon (slanted lines would dilute an axis-aligned box)
        score = float(mean_prob[r])
        if score < BOX_THRESH:
            continue
        if elongation[r] < MIN_ELONGATION and minor_side[r] > BLOB_SIDE * max(w, h):
            continue
        d = bw * bh * UNCLIP / (2 * (bw + bh))
        out.append((score, max(0.0, x0[r] - d), max(0.0, y0[r] - d),
                    min(float(w), x1[r] + 1 + d), min(float(h), y1[r] + 1 + d)))
    return out


def detect_text(frame: Frame) -> list[Found]:
    """Every text block in `frame`, normalised boxes, largest first (score = mean map
    probability inside the box)."""
    x = _input(frame)
    session = REGISTRY.session("text")
    prob = session.run(None, {session.get_inputs()[0].name: x})[0][0, 0]
    h, w = prob.shape
    found = [Found("text", s, (x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h), "text")
             for s, x0, y0, x1, y1 in _regions(prob)]
    found.sort(key=lambda f: -(f.box[2] * f.box[3]))
    return found
