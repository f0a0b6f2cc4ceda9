"""Layer composition: where a layer goes (`place`) and how it merges with the base
(`composite`).

Images are `pyvips.Image` sRGB `uchar`, 3 bands or 4 with alpha last.  Blend modes are the
libvips/PDF separable blend modes (`over`, `multiply`, `screen`, `overlay`, as in the PDF 1.7
reference §11.3.5, which `vips_composite` implements), plus Cloudinary's two alpha
operations:

* `mask`: the base is kept only where the layer is opaque (result alpha = base alpha x layer
  alpha; outside the layer the result is transparent);
* `cut_out`: the base is removed where the layer is opaque (result alpha = base alpha x
  (1 - layer alpha); outside the layer the base is unchanged).
"""

from __future__ import annotations

import math

import pyvips

from edge.render.errors import RenderError
from edge.url.gravity import COMPASS

__all__ = ["MODES", "place", "composite"]

MODES = frozenset({"over", "multiply", "screen", "overlay", "mask", "cut_out"})


def place(base_size: tuple[int, int], layer_size: tuple[int, int], gravity_compass: str | None, x: int, y: int) -> tuple[int, int]:
    """Top-left `(left, top)` in base px of a `layer_size` layer placed on a `base_size` base
    (both `(width, height)` px) with a compass gravity and `x`, `y` offsets in px.

    Cloudinary's rule: offsets push the layer *away from* its anchor edge, so for the `*_east`
    gravities a positive x moves it left, for `south*` a positive y moves it up; for `center`
    (and the centred axis of north/south/east/west) positive x/y move it right/down.  Centring
    floors `(base - layer) / 2`.  `None` means `center`.  Raises RenderError for another name.
    """
    compass = gravity_compass or "center"
    if compass not in COMPASS:
        raise RenderError(f"Unsupported gravity for a layer: g_{compass}")
    left = _along(base_size[0], layer_size[0], x, near=compass.endswith("west"), far=compass.endswith("east"))
    top = _along(base_size[1], layer_size[1], y, near=compass.startswith("north"), far=compass.startswith("south"))
    return left, top


def _along(base: int, size: int, offset: int, *, near: bool, far: bool) -> int:
    """Position (px) on one axis: from the near edge, from the far edge (offset measured
    inwards, as Cloudinary does for east/south), or centred; `offset` added either way."""
    if near:
        return int(offset)
    if far:
        return int(base - size - offset)
    return int((base - size) // 2 + offset)


def _srgb(image: pyvips.Image) -> pyvips.Image:
    return image.copy(interpretation="srgb")


def _rgba(image: pyvips.Image) -> pyvips.Image:
    if image.bands == 4:
        return _srgb(image)
    if image.bands == 3:
        return _srgb(image.bandjoin(255))
    if image.bands == 2:
        g = image.extract_band(0)
        return _srgb(g.bandjoin([g, g, image.extract_band(1)]))
    return _srgb(image.bandjoin([image, image, 255]))


def _tile(layer: pyvips.Image, width: int, height: int, left: int, top: int) -> pyvips.Image:
    """`layer` repeated over a `width` x `height` canvas, with one tile's corner at (left, top)."""
    lw, lh = layer.width, layer.height
    ox, oy = left % lw, top % lh
    across = math.ceil((width + ox) / lw) + 1
    down = math.ceil((height + oy) / lh) + 1
    big = layer.replicate(across, down)
    sx, sy = (lw - ox) % lw, (lh - oy) % lh
    return big.crop(sx, sy, width, height)


def _layer_alpha_on_canvas(layer: pyvips.Image, width: int, height: int, left: int, top: int) -> pyvips.Image:
    """The layer's alpha (0..1 float) positioned on a base-sized canvas, 0 outside it."""
    alpha = _rgba(layer).extract_band(3)
    return alpha.embed(left, top, width, height, background=[0]).cast("float") / 255.0


def composite(
    base: pyvips.Image,
    layer: pyvips.Image,
    x: int,
    y: int,
    mode: str = "over",
    tiled: bool = False,
) -> pyvips.Image:
    """Composite `layer` onto `base` with its top-left corner at (`x`, `y`) base px.

    The result has the base's size; it has an alpha band when the base has one or the mode is
    `mask`/`cut_out` (over an opaque base the other modes stay opaque).  With `tiled` the
    layer is repeated over the whole base, the tile grid anchored at (x, y).  Raises
    RenderError for an unknown `mode`.
    """
    if mode not in MODES:
        raise RenderError(f"Unsupported layer blend mode: e_{mode}")
    w, h = base.width, base.height
    base_has_alpha = base.bands in (2, 4)
    if tiled:
        layer, x, y = _tile(_rgba(layer), w, h, x, y), 0, 0
    if mode in ("mask", "cut_out"):
        la = _layer_alpha_on_canvas(layer, w, h, x, y)
        b = _rgba(base)
        ba = b.extract_band(3).cast("float")
        alpha = ba * la if mode == "mask" else ba * (1.0 - la)
        return _srgb(b.extract_band(0, n=3).bandjoin((alpha + 0.5).cast("uchar")))
    out = _rgba(base).composite2(_rgba(layer), mode, x=x, y=y, compositing_space="srgb")
    out = (out + 0.5).cast("uchar") if out.format != "uchar" else out
    if not base_has_alpha:
        out = out.extract_band(0, n=3)
    return _srgb(out)
