"""Per-pixel tone effects: blackwhite, sepia, negate, brightness, brightness_hsb, contrast,
gamma, red/green/blue, colorize, recolor.

Each is a point operation (a LUT or a colour matrix), so it runs lazily in libvips.  Ranges
and defaults are Cloudinary's (url-spec §9).  The exact curves are Edge's documented
approximations; the source of each formula is given in the function's docstring.
"""

from __future__ import annotations

import math

import numpy as np
import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._lut import apply_lut, lut_from
from edge.render.effects._pixels import alpha_of, join_alpha, mix, split_alpha
from edge.render.effects._regions import component_color
from edge.render.effects.args import Number, number, option_number
from edge.url.ast import Effect
from edge.url.errors import UrlError

# Microsoft's sepia tone matrix ("How to: Use a Color Matrix to Transform a Single Color",
# the widely used W3C Filter Effects `sepia()` matrix at amount 1).
SEPIA_MATRIX = [
    [0.393, 0.769, 0.189],
    [0.349, 0.686, 0.168],
    [0.272, 0.534, 0.131],
]


@register("blackwhite", args=(Number("threshold", 50, 0, 100),))
def blackwhite(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, threshold: float) -> pyvips.Image:
    """`e_blackwhite[:<threshold 0..100>]` (50): luma above `threshold`% of 255 -> white, else
    black (3 bands kept, alpha kept)."""
    threshold = threshold * 255 / 100
    rgb, alpha = split_alpha(image)
    grey = rgb.colourspace("b-w")
    bw = (grey > threshold).cast("uchar")  # 0 / 255
    return join_alpha(bw.bandjoin([bw, bw]), alpha)


@register("sepia", args=(Number("level", 80, 1, 100),))
def sepia(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, level: float) -> pyvips.Image:
    """`e_sepia[:<1..100>]` (80): the standard sepia colour matrix, blended with the original
    by level/100 (W3C Filter Effects `sepia(amount)`)."""
    level = level / 100
    rgb, alpha = split_alpha(image)
    return join_alpha(mix(rgb, rgb.recomb(SEPIA_MATRIX), level), alpha)


@register("negate")
def negate(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_negate`: 255 - value on the colour bands; alpha untouched."""
    if effect.args and effect.args[0] != "":
        raise UrlError(f"Invalid value for e_negate: {effect.args[0]} (takes no argument)")
    rgb, alpha = split_alpha(image)
    return join_alpha(rgb.invert(), alpha)


@register("brightness", args=(Number("level", 80, -99, 100),))
def brightness(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, level: float) -> pyvips.Image:
    """`e_brightness[:<-99..100>]` (80): adds level% of 255 * 0.5 to every colour band
    (an additive brightness shift, as ImageMagick's `-brightness-contrast`)."""
    rgb, alpha = split_alpha(image)
    return join_alpha(rgb + level * 255 / 200, alpha)


@register("brightness_hsb", args=(Number("level", 80, -99, 100),))
def brightness_hsb(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, level: float) -> pyvips.Image:
    """`e_brightness_hsb[:<-99..100>]` (80): scales the HSB/HSV value (brightness) channel by
    (100 + level)% (ImageMagick `-modulate <100+level>`); scaling all RGB channels by the same
    factor scales V and keeps hue and HSV saturation."""
    rgb, alpha = split_alpha(image)
    return join_alpha(rgb * ((100 + level) / 100), alpha)


def _sigmoid_lut(level: float) -> pyvips.Image:
    """ImageMagick `-sigmoidal-contrast` (|level|/10 contrast, midpoint 50%); negative level
    applies the inverse curve (reduces contrast)."""
    beta = abs(level) / 10.0
    if beta < 1e-6:
        return lut_from(lambda x: x)
    alpha = 0.5

    def sig(u: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(beta * (alpha - u)))

    lo, hi = sig(np.array(0.0)), sig(np.array(1.0))
    if level > 0:
        return lut_from(lambda x: 255 * (sig(x / 255) - lo) / (hi - lo))

    def inverse(x: np.ndarray) -> np.ndarray:
        v = np.clip(lo + (hi - lo) * x / 255, 1e-9, 1 - 1e-9)
        return 255 * (alpha - np.log(1.0 / v - 1.0) / beta)

    return lut_from(inverse)


@register("contrast")
def contrast(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_contrast[:<level>]` or `e_contrast:level_<n>;type_sigmoidal|linear`.

    * sigmoidal (default): level -100..100 (0), ImageMagick sigmoidal contrast.
    * linear: level 1..200 (100 = unchanged), `(v - 128) * level/100 + 128`.
    """
    kind = effect.option("type", "sigmoidal")
    if kind not in ("sigmoidal", "linear"):
        raise UrlError(f"Invalid value for e_contrast: type_{kind}")
    rgb, alpha = split_alpha(image)
    named = effect.option("level") is not None or effect.option("type") is not None
    if kind == "linear":
        level = option_number(effect, "level", 100, 1, 200) if named else number(effect, 0, 100, 1, 200)
        return join_alpha((rgb - 128) * (level / 100) + 128, alpha)
    level = option_number(effect, "level", 0, -100, 100) if named else number(effect, 0, 0, -100, 100)
    return join_alpha(apply_lut(rgb, _sigmoid_lut(level)), alpha)


@register("gamma", args=(Number("level", 0, -50, 150),))
def gamma(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, level: float) -> pyvips.Image:
    """`e_gamma[:<-50..150>]` (0): gamma g = 1 + level/100 (0.5..2.5), out = 255*(v/255)^(1/g)
    (ImageMagick `-gamma g`: g > 1 brightens mid-tones)."""
    g = 1 + level / 100
    rgb, alpha = split_alpha(image)
    return join_alpha(apply_lut(rgb, lut_from(lambda x: 255 * (x / 255) ** (1 / g))), alpha)


def _channel(index: int):
    def fn(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, level: float) -> pyvips.Image:
        """`e_red|green|blue[:<-100..100>]` (0): scales that channel by (100 + level)%."""
        gains = [1.0, 1.0, 1.0]
        gains[index] = 1 + level / 100
        rgb, alpha = split_alpha(image)
        return join_alpha(rgb.linear(gains, [0, 0, 0]), alpha)

    return fn


_CHANNEL = (Number("level", 0, -100, 100),)
red = register("red", args=_CHANNEL)(_channel(0))
green = register("green", args=_CHANNEL)(_channel(1))
blue = register("blue", args=_CHANNEL)(_channel(2))


@register("colorize", args=(Number("level", 100, 0, 100),))
def colorize(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, level: float) -> pyvips.Image:
    """`e_colorize[:<0..100>]` (100) with `co_` (gray): blends every pixel toward the colour by
    level% (ImageMagick `-colorize`)."""
    level = level / 100
    r, g, b, _ = component_color(ctx.component, (128, 128, 128, 255))
    rgb, alpha = split_alpha(image)
    return join_alpha(rgb * (1 - level) + [r * level, g * level, b * level], alpha)


@register("recolor")
def recolor(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_recolor:<9 or 16 floats>`: a 3x3 (RGB) or 4x4 (RGBA) colour matrix, row-major, each
    value in -10..10; rows give the output channels (`out_r = m00*r + m01*g + m02*b`)."""
    n = len(effect.args)
    if n not in (9, 16):
        raise UrlError(f"Invalid value for e_recolor: expected 9 or 16 values, got {n}")
    vals = [number(effect, i, 0, -10, 10) for i in range(n)]
    size = 3 if n == 9 else 4
    m = [vals[i * size : (i + 1) * size] for i in range(size)]
    if not all(math.isfinite(v) for v in vals):
        raise UrlError("Invalid value for e_recolor")
    rgb, alpha = split_alpha(image)
    if size == 3:
        return join_alpha(rgb.recomb(m), alpha)
    out = rgb.bandjoin(alpha_of(image)).recomb(m)
    return join_alpha(out.extract_band(0, n=3), out.extract_band(3))


__all__ = [
    "blackwhite",
    "sepia",
    "negate",
    "brightness",
    "brightness_hsb",
    "contrast",
    "gamma",
    "red",
    "green",
    "blue",
    "colorize",
    "recolor",
    "SEPIA_MATRIX",
]
