"""`heads`: where the head of a detected person whose face the face detector missed should be.

FaceBoxes misses faces that are small, in profile or cut by the photo's edge (issue 15: 14 of
the 21 face misses on vision-dev), while the COCO detectors still see the person.  For `g_faces`
/ `g_face` a person whose face is missed must not be cut, so every confident person box
(fused COCO score >= `PERSON_MIN`) with no detected face of its own (centred in its upper half,
and at least `FACE_MATCH` of the estimate's side: a small face there is someone behind) gets a head
estimate: a square (in px) of side min(`WIDTH_SHARE` x box width, `HEIGHT_SHARE` x box height),
centred horizontally at the top of the box, scored `SCORE_SHARE` x the person's score so that a
detected face outweighs a guessed head where not all of them fit.

The geometry is Edge's own (an upright person's head sits at the top centre of the box; a
standing person's head is about a seventh of the height, an upper-body box's about a third),
with the shares chosen on vision-dev with bench/vision_eval.py against its by-eye head boxes
(issue 15).  Pure function,
no pixels, no model run of its own.
"""

from __future__ import annotations

from typing import Sequence

from edge.render.focus import HEAD_ESTIMATE
from edge.vision.detection import Found

__all__ = ["head_estimates", "PERSON_MIN", "WIDTH_SHARE", "HEIGHT_SHARE", "FACE_MATCH", "SCORE_SHARE", "MODEL"]

PERSON_MIN = 0.45  # fused COCO score a person box needs (coco.FUSED_MIN is 0.15).  On vision-dev
# 0.3 .. 0.45 keep as many faces (90.8 %); 0.3 keeps one more `_avoid` fill (85.5 vs 84.9 %) but
# guesses more heads (the family photo's back-row diner), the higher one guesses fewest
WIDTH_SHARE = 0.45  # head side as a share of the person box's width ...
HEIGHT_SHARE = 0.4  # ... or of its height, whichever is smaller.  0.35 / 0.3 until the by-eye
# heads (bench/vision_faces.json): the 15 estimates matched to a by-eye head were half its area
# (median), and 0.45 / 0.4 keep one more face fill (395 portrait: 91.7 -> 92.5 %)
FACE_MATCH = 0.4  # a face smaller than this share of the head estimate is someone behind
SCORE_SHARE = 0.3  # a head estimate's score, as a share of its person's
MODEL = HEAD_ESTIMATE  # `model` of the estimates (label `face`): what fl_getinfo shows


def _has_face(person: tuple[float, float, float, float], side: float, aspect: float,
              faces: Sequence[Found]) -> bool:
    """True when a face of `faces` is centred in the upper half of `person` and is big enough
    to be that person's (its longer side, in image heights, >= `FACE_MATCH` x `side`)."""
    x, y, w, h = person
    for f in faces:
        cx, cy = f.box[0] + f.box[2] / 2, f.box[1] + f.box[3] / 2
        if x <= cx <= x + w and y <= cy <= y + h / 2 and max(f.box[2] * aspect, f.box[3]) >= FACE_MATCH * side:
            return True
    return False


def head_estimates(coco: Sequence[Found], faces: Sequence[Found], aspect: float) -> list[Found]:
    """Head boxes (normalised, label ``face``, model ``heads``) of the confident persons in
    `coco` (normalised COCO detections) that have no face of `faces` in their upper half.
    `aspect` = image width / height, so the head is square in px."""
    out: list[Found] = []
    for p in coco:
        if p.label != "person" or p.score < PERSON_MIN:
            continue
        x, y, w, h = p.box
        side = min(WIDTH_SHARE * w * aspect, HEIGHT_SHARE * h)  # in units of the image height
        if side <= 0 or _has_face(p.box, side, aspect, faces):
            continue
        sw = side / aspect
        out.append(Found("face", p.score * SCORE_SHARE, (x + (w - sw) / 2, y, sw, side), MODEL))
    return out
