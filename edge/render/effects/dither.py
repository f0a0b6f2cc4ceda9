"""`e_ordered_dither[:<0..18>]` (0): per-channel 1-bit ordered dithering.

The level picks a threshold map in ImageMagick's order (`magick -list threshold`): 0 threshold
1x1, 1 checks, 2 o2x2, 3 o3x3, 4 o4x4, 5 o8x8 (Bayer), 6..8 h4x4a/h6x6a/h8x8a (45° halftone),
9..12 h4x4o/h6x6o/h8x8o/h16x16o (orthogonal halftone), 13..18 c5x5b/c5x5w/c6x6b/c6x6w/
c7x7b/c7x7w (circles, black/white).  Maps are generated with numpy (ranked distances for the
halftones), tiled with `replicate` and compared with every band; output pixels are 0 or 255.
"""

from __future__ import annotations

import functools

import numpy as np
import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import join_alpha, split_alpha
from edge.render.effects.args import Integer
from edge.url.ast import Effect

__all__ = ["threshold_map", "ordered_dither"]


def _bayer(n: int) -> np.ndarray:
    m = np.array([[0, 2], [3, 1]], dtype=np.float64)
    while m.shape[0] < n:
        m = np.block([[4 * m, 4 * m + 2], [4 * m + 3, 4 * m + 1]])
    return m


def _ranked(key: np.ndarray) -> np.ndarray:
    order = np.argsort(key, axis=None, kind="stable")
    ranks = np.empty(key.size)
    ranks[order] = np.arange(key.size)
    return ranks.reshape(key.shape)


def _halftone(n: int, angled: bool) -> np.ndarray:
    c = (np.arange(n) + 0.5) / n - 0.5
    x, y = np.meshgrid(c, c)
    if angled:  # two dots per cell on a 45° lattice: centre and corners
        d = np.minimum(np.hypot(x, y), np.hypot(0.5 - np.abs(x), 0.5 - np.abs(y)))
    else:
        d = np.hypot(x, y)
    return _ranked(d)


def _circle(n: int, white: bool) -> np.ndarray:
    c = np.arange(n) - (n - 1) / 2
    x, y = np.meshgrid(c, c)
    d = np.hypot(x, y)
    return _ranked(-d if white else d)


@functools.lru_cache(maxsize=32)
def threshold_map(level: int) -> tuple[tuple[float, ...], ...]:
    """The threshold map for `level` as rows of ratios in (0, 1)."""
    if level == 0:
        return ((0.5,),)
    if level == 1:  # "checks": two grey levels in a checkerboard
        return ((1 / 3, 2 / 3), (2 / 3, 1 / 3))
    if level in (2, 4, 5):
        m = _bayer({2: 2, 4: 4, 5: 8}[level])
    elif level == 3:
        m = np.array([[2, 6, 3], [5, 0, 8], [1, 7, 4]], dtype=np.float64)
    elif level <= 8:
        m = _halftone({6: 4, 7: 6, 8: 8}[level], angled=True)
    elif level <= 12:
        m = _halftone({9: 4, 10: 6, 11: 8, 12: 16}[level], angled=False)
    else:
        size = {13: 5, 14: 5, 15: 6, 16: 6, 17: 7, 18: 7}[level]
        m = _circle(size, white=level % 2 == 0)
    t = (m + 0.5) / m.size
    return tuple(tuple(float(v) for v in row) for row in t)


@register("ordered_dither", args=(Integer("level", 0, 0, 18),))
def ordered_dither(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, level: int) -> pyvips.Image:
    """`e_ordered_dither[:<0..18>]` (0): every colour band becomes 0 or 255."""
    rgb, alpha = split_alpha(image)
    t = np.array(threshold_map(level)) * 255
    tile = pyvips.Image.new_from_array(t.tolist())
    n = t.shape[0]
    across, down = -(-rgb.width // n), -(-rgb.height // n)
    plane = tile.replicate(across, down).crop(0, 0, rgb.width, rgb.height)
    out = rgb.relational(plane.bandjoin([plane, plane]), "more")
    return join_alpha(out, alpha)
