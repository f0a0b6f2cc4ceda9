"""Blurs: `e_blur` and `e_blur_region` (Gaussian, alpha-aware).

Strength mapping: Gaussian sigma = level / 20 px (blur:100 -> sigma 5, blur:2000 -> sigma
100).  Large sigmas run on a downsized copy (sigma <= 10 there) and are enlarged back, which
is visually equivalent for a Gaussian and keeps e_blur:2000 fast on big images.
"""

from __future__ import annotations

import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import to_uchar
from edge.render.effects._regions import apply_in_boxes, region_boxes
from edge.render.effects.args import Number, number
from edge.url.ast import Effect

__all__ = ["gaussian", "strength_sigma", "blur", "blur_region"]

_MAX_DIRECT_SIGMA = 10.0


def gaussian(image: pyvips.Image, sigma: float) -> pyvips.Image:
    """Gaussian blur of an sRGB(A) uchar image by `sigma` px; alpha is premultiplied first so
    transparent pixels do not bleed their colour.  Returns uchar, same size and bands."""
    if sigma <= 0.2:
        return image
    has_alpha = image.bands in (2, 4)
    work = image.premultiply() if has_alpha else image.cast("float")
    w, h = image.width, image.height
    if sigma > _MAX_DIRECT_SIGMA and min(w, h) > 8:
        factor = min(sigma / _MAX_DIRECT_SIGMA, min(w, h) / 4)
        small = work.resize(1 / factor, kernel="linear", gap=2.0)
        small = small.gaussblur(sigma / factor, precision="float")
        work = small.resize(w / small.width, vscale=h / small.height, kernel="linear")
        if work.width != w or work.height != h:
            work = work.embed(0, 0, w, h, extend="copy")
    else:
        work = work.gaussblur(sigma, precision="float")
    if has_alpha:
        work = work.unpremultiply()
    return to_uchar(work).copy(interpretation=image.interpretation)


def strength_sigma(effect: Effect, default: float = 100) -> float:
    """Gaussian sigma (px) for the effect's strength argument (1..2000, `default` when absent):
    strength / 20.  Raises UrlError out of range."""
    return number(effect, 0, default, 1, 2000) / 20


#: the strength argument of the blurs (1..2000, default 100; sigma = strength / 20 px).
STRENGTH = Number("strength", 100, 1, 2000)


@register("blur", args=(STRENGTH,))
def blur(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, strength: float) -> pyvips.Image:
    """`e_blur[:<1..2000>]` (100): Gaussian blur of the whole image."""
    return gaussian(image, strength / 20)


@register("blur_region", args=(STRENGTH,))
def blur_region(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, strength: float) -> pyvips.Image:
    """`e_blur_region[:<1..2000>]` (100) inside the region(s) named by the component
    (`x,y,w,h`, `g_ocr_text`, `g_faces`; the whole image without any)."""
    sigma = strength / 20
    boxes = region_boxes(image, ctx.component, ctx.focus)
    return apply_in_boxes(image, boxes, lambda crop: gaussian(crop, sigma))
