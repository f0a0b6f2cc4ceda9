"""Border step: `bo_<n>px_solid_<color>` adds a solid frame of n px on every side."""

from __future__ import annotations

from edge.url.ast import Border

from ..errors import LimitError, RenderError
from ..frames import map_frames
from ..context import Context

__all__ = ["border"]


def border(ctx: Context) -> None:
    """Grow every frame by `width` px per side, filled with the border colour (an alpha band
    is added for a translucent colour, or kept when the image has one)."""
    value = ctx.component.get("bo")
    if value is None:
        return
    if not isinstance(value, Border):
        raise RenderError(f"Invalid value for bo: {value}")
    n = int(value.width)
    if n <= 0:
        return
    if n > ctx.inputs.limits.max_output_side:  # before pyvips: a huge width would overflow its int
        raise LimitError(f"Border too wide: {n} px (max {ctx.inputs.limits.max_output_side})")
    c = value.color
    image = ctx.image
    if c.a < 255 and not image.hasalpha():
        image = image.bandjoin(255)
    fill = [c.r, c.g, c.b, c.a] if image.hasalpha() else [c.r, c.g, c.b]
    ctx.image = map_frames(
        image,
        lambda f: f.embed(n, n, f.width + 2 * n, f.height + 2 * n, extend="background", background=fill),
    )
