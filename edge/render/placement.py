"""Where a crop window goes when the named boxes do not all fit in it (issue 15).

`best_window(width, height, cw, ch, boxes, weights)` returns the top-left of the `cw x ch`
window (px, inside a `width x height` image) that keeps the most *weighted named area*:

    value(x, y) = sum_i  weight_i * area_i * kept_i(x, y) ** POWER

(`weight_i` is the caller's score or prominence of box i, `area_i` its area in px², `kept_i` the
share of it inside the window).  With `POWER` = 1 this is the weighted named area kept; a
larger power rewards keeping a box whole over keeping halves of two (a cut object is worth
less than its pixels).  Centring the window on
the union of the boxes (what gravity does when the union fits) can cut every box when it does
not: two people at the two ends of a panorama asked for with `c_fill,w_400,h_400,g_auto:people`
would each lose half.  This keeps the heaviest part whole instead.

Algorithm (exact, no search grid): the overlap of a window [x, x + cw) with a box
[bx, bx + bw) along one axis is a piecewise-linear function of x with slope changes only at
x = bx - cw, bx, bx + bw - cw and bx + bw, and `value` is a sum of products of one such function
per axis, each raised to `POWER`.  For a fixed y, every term is then a power >= 1 of a linear
function of x between two break points, so convex there, and a convex function's maximum on an
interval is at one of its ends: `value` takes its maximum at a break point or at an end of the
free range [0, width - cw].  The same holds in y for a fixed x, so the maximum over the plane is
reached on the grid (break points in x) x (break points in y).  The grid has at most (4n + 2)² points for n boxes and is evaluated with one matrix
product: value = (Kx * w * area) @ Ky.T, where Kx[j, i] = (x-overlap of candidate j with box i /
box i's width) ** POWER, and Ky likewise.

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

__all__ = ["best_window", "window_value", "TIE", "WHOLE", "POWER"]

POWER = 2.0  # >= 1; 2: keeping one box whole beats keeping half of each of two (issue 15, vision-dev)

TIE = 1e-6  # relative tolerance under which two window positions keep equal value
WHOLE = 0.999  # share of a box's area inside the window for the box to count as kept whole


def _overlap(starts: np.ndarray, size: float, lo: np.ndarray, extent: np.ndarray) -> np.ndarray:
    """(len(starts), len(lo)) overlap lengths of windows [s, s + size) with spans [lo, lo + extent)."""
    s = starts[:, None]
    return np.clip(np.minimum(s + size, lo + extent) - np.maximum(s, lo), 0.0, None)


def _kept(starts: np.ndarray, size: float, lo: np.ndarray, extent: np.ndarray) -> np.ndarray:
    """(share of each span inside each window) ** POWER, shape (len(starts), len(lo))."""
    return (_overlap(starts, size, lo, extent) / np.maximum(extent, 1e-9)) ** POWER


def _breaks(lo: np.ndarray, extent: np.ndarray, size: float, free: float) -> np.ndarray:
    """Candidate window starts along one axis: slope changes of every overlap, and both ends."""
    pts = np.concatenate([lo - size, lo, lo + extent - size, lo + extent, [0.0, free]])
    return np.unique(np.clip(pts, 0.0, free))


def window_value(x: float, y: float, cw: float, ch: float,
                 boxes: Sequence[Sequence[float]], weights: Sequence[float]) -> float:
    """`value(x, y)` of the module doc (px² x weight) of the `cw x ch` window whose top-left
    is (x, y)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    w = np.asarray(weights, np.float64).reshape(-1)
    kx = _kept(np.array([float(x)]), cw, b[:, 0], b[:, 2])[0]
    ky = _kept(np.array([float(y)]), ch, b[:, 1], b[:, 3])[0]
    return float((w * b[:, 2] * b[:, 3] * kx * ky).sum())


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
    wa = w * b[:, 2] * b[:, 3]
    kx, ky = _kept(xs, cw, b[:, 0], b[:, 2]), _kept(ys, ch, b[:, 1], b[:, 3])
    value = (kx * wa) @ ky.T  # (len(xs), len(ys))
    j, k = np.unravel_index(int(np.argmax(value)), value.shape)
    best = float(value[j, k])
    # centre on what the best window keeps whole (every box with weight when nothing is whole)
    whole = kx[j] * ky[k] >= WHOLE ** POWER
    keep = b[whole] if whole.any() else b[w > 0]
    x0, y0 = keep[:, 0].min(), keep[:, 1].min()
    x1, y1 = (keep[:, 0] + keep[:, 2]).max(), (keep[:, 1] + keep[:, 3]).max()
    tx = float(np.clip((x0 + x1) / 2 - cw / 2, 0.0, free_x))
    ty = float(np.clip((y0 + y1) / 2 - ch / 2, 0.0, free_y))
    xs, ys = np.unique(np.append(xs, tx)), np.unique(np.append(ys, ty))
    value = (_kept(xs, cw, b[:, 0], b[:, 2]) * wa) @ _kept(ys, ch, b[:, 1], b[:, 3]).T
    good = value >= best - TIE * max(best, 1e-12)
    dist = (xs[:, None] - tx) ** 2 + (ys[None, :] - ty) ** 2
    j, k = np.unravel_index(int(np.argmin(np.where(good, dist, np.inf))), value.shape)
    return float(xs[j]), float(ys[k])
