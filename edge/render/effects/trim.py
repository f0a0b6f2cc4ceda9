"""`e_trim[:<tolerance 0..100>][:<color>]` (10, the top-left corner's colour).

Crops away borders that match the background colour, with libvips `find_trim` (which
median-filters before comparing, so JPEG noise does not stop the trim).  Tolerance maps to
find_trim's threshold as tolerance% of 255.  With an alpha band and no colour, fully transparent
borders are trimmed.  An image that is all background is returned unchanged.
"""

from __future__ import annotations

import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import split_alpha
from edge.render.effects.args import number, parse_color
from edge.url.ast import Effect

__all__ = ["trim_box", "trim"]


_COARSE_SIDE = 1024
"""Images longer than this are trimmed in two passes: a coarse box on a thumbnail, then each
edge refined at full resolution on a thin strip around it."""


def _find(image: pyvips.Image, threshold: float, background: list[float]) -> tuple[int, int, int, int]:
    return tuple(image.find_trim(threshold=threshold, background=background))  # type: ignore[return-value]


def _refined(image: pyvips.Image, threshold: float, background: list[float]) -> tuple[int, int, int, int]:
    """`find_trim` on a big image: coarse box on a thumbnail, then exact edges from strips."""
    w, h = image.width, image.height
    scale = _COARSE_SIDE / max(w, h)
    small = image.resize(scale, kernel="linear")
    left, top, bw, bh = _find(small, threshold, background)
    if bw <= 0 or bh <= 0:
        return (0, 0, 0, 0)
    m = int(2 / scale) + 4  # margin: the coarse box is off by at most ~1/scale px
    x0, y0 = max(0, int(left / scale) - m), max(0, int(top / scale) - m)
    x1, y1 = min(w, int((left + bw) / scale) + m), min(h, int((top + bh) / scale) + m)
    sw, sh = min(2 * m, x1 - x0), min(2 * m, y1 - y0)
    lx, _, lw, _ = _find(image.crop(x0, y0, sw, y1 - y0), threshold, background)
    rx, _, rw, _ = _find(image.crop(x1 - sw, y0, sw, y1 - y0), threshold, background)
    _, ty, _, th = _find(image.crop(x0, y0, x1 - x0, sh), threshold, background)
    _, by, _, bh2 = _find(image.crop(x0, y1 - sh, x1 - x0, sh), threshold, background)
    new_left = x0 + lx if lw > 0 else x0
    new_right = x1 - sw + rx + rw if rw > 0 else x1
    new_top = y0 + ty if th > 0 else y0
    new_bottom = y1 - sh + by + bh2 if bh2 > 0 else y1
    return (new_left, new_top, max(0, new_right - new_left), max(0, new_bottom - new_top))


def trim_box(image: pyvips.Image, tolerance: float, color: tuple[int, int, int] | None) -> tuple[int, int, int, int]:
    """The `(x, y, w, h)` box of `image` that is not background (w == 0 if all background)."""
    rgb, alpha = split_alpha(image)
    threshold = max(tolerance * 255 / 100, 0.5)
    if alpha is not None and color is None:
        target, threshold, bg = alpha, 0.5, [0.0]  # any coverage is content
    else:
        if alpha is not None:
            rgb = image.flatten(background=list(color or (255, 255, 255)))
        target = rgb
        bg = [float(v) for v in (color if color is not None else rgb.getpoint(0, 0)[:3])]
    if max(image.width, image.height) > _COARSE_SIDE * 1.5:
        return _refined(target, threshold, bg)
    return _find(target, threshold, bg)


@register("trim")
def trim(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """Trim background-coloured borders (see the module docstring)."""
    tolerance = number(effect, 0, 10, 0, 100)
    color = None
    if len(effect.args) > 1 and effect.args[1]:
        color = parse_color(effect, effect.args[1])[:3]
    if image.width < 3 or image.height < 3:
        return image  # too small for find_trim's 3x3 median: nothing to trim
    left, top, width, height = trim_box(image, tolerance, color)
    if width <= 0 or height <= 0:
        return image
    return image.crop(left, top, width, height)
