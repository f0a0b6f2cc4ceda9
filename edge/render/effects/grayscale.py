"""`e_grayscale`: convert to shades of grey (alpha kept)."""

from __future__ import annotations

import pyvips

from . import register

__all__ = ["grayscale"]


@register("grayscale")
def grayscale(image: pyvips.Image, effect, ctx) -> pyvips.Image:
    """Luminance (libvips `b-w` colourspace: CIE L* of the sRGB pixels) copied into the three
    sRGB bands, so the output convention (8-bit sRGB, alpha last) holds."""
    alpha = image[image.bands - 1] if image.hasalpha() else None
    rgb = image.extract_band(0, n=3) if alpha is not None else image
    grey = rgb.colourspace("b-w")[0]
    out = grey.bandjoin([grey, grey]).copy(interpretation="srgb")
    return out.bandjoin(alpha) if alpha is not None else out
