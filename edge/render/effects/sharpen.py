"""Sharpening: `e_sharpen` and `e_unsharp_mask`.

* sharpen: libvips `sharpen` (unsharp masking of the L* channel in LabS, so colours do not
  fringe); the level sets the gain of the sharpening curve, m2 = 3 * level/100.
* unsharp_mask: the classic formula on the RGB bands,
  `out = in + amount * (in - gaussblur(in, sigma=2))`, amount = level/100.
"""

from __future__ import annotations

import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import join_alpha, split_alpha
from edge.render.effects.args import Number
from edge.url.ast import Effect

__all__ = ["sharpen", "unsharp_mask"]


@register("sharpen", args=(Number("level", 100, 1, 2000),))
def sharpen(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, level: float) -> pyvips.Image:
    """`e_sharpen[:<1..2000>]` (100)."""
    rgb, alpha = split_alpha(image)
    out = rgb.copy(interpretation="srgb").sharpen(sigma=1.0, x1=2.0, m1=0.0, m2=3.0 * level / 100, y2=50, y3=50)
    if out.interpretation != "srgb":
        out = out.colourspace("srgb")
    return join_alpha(out, alpha)


@register("unsharp_mask", args=(Number("amount", 100, 1, 2000),))
def unsharp_mask(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, amount: float) -> pyvips.Image:
    """`e_unsharp_mask[:<1..2000>]` (100)."""
    amount = amount / 100
    rgb, alpha = split_alpha(image)
    soft = rgb.gaussblur(2.0, precision="float")
    return join_alpha(rgb + (rgb - soft) * amount, alpha)
