"""`e_grayscale`: convert to shades of grey (alpha kept)."""

from __future__ import annotations

import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import join_alpha, split_alpha
from edge.url.ast import Effect

__all__ = ["grayscale"]


@register("grayscale")
def grayscale(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """Luminance (libvips `b-w` colourspace: CIE L* of the sRGB pixels) copied into the three
    sRGB bands, so the output convention (8-bit sRGB, alpha last) holds."""
    rgb, alpha = split_alpha(image)
    grey = rgb.colourspace("b-w")
    return join_alpha(grey.bandjoin([grey, grey]), alpha)
