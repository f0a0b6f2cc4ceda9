"""Automatic corrections: auto_brightness, auto_color, auto_contrast, improve, fill_light.

Statistics are measured on a thumbnail (longest side <= 256 px, numpy), the correction is a
LUT applied lazily to the full image, then blended with the original by `blend`/100.

* auto_contrast: stretch luma so its 0.5th..99.5th percentiles map to 0..255 (same linear map
  on every band, so hues are kept) -- ImageMagick `-contrast-stretch 0.5%`.
* auto_color: the same stretch per channel (neutralises colour casts) -- `-channel RGB
  -contrast-stretch 0.5%`.
* auto_brightness: gamma so the mean luma maps to mid-grey -- ImageMagick `-auto-gamma`.
* improve: outdoor = auto_color, then auto_contrast, then +20 % chroma; indoor adds
  auto_brightness first.
* fill_light: lifts shadows: with luma Y in 0..1, Y' = Y + s * (1 - Y)^3,
  s = 0.4 * (1 + bias/100), and every channel is multiplied by Y'/Y (at most 4x), so hues and
  saturation are kept while dark areas brighten far more than light ones.
"""

from __future__ import annotations

import math

import numpy as np
import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._common import apply_lut, join_alpha, lut_from, luminance, mix, split_alpha, to_uchar
from edge.render.effects.args import number
from edge.render.effects.chroma import from_lch, to_lch
from edge.url.ast import Effect
from edge.url.errors import UrlError

__all__ = [
    "stats_array",
    "contrast_stretch",
    "color_stretch",
    "auto_gamma",
    "auto_brightness",
    "auto_color",
    "auto_contrast",
    "improve",
    "fill_light",
]

_LOW, _HIGH = 0.5, 99.5


def stats_array(rgb: pyvips.Image) -> np.ndarray:
    """A small (<= 256 px) float copy of `rgb` as an (h, w, 3) numpy array for statistics."""
    scale = min(1.0, 256 / max(rgb.width, rgb.height))
    small = rgb.resize(scale) if scale < 1 else rgb
    return small.numpy().astype(np.float64).reshape(small.height, small.width, -1)[..., :3]


def _stretch_lut(lo: float, hi: float) -> pyvips.Image:
    if hi - lo < 1:
        return lut_from(lambda x: x)
    return lut_from(lambda x: (x - lo) * 255 / (hi - lo))


def contrast_stretch(rgb: pyvips.Image) -> pyvips.Image:
    """Luma-percentile stretch (same map on all bands); uchar in, uchar out."""
    arr = stats_array(rgb)
    luma = arr @ np.array([0.299, 0.587, 0.114])
    lo, hi = np.percentile(luma, [_LOW, _HIGH])
    return apply_lut(rgb, _stretch_lut(float(lo), float(hi)))


def color_stretch(rgb: pyvips.Image) -> pyvips.Image:
    """Per-channel percentile stretch; uchar in, uchar out."""
    arr = stats_array(rgb)
    luts = [_stretch_lut(*map(float, np.percentile(arr[..., i], [_LOW, _HIGH]))) for i in range(3)]
    return apply_lut(rgb, luts)


def auto_gamma(rgb: pyvips.Image) -> pyvips.Image:
    """Gamma so the mean luma becomes 127.5; uchar in, uchar out."""
    arr = stats_array(rgb)
    mean = float((arr @ np.array([0.299, 0.587, 0.114])).mean()) / 255
    if mean <= 0.005 or mean >= 0.995:
        return rgb
    e = math.log(0.5) / math.log(mean)
    return apply_lut(rgb, lut_from(lambda x: 255 * (x / 255) ** e))


def _blend(effect: Effect, index: int = 0) -> float:
    return number(effect, index, 100, 0, 100) / 100


def _run(image: pyvips.Image, amount: float, fn) -> pyvips.Image:
    rgb, alpha = split_alpha(image)
    rgb = to_uchar(rgb)
    return join_alpha(mix(rgb, fn(rgb), amount), alpha)


@register("auto_brightness")
def auto_brightness(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_auto_brightness[:<blend 0..100>]` (100)."""
    return _run(image, _blend(effect), auto_gamma)


@register("auto_color")
def auto_color(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_auto_color[:<blend 0..100>]` (100)."""
    return _run(image, _blend(effect), color_stretch)


@register("auto_contrast")
def auto_contrast(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_auto_contrast[:<blend 0..100>]` (100)."""
    return _run(image, _blend(effect), contrast_stretch)


def _improve(rgb: pyvips.Image, indoor: bool) -> pyvips.Image:
    if indoor:
        rgb = auto_gamma(rgb)
    rgb = contrast_stretch(color_stretch(rgb))
    return to_uchar(from_lch(to_lch(rgb).linear([1, 1.2, 1], [0, 0, 0])))


@register("improve")
def improve(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_improve[:outdoor|indoor][:<blend 0..100>]` (outdoor, 100); `e_improve:50` is valid."""
    mode, index = "outdoor", 0
    if effect.args and effect.args[0] in ("outdoor", "indoor"):
        mode, index = effect.args[0], 1
    elif effect.args and effect.args[0] and not effect.args[0].lstrip("-").replace(".", "", 1).isdigit():
        raise UrlError(f"Invalid value for e_improve: {effect.args[0]}")
    return _run(image, _blend(effect, index), lambda rgb: _improve(rgb, mode == "indoor"))


@register("fill_light")
def fill_light(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_fill_light[:<blend 0..100>][:<bias -100..100>]` (100, 0)."""
    amount = _blend(effect)
    bias = number(effect, 1, 0, -100, 100)
    s = 0.4 * (1 + bias / 100)

    def lift(rgb: pyvips.Image) -> pyvips.Image:
        y = luminance(rgb) / 255
        y2 = y + (1 - y) ** 3 * s
        gain = y2 / (y + 1 / 255)
        gain = (gain > 4).ifthenelse(4, gain)
        return to_uchar(rgb * gain)

    return _run(image, amount, lift)
