"""Shadows: `e_shadow` (offset, blurred silhouette; canvas grows) and `e_dropshadow` (lit from
an azimuth/elevation; canvas kept; needs transparency).

* shadow: `e_shadow[:<0..100>]` (40) + `x`, `y` (offset px or relative; default 10, 10) and
  `co_` (default black, 60 % opaque unless the colour carries its own alpha): the image's
  alpha silhouette, Gaussian-blurred with sigma = level/10 px, under the image.  A canvas
  beyond `MAX_SIDE` px is a LimitError (413).
* dropshadow: `e_dropshadow[:azimuth_<0..360>][;elevation_<0..90>][;spread_<0..100>]`
  (215, 45, 50): the azimuth is the compass bearing of the light (0 = from the top,
  clockwise); the shadow falls the opposite way, offset by 8 % of the shorter side times
  (90 - elevation)/90, blurred with sigma = 0.5 + spread/100 * 3 % of the shorter side; 60 %
  black.  An opaque image hides its own shadow and is returned unchanged.
"""

from __future__ import annotations

import math

import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import check_side, color_layer, split_alpha, to_uchar, with_alpha
from edge.render.effects._regions import component_color, component_offset
from edge.render.effects.args import Number
from edge.url.ast import Effect

__all__ = ["silhouette", "shadow", "dropshadow"]


def silhouette(alpha: pyvips.Image, rgba: tuple[int, int, int, int], sigma: float) -> pyvips.Image:
    """An RGBA layer of colour `rgba` shaped like `alpha` (uchar), blurred by `sigma` px."""
    coverage = alpha.cast("float") / 255
    if sigma > 0.2:
        coverage = coverage.gaussblur(sigma, precision="float")
    return color_layer(coverage, rgba)


def _shadow_color(ctx: EffectContext) -> tuple[int, int, int, int]:
    r, g, b, a = component_color(ctx.component, (0, 0, 0, 153))
    return (r, g, b, a if a < 255 else 153)


@register("shadow", args=(Number("sigma", 40, 0, 100),))
def shadow(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, sigma: float) -> pyvips.Image:
    """Offset shadow under the image; output RGBA large enough to hold both."""
    sigma = sigma / 10
    src = with_alpha(image)
    w, h = src.width, src.height
    dx, dy = component_offset(ctx.component, w, h, (10.0, 10.0))
    dx, dy = int(round(dx)), int(round(dy))
    m = int(math.ceil(3 * sigma))
    left = max(0, m - dx)
    top = max(0, m - dy)
    right = max(0, dx + m)
    bottom = max(0, dy + m)
    W, H = w + left + right, h + top + bottom
    check_side(W, H, "shadow")
    shape = src.extract_band(3).embed(left + dx, top + dy, W, H, background=[0])
    sil = silhouette(shape, _shadow_color(ctx), sigma)
    base = src.embed(left, top, W, H, background=[0, 0, 0, 0])
    return to_uchar(sil.composite2(base, "over")).copy(interpretation="srgb")


@register("dropshadow", args=(Number("azimuth", 215, 0, 360, option=True), Number("elevation", 45, 0, 90, option=True), Number("spread", 50, 0, 100, option=True)))
def dropshadow(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, azimuth: float, elevation: float, spread: float) -> pyvips.Image:
    """Light-direction drop shadow for images with transparency; same canvas size."""
    rgb, alpha = split_alpha(image)
    if alpha is None:
        return image
    short = min(image.width, image.height)
    dist = 0.08 * short * (90 - elevation) / 90
    bearing = math.radians(azimuth + 180)
    dx, dy = dist * math.sin(bearing), -dist * math.cos(bearing)
    sigma = 0.5 + spread / 100 * 0.03 * short
    sil = silhouette(alpha, (0, 0, 0, 153), sigma)
    sil = sil.affine([1, 0, 0, 1], odx=dx, ody=dy, oarea=[0, 0, image.width, image.height], extend="background", background=[0, 0, 0, 0])
    return to_uchar(sil.composite2(image, "over")).copy(interpretation="srgb")
