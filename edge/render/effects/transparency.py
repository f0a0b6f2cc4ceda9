"""Effects that write the alpha band: make_transparent, opacity_threshold, gradient_fade.

* make_transparent: pixels within `tolerance`% (Euclidean RGB distance / (255*sqrt 3)) of the
  background colour become transparent; the background colour is `co_`, else the median of
  the image's border pixels (Cloudinary: "pixels that resemble the pixels on the edges").
* opacity_threshold: alpha below level% of 255 becomes 0, the rest is kept.
* gradient_fade: alpha ramps from 0 at an edge to the original alpha over a fade zone; the
  zone is `x` (left, negative: right) or `y` (top, negative: bottom) in px or relative, default
  the left half; the curve exponent is level/20 (20 = linear, 0 = no fade).  `symmetric`
  (and `symmetric_pad`) fade both opposite edges.
"""

from __future__ import annotations

import numpy as np
import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import alpha_of, join_alpha, split_alpha
from edge.render.effects._regions import component_color, length_px
from edge.render.effects.args import Number, number
from edge.url.ast import Effect

__all__ = ["border_color", "make_transparent", "opacity_threshold", "gradient_fade"]


def border_color(rgb: pyvips.Image) -> tuple[float, float, float]:
    """Median colour of the outermost pixel ring of `rgb` (numpy on the 4 edges only)."""
    w, h = rgb.width, rgb.height
    strips = [rgb.crop(0, 0, w, 1), rgb.crop(0, h - 1, w, 1), rgb.crop(0, 0, 1, h), rgb.crop(w - 1, 0, 1, h)]
    pixels = np.concatenate([s.numpy().reshape(-1, rgb.bands)[:, :3] for s in strips])
    med = np.median(pixels, axis=0)
    return (float(med[0]), float(med[1]), float(med[2]))


@register("make_transparent", args=(Number("tolerance", 10, 0, 100),))
def make_transparent(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, tolerance: float) -> pyvips.Image:
    """`e_make_transparent[:<tolerance 0..100>]` (10), colour from `co_` or the border."""
    rgb, alpha = split_alpha(image)
    co = component_color(ctx.component, None)
    bg = co[:3] if co is not None else border_color(rgb)
    diff = rgb - list(bg)
    dist = (diff * diff).bandmean() * 3
    limit = (tolerance / 100 * 255 * 3**0.5) ** 2
    keep = alpha if alpha is not None else alpha_of(image)
    new_alpha = (dist <= limit).ifthenelse(0, keep)
    return join_alpha(rgb, new_alpha)


@register("opacity_threshold", args=(Number("level", 50, 1, 100),))
def opacity_threshold(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, level: float) -> pyvips.Image:
    """`e_opacity_threshold[:<1..100>]` (50); an opaque image is returned unchanged."""
    rgb, alpha = split_alpha(image)
    if alpha is None:
        return image
    return join_alpha(rgb, (alpha < level * 255 / 100).ifthenelse(0, alpha))


@register("gradient_fade")
def gradient_fade(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_gradient_fade[:symmetric|symmetric_pad][:<0..100>]` (20) with `x`/`y`."""
    mode, index = None, 0
    if effect.args and effect.args[0] in ("symmetric", "symmetric_pad"):
        mode, index = effect.args[0], 1
    level = number(effect, index, 20, 0, 100)
    rgb, alpha = split_alpha(image)
    w, h = rgb.width, rgb.height
    comp = ctx.component
    if "y" in comp and "x" not in comp:
        size, vertical = length_px(comp.get("y"), h, h / 2), True
    else:
        size, vertical = length_px(comp.get("x"), w, w / 2), False
    size = float(size or 0)
    if level == 0 or size == 0:
        return image
    extent = h if vertical else w
    span = max(1.0, min(abs(size), extent))
    xyz = pyvips.Image.xyz(w, h).extract_band(1 if vertical else 0).cast("float")
    from_far = size < 0
    d = (extent - 1 - xyz) if from_far else xyz
    if mode is not None:
        d = (xyz < extent - 1 - xyz).ifthenelse(xyz, extent - 1 - xyz)
    t = d / span
    t = (t > 1).ifthenelse(1, t)
    ramp = t ** (level / 20)
    base = alpha if alpha is not None else alpha_of(image)
    return join_alpha(rgb, base * ramp)


