"""Face effects: `e_pixelate_faces[:<1..200>]` and `e_blur_faces[:<1..2000>]`.

Faces come from the `FocusProvider` (``faces``); each face box is grown by `PAD` of its size on
every side (detector boxes hug the eyes-to-chin area; hair and ears should be hidden too, Edge's
choice), clipped to the image, then pixelated / blurred in place with the same operations as
`e_pixelate` and `e_blur` (block size auto = 1/8 of the face box's longer side, at least 3 px,
so a face is about 8 blocks across and unrecognisable, Edge's choice; blur sigma = strength /
20 px, default strength 500).  No provider or no face: the image is returned
unchanged.
"""

from __future__ import annotations

from typing import Any

import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._regions import apply_in_boxes, grow_box
from edge.render.effects.blur import gaussian, strength_sigma
from edge.render.effects.pixelate import block_size, pixelate_image
from edge.url.ast import Effect

__all__ = ["face_boxes", "pixelate_faces", "blur_faces", "PAD", "AUTO_BLOCKS"]

PAD = 0.15
AUTO_BLOCKS = 8  # blocks across a face with the automatic block size


def face_boxes(image: pyvips.Image, focus: Any) -> list[tuple[int, int, int, int]]:
    """Padded, clipped face boxes `(x, y, w, h)` px of `image` (empty without a provider)."""
    if focus is None:
        return []
    grown = (grow_box(r.box, PAD, image.width, image.height) for r in focus.find(image, "faces"))
    return [b for b in grown if b is not None]


@register("pixelate_faces")
def pixelate_faces(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_pixelate_faces[:<1..200>]` (auto): pixelate every detected face in squares of that
    many px."""
    block = block_size(effect)
    boxes = face_boxes(image, ctx.focus)
    return apply_in_boxes(
        image, boxes,
        lambda crop: pixelate_image(crop, block or max(3, round(max(crop.width, crop.height) / AUTO_BLOCKS))))


@register("blur_faces")
def blur_faces(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_blur_faces[:<1..2000>]` (500): Gaussian-blur every detected face (sigma =
    strength / 20 px)."""
    sigma = strength_sigma(effect, 500)
    boxes = face_boxes(image, ctx.focus)
    return apply_in_boxes(image, boxes, lambda crop: gaussian(crop, sigma))
