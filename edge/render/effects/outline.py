"""`e_outline[:inner|inner_fill|outer|fill][:<width 1..100>][:<blur 0..200>]` + `co_`
(inner and outer, width 5 px, blur 0, black).

The outline follows the image's shape: its alpha (> 50 %) or, for an opaque image, its
rectangle.  Euclidean distances (libvips `fill_nearest`; arithmetic for a rectangle) give antialiased bands of
`width` px: outer = outside the shape (the canvas grows by width + 3 sigma on every side),
inner = inside along its edge.  `fill` = outer outline plus the shape painted in the colour;
`inner_fill` = the shape painted in the colour.  Blur is a Gaussian of sigma = blur/10 px on
the outline's alpha.
"""

from __future__ import annotations

import math

import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._filters import distance_to
from edge.render.effects._pixels import check_side, clip01, color_layer, to_uchar, with_alpha
from edge.render.effects._regions import component_color
from edge.render.effects.args import number
from edge.url.ast import Effect

__all__ = ["MODES", "outline"]

MODES = frozenset({"inner", "inner_fill", "outer", "fill"})


def _rect_distances(width: int, height: int, box: tuple[int, int, int, int]) -> tuple[pyvips.Image, pyvips.Image]:
    """Exact (outside, inside) distances for a rectangular shape `box` (x, y, w, h) on a
    `width` x `height` canvas, computed arithmetically (an opaque image's shape)."""
    x0, y0, bw, bh = box
    xy = pyvips.Image.xyz(width, height).cast("float")
    x, y = xy.extract_band(0), xy.extract_band(1)

    def pos(img: pyvips.Image) -> pyvips.Image:
        return (img > 0).ifthenelse(img, 0)

    dx = pos(x0 - x) + pos(x - (x0 + bw - 1))
    dy = pos(y0 - y) + pos(y - (y0 + bh - 1))
    outside = (dx * dx + dy * dy) ** 0.5
    inside = (x - x0 + 1).minpair(y - y0 + 1).minpair(x0 + bw - x).minpair(y0 + bh - y)
    return outside, inside


@register("outline")
def outline(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """Draw an outline around the image's shape (see the module docstring)."""
    mode, index = None, 0
    if effect.args and effect.args[0] in MODES:
        mode, index = effect.args[0], 1
    width = number(effect, index, 5, 1, 100)
    sigma = number(effect, index + 1, 0, 0, 200) / 10
    color = component_color(ctx.component, (0, 0, 0, 255))
    opaque = image.bands == 3 or image.extract_band(image.bands - 1).min() == 255
    src = with_alpha(image)
    outer = mode in (None, "outer", "fill")
    inner = mode in (None, "inner")
    pad = int(math.ceil(width + 3 * sigma)) + 1 if outer else 0
    if pad:
        check_side(src.width + 2 * pad, src.height + 2 * pad, "outline")
        src = src.embed(pad, pad, src.width + 2 * pad, src.height + 2 * pad, background=[0, 0, 0, 0])
    alpha = src.extract_band(3)
    shape = alpha > 127
    if opaque:
        d_out, d_in = _rect_distances(src.width, src.height, (pad, pad, image.width, image.height))
    out = src
    if mode in ("fill", "inner_fill"):
        out = color_layer(alpha / 255.0, color)
    if inner:
        # distance to the nearest outside pixel; the canvas edge counts as outside
        if not opaque:
            outside = (shape ^ 255).embed(1, 1, shape.width + 2, shape.height + 2, background=[255])
            d_in = distance_to(outside).crop(1, 1, shape.width, shape.height)
        band = clip01(width + 0.5 - d_in) * (alpha / 255.0)
        if sigma:
            band = band.gaussblur(sigma, precision="float")
        out = out.composite2(color_layer(band, color), "over")
    if outer:
        if not opaque:
            d_out = distance_to(shape)
        ring = clip01(width + 0.5 - d_out)
        if sigma:
            ring = ring.gaussblur(sigma, precision="float")
        out = color_layer(ring, color).composite2(out, "over")
    return to_uchar(out).copy(interpretation="srgb")
