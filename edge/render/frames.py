"""Apply a per-frame operation to still and animated images alike."""

from __future__ import annotations

from typing import Callable

import pyvips

__all__ = ["frame_height", "map_frames"]


def frame_height(image: pyvips.Image) -> int:
    """Height (px) of one frame: `page-height` for stacked animations, else the height."""
    if image.get_typeof("page-height"):
        ph = image.get("page-height")
        if 0 < ph < image.height and image.height % ph == 0:
            return ph
    return image.height


def map_frames(image: pyvips.Image, fn: Callable[[pyvips.Image], pyvips.Image]) -> pyvips.Image:
    """`fn` applied to every frame of `image`; frames are re-stacked vertically and
    `page-height` updated.  A frame that comes out another size than the first (a per-frame
    `e_trim`, say) is centred on the first frame's canvas (cropped or padded with
    transparent/black), so the animation keeps one frame size."""
    ph = frame_height(image)
    if ph == image.height:
        return fn(image)
    frames = [fn(image.crop(0, y, image.width, ph)) for y in range(0, image.height, ph)]
    size = (frames[0].width, frames[0].height)
    frames = [f if (f.width, f.height) == size else f.gravity("centre", *size, extend="background") for f in frames]
    out = pyvips.Image.arrayjoin(frames, across=1)
    out = out.copy()
    out.set_type(pyvips.GValue.gint_type, "page-height", frames[0].height)
    return out
