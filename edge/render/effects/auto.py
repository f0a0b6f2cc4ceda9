"""Automatic corrections: auto_brightness, auto_color, auto_contrast, improve, fill_light.

Statistics are measured on one thumbnail (longest side <= 256 px, numpy); each correction is a
per-band LUT derived from them.  Chained corrections (`improve`) are measured on the thumbnail
as corrected by the steps before and their LUTs composed, so the full image is mapped once
(one lazy `maplut`), then blended with the original by `blend`/100.

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
from typing import Callable, Sequence

import numpy as np
import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._lut import LUMA_WEIGHTS, apply_lut, luminance, lut_array, lut_image
from edge.render.effects._pixels import join_alpha, mix, split_alpha, to_uchar
from edge.render.effects.args import Number, number
from edge.render.effects.chroma import from_lch, to_lch
from edge.url.ast import Effect

__all__ = [
    "Correction",
    "stats_array",
    "contrast_luts",
    "color_luts",
    "gamma_luts",
    "corrected",
    "auto_brightness",
    "auto_color",
    "auto_contrast",
    "improve",
    "fill_light",
]

_LOW, _HIGH = 0.5, 99.5

Correction = Callable[[np.ndarray], np.ndarray]
"""A correction: thumbnail pixels (h, w, 3) float 0..255 -> per-band LUTs (3, 256) uint8."""


def stats_array(rgb: pyvips.Image) -> np.ndarray:
    """A small (<= 256 px) float copy of `rgb` as an (h, w, 3) numpy array for statistics."""
    scale = min(1.0, 256 / max(rgb.width, rgb.height))
    small = rgb.resize(scale) if scale < 1 else rgb
    return small.numpy().astype(np.float64).reshape(small.height, small.width, -1)[..., :3]


def _stretch(lo: float, hi: float) -> np.ndarray:
    if hi - lo < 1:
        return lut_array(lambda x: x)
    return lut_array(lambda x: (x - lo) * 255 / (hi - lo))


def contrast_luts(small: np.ndarray) -> np.ndarray:
    """Luma-percentile stretch: the same LUT on all bands."""
    lo, hi = np.percentile(small @ np.array(LUMA_WEIGHTS), [_LOW, _HIGH])
    return np.stack([_stretch(float(lo), float(hi))] * 3)


def color_luts(small: np.ndarray) -> np.ndarray:
    """Per-channel percentile stretch."""
    return np.stack([_stretch(*map(float, np.percentile(small[..., i], [_LOW, _HIGH]))) for i in range(3)])


def gamma_luts(small: np.ndarray) -> np.ndarray:
    """Gamma so the mean luma becomes 127.5 (identity for a nearly black or white image)."""
    mean = float((small @ np.array(LUMA_WEIGHTS)).mean()) / 255
    e = 1.0 if mean <= 0.005 or mean >= 0.995 else math.log(0.5) / math.log(mean)
    return np.stack([lut_array(lambda x: 255 * (x / 255) ** e)] * 3)


def corrected(rgb: pyvips.Image, steps: Sequence[Correction]) -> pyvips.Image:
    """`rgb` (uchar, 3 bands) through `steps` in order, each measured on the thumbnail as
    corrected by the steps before; the composed LUT maps the full image once (uchar out)."""
    small = np.rint(stats_array(rgb)).astype(np.intp)
    total = np.tile(np.arange(256, dtype=np.uint8), (3, 1))
    for step in steps:
        now = np.stack([total[c][small[..., c]] for c in range(3)], axis=-1).astype(np.float64)
        total = np.take_along_axis(step(now), total.astype(np.intp), axis=1)
    return apply_lut(rgb, lut_image(total))


#: the blend argument of the automatic corrections: share (%) of the corrected image.
BLEND = Number("blend", 100, 0, 100)


def _blend(effect: Effect, index: int = 0) -> float:
    return number(effect, index, 100, 0, 100) / 100


def _run(image: pyvips.Image, amount: float, fn: Callable[[pyvips.Image], pyvips.Image]) -> pyvips.Image:
    rgb, alpha = split_alpha(image)
    rgb = to_uchar(rgb)
    return join_alpha(mix(rgb, fn(rgb), amount), alpha)


@register("auto_brightness", args=(BLEND,))
def auto_brightness(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, blend: float) -> pyvips.Image:
    """`e_auto_brightness[:<blend 0..100>]` (100)."""
    return _run(image, blend / 100, lambda rgb: corrected(rgb, [gamma_luts]))


@register("auto_color", args=(BLEND,))
def auto_color(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, blend: float) -> pyvips.Image:
    """`e_auto_color[:<blend 0..100>]` (100)."""
    return _run(image, blend / 100, lambda rgb: corrected(rgb, [color_luts]))


@register("auto_contrast", args=(BLEND,))
def auto_contrast(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, blend: float) -> pyvips.Image:
    """`e_auto_contrast[:<blend 0..100>]` (100)."""
    return _run(image, blend / 100, lambda rgb: corrected(rgb, [contrast_luts]))


def _improve(rgb: pyvips.Image, indoor: bool) -> pyvips.Image:
    steps = ([gamma_luts] if indoor else []) + [color_luts, contrast_luts]
    rgb = corrected(rgb, steps)
    return to_uchar(from_lch(to_lch(rgb).linear([1, 1.2, 1], [0, 0, 0])))


@register("improve")
def improve(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_improve[:outdoor|indoor][:<blend 0..100>]` (outdoor, 100); `e_improve:50` is valid."""
    mode, index = "outdoor", 0
    if effect.args and effect.args[0] in ("outdoor", "indoor"):
        mode, index = effect.args[0], 1
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
