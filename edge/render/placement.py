"""Where a crop window goes when the named boxes do not all fit in it (issue 15).

`best_window(width, height, cw, ch, boxes, weights)` returns the top-left of the `cw x ch`
window (px, inside a `width x height` image) that keeps the most *weighted named area*:

    value(x, y) = sum_i  weight_i * area(box_i  intersected with  window(x, y))

(`weight_i` is the caller's score or prominence of box i; area in px²).  Centring the window on
the union of the boxes (what gravity does when the union fits) can cut every box when it does
not: two people at the two ends of a panorama asked for with `c_fill,w_400,h_400,g_auto:people`
would each lose half.  This keeps the heaviest part whole instead.

Algorithm (exact, no search grid): the overlap of a window [x, x + cw) with a box
[bx, bx + bw) along one axis is a piecewise-linear function of x with slope changes only at
x = bx - cw, bx, bx + bw - cw and bx + bw, and `value` is a sum of products of one such function
per axis.  For a fixed y, `value` is therefore piecewise linear in x and takes its maximum at one
of those break points or at an end of the free range [0, width - cw]; the same holds in y for a
fixed x, so the maximum over the plane is reached on the grid (break points in x) x (break points
in y).  The grid has at most (4n + 2)² points for n boxes and is evaluated with one matrix
product: value = (Ox * w) @ Oy.T, where Ox[j, i] is the x-overlap of candidate j with box i.

Among positions within `TIE` (relative) of the best value, the one nearest to centring the
window on the boxes that the best window keeps whole (>= `WHOLE` of their area) wins, so a
single kept object is centred where the window has room to spare, as plain focus centring does.
That centring position (clamped) is added to the candidates, so it is chosen exactly whenever it
scores as well.

Pure function: numpy only, no pixels; the geometry is Edge's own (no external source).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["best_window", "window_value", "TIE", "WHOLE"]

TIE = 1e-6  # relative tolerance under which two window positions keep equal value
WHOLE = 0.999  # share of a box's area inside the window for the box to count as kept whole


def _overlap(starts: np.ndarray, size: float, lo: np.ndarray, extent: np.ndarray) -> np.ndarray:
    """(len(starts), len(lo)) overlap lengths of windows [s, s + size) with spans [lo, lo + extent)."""
    s = starts[:, None]
    return np.clip(np.minimum(s + size, lo + extent) - np.maximum(s, lo), 0.0, None)


def _breaks(lo: np.ndarray, extent: np.ndarray, size: float, free: float) -> np.ndarray:
    """Candidate window starts along one axis: slope changes of every overlap, and both ends."""
    pts = np.concatenate([lo - size, lo, lo + extent - size, lo + extent, [0.0, free]])
    return np.unique(np.clip(pts, 0.0, free))


def window_value(x: float, y: float, cw: float, ch: float,
                 boxes: Sequence[Sequence[float]], weights: Sequence[float]) -> float:
    """`value(x, y)` of the module doc: sum of weight x area (px²) of each box inside the
    `cw x ch` window whose top-left is (x, y)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    w = np.asarray(weights, np.float64).reshape(-1)
    ox = _overlap(np.array([float(x)]), cw, b[:, 0], b[:, 2])[0]
    oy = _overlap(np.array([float(y)]), ch, b[:, 1], b[:, 3])[0]
    return float((w * ox * oy).sum())


def best_window(width: float, height: float, cw: float, ch: float,
                boxes: Sequence[Sequence[float]], weights: Sequence[float]) -> tuple[float, float]:
    """Top-left (x, y) in px of the `cw x ch` window inside `width x height` that maximises the
    weighted named area kept (module doc).

    `boxes`: n boxes (x, y, w, h) px; `weights`: n non-negative numbers (score or prominence).
    With no box or no positive weight the window is centred.  Raises ValueError when the two
    lengths differ or a weight is negative.  The result lies in [0, width - cw] x [0, height - ch]
    (0 on an axis where the window is not smaller than the image); it is a float, the caller
    rounds."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    w = np.asarray(weights, np.float64).reshape(-1)
    if len(b) != len(w):
        raise ValueError(f"{len(b)} boxes but {len(w)} weights")
    if (w < 0).any():
        raise ValueError("negative weight")
    free_x, free_y = max(0.0, float(width - cw)), max(0.0, float(height - ch))
    if not len(b) or not (w > 0).any():
        return free_x / 2, free_y / 2
    xs = _breaks(b[:, 0], b[:, 2], cw, free_x)
    ys = _breaks(b[:, 1], b[:, 3], ch, free_y)
    ox, oy = _overlap(xs, cw, b[:, 0], b[:, 2]), _overlap(ys, ch, b[:, 1], b[:, 3])
    value = (ox * w) @ oy.T  # (len(xs), len(ys))
    j, k = np.unravel_index(int(np.argmax(value)), value.shape)
    best = float(value[j, k])
    # centre on what the best window keeps whole (every box with weight when nothing is whole)
    whole = ox[j] * oy[k] >= WHOLE * b[:, 2] * b[:, 3]
    keep = b[whole] if whole.any() else b[w > 0]
    x0, y0 = keep[:, 0].min(), keep[:, 1].min()
    x1, y1 = (keep[:, 0] + keep[:, 2]).max(), (keep[:, 1] + keep[:, 3]).max()
    tx = float(np.clip((x0 + x1) / 2 - cw / 2, 0.0, free_x))
    ty = float(np.clip((y0 + y1) / 2 - ch / 2, 0.0, free_y))
    xs, ys = np.unique(np.append(xs, tx)), np.unique(np.append(ys, ty))
    ox, oy = _overlap(xs, cw, b[:, 0], b[:, 2]), _overlap(ys, ch, b[:, 1], b[:, 3])
    value = (ox * w) @ oy.T
    good = value >= best - TIE * max(best, 1e-12)
    dist = (xs[:, None] - tx) ** 2 + (ys[None, :] - ty) ** 2
    j, k = np.unravel_index(int(np.argmin(np.where(good, dist, np.inf))), value.shape)
    return float(xs[j]), float(ys[k])
