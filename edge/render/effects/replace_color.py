"""`e_replace_color:<to>[:<tolerance 0..100>][:<from>]` (tolerance 50, from = most prominent).

Works in CIELAB: a pixel's weight is 1 within 0.7 * tolerance (delta E 1976) of the `from` colour,
falling linearly to 0 at `tolerance`; weighted pixels are shifted by (to - from) in Lab, which
keeps their shading.  Without `from`, the most prominent colour is the mean of the most
populated bin of a 8x8x8 RGB histogram of a thumbnail (numpy).
"""

from __future__ import annotations

import numpy as np
import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import clip01, join_alpha, split_alpha
from edge.render.effects.args import number, parse_color
from edge.render.effects.auto import stats_array
from edge.url.ast import Effect
from edge.url.errors import UrlError

__all__ = ["prominent_color", "rgb_to_lab", "replace_color"]


def prominent_color(rgb: pyvips.Image) -> tuple[float, float, float]:
    """Mean RGB of the most populated 32-level-per-channel histogram bin of a thumbnail."""
    arr = stats_array(rgb).reshape(-1, 3)
    bins = (arr // 32).astype(np.int64)
    keys = bins[:, 0] * 64 + bins[:, 1] * 8 + bins[:, 2]
    mode = np.bincount(keys).argmax()
    sel = arr[keys == mode]
    m = sel.mean(axis=0)
    return (float(m[0]), float(m[1]), float(m[2]))


def rgb_to_lab(color: tuple[float, float, float]) -> list[float]:
    """One sRGB colour (0..255) to CIELAB (D65) with libvips."""
    px = pyvips.Image.black(1, 1, bands=3) + list(color)
    return px.copy(interpretation="srgb").colourspace("lab").getpoint(0, 0)


@register("replace_color")
def replace_color(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """Replace one colour (and similar ones) by another, keeping shading."""
    if not effect.args or not effect.args[0]:
        raise UrlError("Invalid value for e_replace_color: a target colour is required")
    to = parse_color(effect, effect.args[0])[:3]
    tolerance = number(effect, 1, 50, 0, 100)
    rgb, alpha = split_alpha(image)
    if len(effect.args) > 2 and effect.args[2]:
        src = parse_color(effect, effect.args[2])[:3]
    else:
        src = prominent_color(rgb)
    src_lab, to_lab = rgb_to_lab(src), rgb_to_lab(to)
    lab = rgb.copy(interpretation="srgb").colourspace("lab")
    d = lab - src_lab
    de = ((d * d).bandmean() * 3) ** 0.5
    radius = max(tolerance, 1e-3)
    weight = clip01((radius - de) / (0.3 * radius))  # 1 within 0.7 * radius, 0 at radius
    shift = [t - s for t, s in zip(to_lab, src_lab)]
    out = lab + weight.bandjoin([weight, weight]) * shift
    return join_alpha(out.copy(interpretation="lab").colourspace("srgb"), alpha)
