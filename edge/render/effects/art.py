"""`e_art:<filter>`: Cloudinary's named artistic filters as documented colour grades.

Cloudinary does not publish its filters; each one here is Edge's approximation of the
look its name and the product gallery suggest, as a `Grade`: per channel
`v' = ((v - 128) * contrast + 128 + brightness) * gain + lift` (one LUT per band), then a
saturation matrix `tone * (sat * I + (1 - sat) * luma)` (Rec.601 weights; sat 0 = black and
white).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._lut import LUMA_WEIGHTS, apply_lut, lut_array, lut_image
from edge.render.effects._pixels import join_alpha, split_alpha
from edge.url.ast import Effect
from edge.url.errors import UrlError

__all__ = ["Grade", "FILTERS", "grade", "art"]


@dataclass(frozen=True, slots=True)
class Grade:
    """A colour grade: `contrast` slope about mid-grey, `brightness` offset (0..255 units),
    `gain`/`lift` per RGB channel (ratio / 0..255 units), `saturation` ratio, `tone` per-channel
    gains applied after the saturation (to colour a monochrome grade)."""

    saturation: float = 1.0
    contrast: float = 1.0
    brightness: float = 0.0
    gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    lift: tuple[float, float, float] = (0.0, 0.0, 0.0)
    tone: tuple[float, float, float] = (1.0, 1.0, 1.0)


FILTERS: dict[str, Grade] = {
    "al_dente": Grade(1.1, 1.15, 0, (1.08, 1.0, 0.9), (10, 5, 0)),  # warm, punchy
    "athena": Grade(0.8, 1.05, 10, (0.95, 1.0, 1.08), (0, 5, 10)),  # cool, bright, soft colour
    "audrey": Grade(0.0, 1.3),  # high-contrast black and white
    "aurora": Grade(1.1, 1.0, 0, (1.08, 0.95, 1.08), (10, 0, 15)),  # pink/violet cast
    "daguerre": Grade(0.0, 1.1, 0, tone=(1.1, 0.95, 0.75)),  # brown-toned monochrome
    "eucalyptus": Grade(0.9, 1.0, 0, (0.9, 1.05, 1.0), (0, 10, 8)),  # green-teal
    "fes": Grade(1.3, 1.05, 0, (1.1, 1.0, 0.85)),  # saturated warm orange
    "frost": Grade(0.7, 0.9, 0, (0.92, 1.0, 1.1), (10, 15, 25)),  # faded icy blue
    "hairspray": Grade(0.9, 0.9, 15, (1.0, 1.0, 1.0), (20, 15, 10)),  # bright pastel
    "hokusai": Grade(0.9, 1.1, 0, (0.9, 1.0, 1.05), (0, 10, 20)),  # cool vintage print
    "incognito": Grade(0.5, 1.2, -15),  # dark, moody, muted
    "linen": Grade(0.8, 0.85, 0, (1.0, 1.0, 1.0), (25, 20, 15)),  # soft warm fade
    "peacock": Grade(1.35, 1.05, 0, (0.9, 1.05, 1.1)),  # vivid teal/blue
    "primavera": Grade(1.15, 1.0, 10, (1.0, 1.06, 0.95)),  # fresh spring green
    "quartz": Grade(0.85, 1.25, 0, (0.95, 1.0, 1.05)),  # crisp, cool, contrasty
    "red_rock": Grade(1.1, 1.1, 0, (1.15, 0.95, 0.85)),  # red-orange desert
    "refresh": Grade(1.25, 1.1, 8),  # bright and saturated
    "sizzle": Grade(1.4, 1.1, 0, (1.12, 1.0, 0.88)),  # hot, very saturated
    "sonnet": Grade(0.7, 0.9, 0, (1.0, 1.0, 1.0), (15, 5, 20)),  # faded violet
    "ukulele": Grade(1.1, 1.0, 5, (1.08, 1.05, 0.85)),  # sunny yellow
    "zorro": Grade(0.0, 1.5, -10),  # dark, hard black and white
}


def grade(rgb: pyvips.Image, g: Grade) -> pyvips.Image:
    """Apply a `Grade` to an sRGB uchar 3-band image (float out)."""
    luts = np.stack([
        lut_array(lambda x, i=i: ((x - 128) * g.contrast + 128 + g.brightness) * g.gain[i] + g.lift[i])
        for i in range(3)
    ])
    graded = apply_lut(rgb, lut_image(luts))
    if g.saturation == 1.0 and g.tone == (1.0, 1.0, 1.0):
        return graded
    s, w = g.saturation, LUMA_WEIGHTS
    matrix = [[((1 - s) * w[c] + (s if r == c else 0)) * g.tone[r] for c in range(3)] for r in range(3)]
    return graded.recomb(matrix)


@register("art")
def art(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_art:<filter>` with a filter name from `FILTERS`."""
    name = effect.args[0] if effect.args else ""
    if name not in FILTERS:
        raise UrlError(f"Invalid value for e_art: {name or '(missing filter)'}")
    rgb, alpha = split_alpha(image)
    return join_alpha(grade(rgb, FILTERS[name]), alpha)
