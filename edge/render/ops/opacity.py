"""Opacity step: `o_<0..100>` scales the alpha band."""

from __future__ import annotations

from .. import spec
from ..errors import RenderError
from ..context import Context

__all__ = ["opacity"]


def opacity(ctx: Context) -> None:
    """Multiply alpha by `o/100` (adding an opaque alpha band first when missing)."""
    value = ctx.component.get("o")
    if value is None:
        return
    o = spec.number(value, "o")
    if o is None or not 0 <= o <= 100:
        raise RenderError(f"Invalid value for o: {spec.text(value)}")
    if o >= 100:
        return
    image = ctx.image if ctx.image.hasalpha() else ctx.image.bandjoin(255)
    rgb = image.extract_band(0, n=3)
    alpha = (image[3] * (o / 100.0)).cast("uchar")
    ctx.image = rgb.bandjoin(alpha).copy(interpretation="srgb")
