"""Pixel conventions of the effect modules: sRGB `uchar`, 3 bands or 4 with alpha last (the
registry contract).  Split and re-attach alpha, cast back to uchar, blend by an amount,
build colour layers, and the size limit an effect may grow an image to.
"""

from __future__ import annotations

from typing import Sequence

import pyvips

from edge.render.errors import LimitError
from edge.render.limits import Limits

__all__ = ["MAX_SIDE", "check_side", "split_alpha", "join_alpha", "to_uchar", "mix", "alpha_of", "with_alpha", "clip01", "color_layer"]


MAX_SIDE = Limits().max_output_side

def check_side(width: float, height: float, name: str) -> None:
    """Raise LimitError (413) when an effect's output would exceed `MAX_SIDE` px on a side."""
    if width > MAX_SIDE or height > MAX_SIDE:
        raise LimitError(f"e_{name} output {width:.0f}x{height:.0f} px exceeds the limit of {MAX_SIDE} px per side")

def split_alpha(image: pyvips.Image) -> tuple[pyvips.Image, pyvips.Image | None]:
    """`(rgb, alpha)` of an sRGB image; `alpha` is None for a 3-band image."""
    if image.bands == 4:
        return image.extract_band(0, n=3), image.extract_band(3)
    if image.bands == 2:  # grey + alpha (defensive: the pipeline normally sends sRGB)
        grey = image.extract_band(0)
        return grey.bandjoin([grey, grey]), image.extract_band(1)
    if image.bands == 1:
        return image.bandjoin([image, image]), None
    return image, None

def join_alpha(rgb: pyvips.Image, alpha: pyvips.Image | None) -> pyvips.Image:
    """Re-attach `alpha` (if any) to an RGB image, both cast to uchar, sRGB interpretation."""
    rgb = to_uchar(rgb)
    out = rgb if alpha is None else rgb.bandjoin(to_uchar(alpha))
    return out.copy(interpretation="srgb")

def to_uchar(image: pyvips.Image) -> pyvips.Image:
    """Round to nearest and clamp to 0..255 as `uchar` (libvips' cast clips); no-op for uchar."""
    if image.format == "uchar":
        return image
    return (image + 0.5).cast("uchar")

def mix(original: pyvips.Image, processed: pyvips.Image, amount: float) -> pyvips.Image:
    """`original * (1 - amount) + processed * amount`, amount a ratio 0..1 (float image out)."""
    if amount >= 1.0:
        return processed
    if amount <= 0.0:
        return original
    return original * (1.0 - amount) + processed * amount

def alpha_of(image: pyvips.Image) -> pyvips.Image:
    """The alpha band of `image`, or an opaque (255) uchar band when it has none."""
    _, alpha = split_alpha(image)
    if alpha is None:
        return (image.extract_band(0) * 0 + 255).cast("uchar")
    return alpha

def with_alpha(image: pyvips.Image) -> pyvips.Image:
    """`image` with an alpha band (opaque 255 added if it had none), 4-band uchar sRGB."""
    rgb, alpha = split_alpha(image)
    return join_alpha(rgb, alpha if alpha is not None else alpha_of(image))

def clip01(image: pyvips.Image) -> pyvips.Image:
    """Clamp a float image to 0..1."""
    return (image < 0).ifthenelse(0, (image > 1).ifthenelse(1, image))

def color_layer(coverage: pyvips.Image, rgba: Sequence[int]) -> pyvips.Image:
    """A 4-band sRGB uchar layer of colour `rgba` (0..255) the size of `coverage` (one-band
    float, 0..1), whose alpha is `coverage` times the colour's own alpha."""
    rgb = (pyvips.Image.black(coverage.width, coverage.height, bands=3) + list(rgba[:3])).cast("uchar")
    return rgb.bandjoin(to_uchar(coverage * rgba[3])).copy(interpretation="srgb")
