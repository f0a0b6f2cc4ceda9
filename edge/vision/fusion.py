"""Weighted box fusion of several detectors' boxes (Solovyev, Wang, Gabruseva 2019, "Weighted
boxes fusion: ensembling boxes from different object detection models", arXiv:1910.13302).

Per class, boxes are visited best score first; each joins the first cluster whose fused box it
overlaps with IoU > `iou_thr`, else starts a new one.  A cluster's fused box is the
score-weighted mean of its members' corners; its score is the mean member score scaled by
min(members, models) / models, so a box every detector agrees on keeps its score and a box only
one of two detectors saw keeps half (the paper's rescaling, with model weights).  Unlike NMS,
which keeps one detector's box, the fused box averages both, which is what tight crops
(`c_crop,g_<class>`) need.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from edge.vision.detection import Found
from edge.vision.prep import iou

__all__ = ["wbf"]


def wbf(runs: Sequence[Sequence[Found]], weights: Sequence[float] | None = None, *,
        iou_thr: float = 0.55, model: str = "coco") -> list[Found]:
    """Fuse the detections of `len(runs)` models (normalised `Found` boxes) into one list,
    labelled `model`, best score first.  `weights` (default all 1) scale each model's scores
    and count in the rescaling.  Raises ValueError when `weights` and `runs` differ in length."""
    weights = np.ones(len(runs)) if weights is None else np.asarray(weights, float)
    if len(weights) != len(runs):
        raise ValueError("one weight per model run")
    total = float(weights.sum())
    items = [(f.label, f.score * w, w, f.box) for run, w in zip(runs, weights) for f in run]
    out: list[Found] = []
    for label in sorted({i[0] for i in items}):
        sel = sorted((i for i in items if i[0] == label), key=lambda i: -i[1])
        fused: list[np.ndarray] = []  # x0 y0 x1 y1 of each cluster
        members: list[list[tuple[float, float, np.ndarray]]] = []
        for _, s, w, (x, y, bw, bh) in sel:
            b = np.array([x, y, x + bw, y + bh])
            if fused:
                ov = iou(b, np.array(fused))
                j = int(ov.argmax())
                if ov[j] > iou_thr:
                    members[j].append((s, w, b))
                    ss = np.array([m[0] for m in members[j]])
                    fused[j] = (ss[:, None] * np.array([m[2] for m in members[j]])).sum(0) / ss.sum()
                    continue
            fused.append(b)
            members.append([(s, w, b)])
        for box, ms in zip(fused, members):
            score = sum(m[0] for m in ms) / len(ms) * min(sum(m[1] for m in ms), total) / total
            x0, y0, x1, y1 = (float(v) for v in box)
            out.append(Found(label, float(score), (x0, y0, x1 - x0, y1 - y0), model))
    out.sort(key=lambda f: -f.score)
    return out
