"""Pixelation: `e_pixelate` and `e_pixelate_region` (block averages).

A block of `n x n` px becomes its mean colour: libvips `shrink` (box average) then `zoom`
(pixel replication), both exact integer operations.  `auto` block size: 1/40 of the region's
longer side, at least 2 px (Edge's choice; Cloudinary does not document its automatic size).
"""

from __future__ import annotations

import math

import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import to_uchar
from edge.render.effects._regions import apply_in_boxes, region_boxes
from edge.render.effects.args import integer
from edge.url.ast import Effect

__all__ = ["pixelate_image", "auto_block", "block_size", "pixelate", "pixelate_region"]


def auto_block(width: int, height: int) -> int:
    """The automatic block size in px for a `width` x `height` region."""
    return max(2, round(max(width, height) / 40))


def pixelate_image(image: pyvips.Image, block: int | None) -> pyvips.Image:
    """`image` pixelated in `block`-px squares (auto when None); same size, bands, format."""
    w, h = image.width, image.height
    n = block or auto_block(w, h)
    n = max(1, min(n, w, h))
    if n == 1:
        return image
    # Pad to a multiple of n (edge pixels repeated) so every block averages real pixels only.
    pw, ph = math.ceil(w / n) * n, math.ceil(h / n) * n
    padded = image.embed(0, 0, pw, ph, extend="copy") if (pw, ph) != (w, h) else image
    small = padded.shrink(n, n)
    big = to_uchar(small).zoom(n, n)
    return big.crop(0, 0, w, h).copy(interpretation=image.interpretation)


def block_size(effect: Effect) -> int | None:
    """The block size (px, 1..200) the effect's first argument asks for; None for `auto` or
    no argument.  Raises UrlError for anything else."""
    if not effect.args or effect.args[0] in ("", "auto"):
        return None
    return integer(effect, 0, 0, 1, 200)


@register("pixelate")
def pixelate(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_pixelate[:<1..200>]` (auto): pixelate the whole image in squares of that many px."""
    return pixelate_image(image, block_size(effect))


@register("pixelate_region")
def pixelate_region(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_pixelate_region[:<1..200>]` (auto) inside the component's region(s) (`x,y,w,h`,
    `g_ocr_text`, `g_faces`; the whole image without any)."""
    block = block_size(effect)
    boxes = region_boxes(image, ctx.component, ctx.focus)
    return apply_in_boxes(image, boxes, lambda crop: pixelate_image(crop, block))
