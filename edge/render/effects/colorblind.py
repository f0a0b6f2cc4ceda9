"""Colour-vision effects: `e_simulate_colorblind` and `e_assist_colorblind`.

* simulate_colorblind[:<condition>] (deuteranopia): the Machado, Oliveira & Fernandes (2009)
  "A Physiologically-based Model for Simulation of Color Vision Deficiency" matrices
  (severity 1.0 for -opia, 0.6 for -omaly) applied in linear RGB (libvips scRGB);
  rod_monochromacy = luminance only; cone_monochromacy = luminance with 10 % colour kept.
* assist_colorblind[:<1..100>|xray] (10): numeric = diagonal stripes over reddish (a* > 15,
  "/" stripes) and greenish (a* < -15, "\\" stripes) areas so red and green differ in texture;
  the stripes darken by 20 % + 60 % * level/100.  `xray` = Daltonisation (Fidaner, Lin &
  Ozguven 2005): the error a deuteranope cannot see is moved into channels they can.
"""

from __future__ import annotations

import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import join_alpha, split_alpha
from edge.render.effects.args import Choice, number
from edge.url.ast import Effect

__all__ = ["MACHADO", "CONDITIONS", "simulate", "simulate_colorblind", "assist_colorblind"]

MACHADO: dict[str, list[list[float]]] = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
    "protanomaly": [[0.385450, 0.769005, -0.154455], [0.100526, 0.829802, 0.069673], [-0.007442, -0.022190, 1.029632]],
    "deuteranomaly": [[0.498864, 0.674741, -0.173604], [0.205199, 0.754872, 0.039929], [-0.011131, 0.030969, 0.980162]],
    "tritanomaly": [[1.104996, -0.046633, -0.058363], [-0.032137, 0.971635, 0.060503], [0.001336, 0.317922, 0.680742]],
}
_Y = [0.2126, 0.7152, 0.0722]  # Rec.709 luminance of linear RGB
CONDITIONS = frozenset(MACHADO) | {"rod_monochromacy", "cone_monochromacy"}


def simulate(rgb: pyvips.Image, condition: str) -> pyvips.Image:
    """How `rgb` (sRGB, 3 bands) looks with `condition`; float sRGB out."""
    lin = rgb.copy(interpretation="srgb").colourspace("scrgb")
    if condition in MACHADO:
        out = lin.recomb(MACHADO[condition])
    else:
        y = lin.recomb([_Y, _Y, _Y])
        out = y if condition == "rod_monochromacy" else y * 0.9 + lin * 0.1
    return out.copy(interpretation="scrgb").colourspace("srgb")


@register("simulate_colorblind", args=(Choice("condition", "deuteranopia", CONDITIONS),))
def simulate_colorblind(image: pyvips.Image, effect: Effect, ctx: EffectContext, *, condition: str) -> pyvips.Image:
    """`e_simulate_colorblind[:<condition>]` (deuteranopia)."""
    rgb, alpha = split_alpha(image)
    return join_alpha(simulate(rgb, condition), alpha)


@register("assist_colorblind")
def assist_colorblind(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_assist_colorblind[:<1..100>|xray]` (10)."""
    rgb, alpha = split_alpha(image)
    if effect.args and effect.args[0] == "xray":
        f = rgb.cast("float")
        err = f - simulate(rgb, "deuteranopia")
        shift = err.recomb([[0, 0, 0], [0.7, 1, 0], [0.7, 0, 1]])
        return join_alpha(f + shift, alpha)
    level = number(effect, 0, 10, 1, 100)
    darken = 0.2 + 0.6 * level / 100
    a = rgb.copy(interpretation="srgb").colourspace("lab").extract_band(1)
    xy = pyvips.Image.xyz(rgb.width, rgb.height)
    x, y = xy.extract_band(0), xy.extract_band(1)
    period = max(4, round(min(rgb.width, rgb.height) / 60))
    fwd = (((x + y) / period).floor() % 2) == 0
    back = (((x - y + 100000) / period).floor() % 2) == 0
    stripe = ((a > 15) & fwd) | ((a < -15) & back)
    out = stripe.ifthenelse(rgb * (1 - darken), rgb)
    return join_alpha(out, alpha)
