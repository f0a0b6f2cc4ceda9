"""`cinemagraph_analysis` (`{"cinemagraph_score": 0..1}`): how much an animation looks like a
cinemagraph (a still photograph in which a small part moves).  A **heuristic**; Edge has no
trained model.

* Stills (one frame/page): 0.0.
* Animations (GIF, WebP): every frame is decoded once more at <= 96 px (libvips shrink-on-load
  for the whole strip, `n=-1`; bounded by `MAX_FRAMES`), a pixel "moves" when any channel
  changes by more than 24/255 between its darkest and brightest frame, and the score is a tent
  over the moving share m of the picture: 0 below 0.5 % (nothing moves), rising linearly to 1 at
  3 %, 1 up to 25 %, falling linearly to 0 at 60 % (everything moves: a video, not a
  cinemagraph).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvips

__all__ = ["cinemagraph_score", "moving_share", "SIDE", "MAX_FRAMES"]

SIDE = 96  # px, longer side of the frames compared
MAX_FRAMES = 64
THRESHOLD = 24  # grey levels


def _tent(m: float) -> float:
    if m < 0.005 or m >= 0.60:
        return 0.0
    if m < 0.03:
        return (m - 0.005) / 0.025
    if m <= 0.25:
        return 1.0
    return (0.60 - m) / 0.35


def moving_share(data: bytes) -> float:
    """Share (0..1) of the picture whose pixels change across the frames of animation `data`;
    0.0 for a still.  Raises pyvips.Error for unreadable data."""
    head = pyvips.Image.new_from_buffer(data, "")
    frames = head.get("n-pages") if head.get_typeof("n-pages") else 1
    if frames <= 1:
        return 0.0
    n = min(int(frames), MAX_FRAMES)
    im = pyvips.Image.thumbnail_buffer(data, SIDE, height=SIDE * n, size="down", option_string=f"n={n}")
    ph = im.get("page-height") if im.get_typeof("page-height") else im.height
    if im.hasalpha():
        im = im.flatten(background=[255, 255, 255])
    if im.bands > 3:
        im = im.extract_band(0, n=3)
    a = im.numpy().reshape(-1, ph, im.width, im.bands)
    spread = a.max(axis=0).astype(np.int16) - a.min(axis=0)
    moving = spread.max(axis=2) > THRESHOLD if spread.ndim == 3 else spread > THRESHOLD
    return float(moving.mean())


def cinemagraph_score(ctx: Any) -> float:
    """The `cinemagraph_score` of an `ImageContext` (module docstring), 2 decimals."""
    if ctx.header.frames <= 1:
        return 0.0
    try:
        return round(_tent(moving_share(ctx.data)), 2)
    except pyvips.Error:
        return 0.0
