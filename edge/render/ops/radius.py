"""Radius step: `r_<n>`, `r_max`, `r_<tl>:<tr>[:<br>[:<bl>]]` round the corners (alpha)."""

from __future__ import annotations

import pyvips

from .. import spec
from ..errors import RenderError
from ..frames import frame_height, map_frames
from ..context import Context

__all__ = ["corner_radii", "rounded_mask", "radius"]


def corner_radii(value) -> tuple[float, float, float, float] | None:
    """Radii (px) of the top-left, top-right, bottom-right, bottom-left corners, CSS order:
    1 value = all, 2 = tl/br and tr/bl, 3 = tl, tr/bl, br, 4 = each.  None for `max`."""
    text = spec.text(value)
    if text == "max":
        return None
    parts = list(value) if isinstance(value, (tuple, list)) else (text.split(":") if isinstance(value, str) else [value])
    nums = [spec.number(p, "r") for p in parts]
    if not nums or any(n is None or n < 0 for n in nums):
        raise RenderError(f"Invalid value for r: {text}")
    if len(nums) == 1:
        a = nums[0]
        return (a, a, a, a)
    if len(nums) == 2:
        return (nums[0], nums[1], nums[0], nums[1])
    if len(nums) == 3:
        return (nums[0], nums[1], nums[2], nums[1])
    return (nums[0], nums[1], nums[2], nums[3])


def rounded_mask(width: int, height: int, radii: tuple[float, float, float, float] | None) -> pyvips.Image:
    """A 1-band uchar mask (255 inside) of a `width x height` rounded rectangle, rasterised
    anti-aliased by librsvg; `radii=None` is an ellipse (`r_max`)."""
    if radii is None:
        shape = f'<ellipse cx="{width / 2}" cy="{height / 2}" rx="{width / 2}" ry="{height / 2}" fill="#fff"/>'
    else:
        lim = min(width, height) / 2
        tl, tr, br, bl = (min(r, lim) for r in radii)
        w, h = width, height
        shape = (
            f'<path fill="#fff" d="M{tl},0 H{w - tr} A{tr},{tr} 0 0 1 {w},{tr} V{h - br} '
            f'A{br},{br} 0 0 1 {w - br},{h} H{bl} A{bl},{bl} 0 0 1 0,{h - bl} V{tl} '
            f'A{tl},{tl} 0 0 1 {tl},0 Z"/>'
        )
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">{shape}</svg>'
    mask = pyvips.Image.svgload_buffer(svg.encode())
    return mask[3]


def radius(ctx: Context) -> None:
    """Make the corners outside the rounded rectangle transparent (alpha multiplied by the
    mask, rasterised once for all frames); JPEG output later flattens them onto the
    background (white by default)."""
    value = ctx.component.get("r")
    if value is None:
        return
    radii = corner_radii(value)
    if radii is not None and max(radii) == 0:
        return

    mask = rounded_mask(ctx.image.width, frame_height(ctx.image), radii)  # every frame's size

    def apply(frame: pyvips.Image) -> pyvips.Image:
        if frame.hasalpha():
            alpha = (frame[3] * (mask / 255.0)).cast("uchar")
            return frame.extract_band(0, n=3).bandjoin(alpha).copy(interpretation="srgb")
        return frame.bandjoin(mask).copy(interpretation="srgb")

    ctx.image = map_frames(ctx.image, apply)
