"""`e_morphology[:method_<m>][;iterations_<1..5>][;kernel_<k>][;radius_<r>]`
(erode, 1, disk, 2.0).

Grey-level morphology on every band: erode = minimum, dilate = maximum over the structuring
element, `open` = erode then dilate, `close` = dilate then erode, `convolve` = mean over the
element (a flat blur, libvips `conv`).  Min/max use libvips `bandrank` over shifted copies of the image (one
per element offset; edges repeat), so no Python loop touches pixels.  Kernels: disk, square,
diamond, plus, octagon (ImageMagick's shapes), radius 0.5..10 px.
"""

from __future__ import annotations

import functools

import numpy as np
import pyvips

from edge.render.deadline import guard
from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import join_alpha, split_alpha, to_uchar
from edge.render.effects.args import option_number
from edge.url.ast import Effect
from edge.url.errors import UrlError

__all__ = ["METHODS", "KERNELS", "structuring_element", "morph", "morphology"]

METHODS = frozenset({"erode", "dilate", "open", "close", "convolve"})
KERNELS = frozenset({"disk", "square", "diamond", "plus", "octagon"})


@functools.lru_cache(maxsize=64)
def structuring_element(kernel: str, radius: float) -> tuple[tuple[int, int], ...]:
    """The `(dx, dy)` offsets of a `kernel` of `radius` px (always includes (0, 0))."""
    r = int(radius)
    c = np.arange(-r, r + 1)
    x, y = np.meshgrid(c, c)
    if kernel == "disk":
        m = x * x + y * y <= radius * radius
    elif kernel == "square":
        m = np.ones_like(x, dtype=bool)
    elif kernel == "diamond":
        m = np.abs(x) + np.abs(y) <= radius
    elif kernel == "plus":
        m = (x == 0) | (y == 0)
    else:  # octagon: a square with its corners cut at 45°
        m = np.abs(x) + np.abs(y) <= radius * 1.5
    return tuple((int(dx), int(dy)) for dx, dy in zip(x[m], y[m]))


def _shifted(image: pyvips.Image, offsets: tuple[tuple[int, int], ...]) -> list[pyvips.Image]:
    r = max(max(abs(dx), abs(dy)) for dx, dy in offsets)
    w, h = image.width, image.height
    padded = image.embed(r, r, w + 2 * r, h + 2 * r, extend="copy")
    return [padded.crop(r + dx, r + dy, w, h) for dx, dy in offsets]


def morph(image: pyvips.Image, method: str, offsets: tuple[tuple[int, int], ...]) -> pyvips.Image:
    """One pass of `method` (erode|dilate|convolve) with the element `offsets`; uchar out."""
    if len(offsets) <= 1:
        return image
    if method == "convolve":
        r = max(max(abs(dx), abs(dy)) for dx, dy in offsets)
        mask = np.zeros((2 * r + 1, 2 * r + 1))
        for dx, dy in offsets:
            mask[dy + r, dx + r] = 1
        kernel = pyvips.Image.new_from_array(mask.tolist(), scale=float(mask.sum()))
        return to_uchar(image.conv(kernel, precision="float"))
    copies = _shifted(image, offsets)
    index = 0 if method == "erode" else len(copies) - 1
    return copies[0].bandrank(copies[1:], index=index)


@register("morphology")
def morphology(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """Grey morphology on the colour bands (alpha untouched)."""
    method = effect.option("method", "erode")
    if method not in METHODS:
        raise UrlError(f"Invalid value for e_morphology: method_{method}")
    kernel = effect.option("kernel", "disk")
    if kernel not in KERNELS:
        raise UrlError(f"Invalid value for e_morphology: kernel_{kernel}")
    iterations = option_number(effect, "iterations", 1, 1, 5)
    if iterations != int(iterations):
        raise UrlError(f"Invalid value for e_morphology: iterations_{iterations:g}")
    radius = option_number(effect, "radius", 2.0, 0.5, 10)
    offsets = structuring_element(kernel, radius)
    steps = {"open": ["erode", "dilate"], "close": ["dilate", "erode"]}.get(method, [method])
    rgb, alpha = split_alpha(image)
    out = to_uchar(rgb)
    passes = [step for _ in range(int(iterations)) for step in steps]
    for i, step in enumerate(passes):
        out = morph(out, step, offsets)
        if i < len(passes) - 1:
            out = guard(out).copy_memory()  # each pass reads many shifted copies: do not recompute
    return join_alpha(out, alpha)
