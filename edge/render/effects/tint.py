"""`e_tint[:equalize][:<amount 0..100>][:<color>[:<pos>p]]...` (60, red at 50p, <= 10 colours).

A gradient map: the image's luma (histogram-equalised with `equalize`) indexes a 256-entry
colour ramp, and the result is blended with the original by amount%.  The ramp runs through
the given colours at their positions (percent of the luma range; default evenly spaced
0..100 %).  One colour is placed between black (0 %) and white (100 %) so shading survives.
"""

from __future__ import annotations

import re

import numpy as np
import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._lut import luminance, lut_image
from edge.render.effects._pixels import join_alpha, mix, split_alpha, to_uchar
from edge.render.effects.args import parse_color
from edge.url.ast import Effect
from edge.url.errors import UrlError

__all__ = ["parse_tint", "ramp_lut", "tint"]

_POS = re.compile(r"^(\d+(?:\.\d+)?)p$")
_NUM = re.compile(r"^\d+(?:\.\d+)?$")


def parse_tint(effect: Effect) -> tuple[bool, float, list[tuple[tuple[int, int, int], float | None]]]:
    """`(equalize, amount 0..100, [(rgb, position % or None), ...])` from the effect's args."""
    args = list(effect.args)
    equalize = bool(args) and args[0] == "equalize"
    if equalize:
        args = args[1:]
    amount = 60.0
    if args and (args[0] == "" or _NUM.match(args[0])):
        if args[0]:
            amount = float(args[0])
            if not 0 <= amount <= 100:
                raise UrlError(f"Invalid value for e_tint: {args[0]} (expected 0..100)")
        args = args[1:]
    stops: list[tuple[tuple[int, int, int], float | None]] = []
    for a in args:
        m = _POS.match(a)
        if m:
            if not stops or stops[-1][1] is not None:
                raise UrlError(f"Invalid value for e_tint: {a} (a position must follow a colour)")
            pos = float(m.group(1))
            if pos > 100:
                raise UrlError(f"Invalid value for e_tint: {a} (expected 0p..100p)")
            stops[-1] = (stops[-1][0], pos)
        else:
            stops.append((parse_color(effect, a)[:3], None))
    if len(stops) > 10:
        raise UrlError("Invalid value for e_tint: at most 10 colours")
    if not stops:
        stops = [((255, 0, 0), 50.0)]
    return equalize, amount, stops


def ramp_lut(stops: list[tuple[tuple[int, int, int], float | None]]) -> pyvips.Image:
    """A 256x1 3-band uchar colour ramp through `stops` (see the module docstring)."""
    if len(stops) == 1:
        color, pos = stops[0]
        stops = [((0, 0, 0), 0.0), (color, 50.0 if pos is None else pos), ((255, 255, 255), 100.0)]
    n = len(stops)
    positions = [p if p is not None else 100 * i / (n - 1) for i, (_, p) in enumerate(stops)]
    order = np.argsort(positions, kind="stable")
    xs = np.array([positions[i] for i in order]) * 255 / 100
    cols = np.array([stops[i][0] for i in order], dtype=np.float64)
    x = np.arange(256)
    ramp = np.stack([np.interp(x, xs, cols[:, c]) for c in range(3)])
    return lut_image(np.clip(np.rint(ramp), 0, 255).astype(np.uint8))


@register("tint")
def tint(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """Gradient-map tint (see the module docstring)."""
    equalize, amount, stops = parse_tint(effect)
    rgb, alpha = split_alpha(image)
    luma = to_uchar(luminance(rgb))
    if equalize:
        luma = luma.hist_equal()
    mapped = luma.maplut(ramp_lut(stops))
    return join_alpha(mix(rgb, mapped, amount / 100), alpha)
