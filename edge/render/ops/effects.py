"""Effects step: run the component's `e_` through the effect registry."""

from __future__ import annotations

from edge.url.ast import Component, Effect

from ..cost import BLEND_MODES, WEIGHTS
from ..effects import EffectContext, lookup
from ..errors import RenderError
from ..frames import map_frames
from ..context import Context

__all__ = ["BLEND_MODES", "effects"]


def _effects_of(component: Component) -> list[Effect]:
    values = [p.value for p in component if p.key == "e"]
    return [v for v in values if isinstance(v, Effect)]


def effects(ctx: Context) -> None:
    """Apply the component's effect (only the last `e_` counts, as in Cloudinary) to every
    frame.  Blend modes are skipped.  Raises RenderError 400 "Unsupported effect: <name>" for a
    name the registry does not know."""
    found = _effects_of(ctx.component)
    if not found:
        return
    effect = found[-1]
    if effect.name in BLEND_MODES:
        return
    fn = lookup(effect.name)
    if fn is None:
        raise RenderError(f"Unsupported effect: {effect.name}")
    ctx.charge(ctx.image, WEIGHTS.get(effect.name, 1))  # refused past the budget before it is built
    ctx.settle()  # an earlier costly operation still lazy: compute it first
    ectx = EffectContext(component=ctx.component, focus=ctx.focus_for(ctx.image), variables=ctx.variables or None)
    if fn.whole_animation:  # set by `register` on every effect
        ctx.image = fn(ctx.image, effect, ectx)
    else:
        ctx.image = map_frames(ctx.image, lambda f: fn(f, effect, ectx))
