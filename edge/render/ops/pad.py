"""Pad step: place the cropped image on the plan's canvas, filled with the `b_` colour."""

from __future__ import annotations

from .background import background_rgba
from ..frames import map_frames
from ..context import Context

__all__ = ["pad"]


def pad(ctx: Context) -> None:
    """Embed every frame at `ctx.plan.offset` on a `ctx.plan.canvas` canvas; the fill is the
    component's `b_` (colour or `b_auto`), white by default, transparent for alpha images.
    An alpha band is added when the fill is not opaque."""
    plan = ctx.plan
    if plan is None or not plan.pads:
        return
    image = ctx.image
    rgba = background_rgba(ctx.component.get("b"), image, image.hasalpha())
    if rgba[3] < 255 and not image.hasalpha():
        image = image.bandjoin(255)
    fill = list(rgba) if image.hasalpha() else list(rgba[:3])
    cw, ch = plan.canvas
    ox, oy = plan.offset
    ctx.image = map_frames(image, lambda f: f.embed(ox, oy, cw, ch, extend="background", background=fill))
