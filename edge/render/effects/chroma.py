"""Effects that work on colourfulness and hue in CIE LCh(ab): saturation, hue, vibrance.

LCh keeps lightness untouched while chroma (C) or hue angle (h, degrees) change, so these
match the perceptual meaning of the URL names better than HSV would.  Conversion is libvips'
`colourspace` (sRGB <-> LCh via CIELAB, D65).
"""

from __future__ import annotations

import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import join_alpha, split_alpha
from edge.render.effects.args import Number
from edge.url.ast import Effect

__all__ = ["to_lch", "from_lch", "saturation", "hue", "vibrance"]


def to_lch(rgb: pyvips.Image) -> pyvips.Image:
    """sRGB uchar (3 bands) -> float LCh (L 0..100, C 0..~150, h degrees 0..360)."""
    return rgb.copy(interpretation="srgb").colourspace("lch")


def from_lch(lch: pyvips.Image) -> pyvips.Image:
    """Float LCh -> sRGB (float, not yet clamped)."""
    return lch.copy(interpretation="lch").colourspace("srgb")


@register("saturation", args=(Number("level", 80, -100, 100),))
def saturation(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, level: float) -> pyvips.Image:
    """`e_saturation[:<-100..100>]` (80): chroma scaled by (100 + level)%; -100 is grey."""
    rgb, alpha = split_alpha(image)
    lch = to_lch(rgb).linear([1, 1 + level / 100, 1], [0, 0, 0])
    return join_alpha(from_lch(lch), alpha)


@register("hue", args=(Number("level", 80, -100, 100),))
def hue(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, level: float) -> pyvips.Image:
    """`e_hue[:<-100..100>]` (80): rotates the hue angle by level * 1.8 degrees (100 = 180°)."""
    rgb, alpha = split_alpha(image)
    lch = to_lch(rgb)
    h = (lch.extract_band(2) + level * 1.8 + 360) % 360
    out = lch.extract_band(0).bandjoin([lch.extract_band(1), h])
    return join_alpha(from_lch(out), alpha)


@register("vibrance", args=(Number("level", 20, -100, 100),))
def vibrance(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, level: float) -> pyvips.Image:
    """`e_vibrance[:<-100..100>]` (20): a saturation change weighted toward muted colours:
    C' = C * (1 + level/100 * max(0, 1 - C/100)) (the usual "vibrance" definition: colours
    already saturated (C >= 100) are left alone)."""
    level = level / 100
    rgb, alpha = split_alpha(image)
    lch = to_lch(rgb)
    c = lch.extract_band(1)
    weight = (1 - c / 100).relational_const("more", [0]).ifthenelse(1 - c / 100, 0)
    c2 = c * (weight * level + 1)
    out = lch.extract_band(0).bandjoin([c2, lch.extract_band(2)])
    return join_alpha(from_lch(out), alpha)
