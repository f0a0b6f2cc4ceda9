"""Effects step: run the component's `e_` through the effect registry."""

from __future__ import annotations

from edge.url.ast import Effect

from ..cost import WEIGHTS, charge, settle
from ..effects import EffectContext, lookup
from ..errors import RenderError
from ..layers import BLEND_MODES as _LAYER_BLEND_MODES
from .frames import map_frames

__all__ = ["BLEND_MODES", "effects"]

#: `e_` names that are layer blend-mode qualifiers, not effects (applied by the layer step;
#: `anti_removal` is the overlay watermark mode Edge accepts but does not distort).
BLEND_MODES = _LAYER_BLEND_MODES | {"anti_removal"}


def _effects_of(component) -> list[Effect]:
    values = [p.value for p in component if p.key == "e"]
    return [v for v in values if isinstance(v, Effect)]


def effects(ctx) -> None:
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
    charge(ctx, ctx.image, WEIGHTS.get(effect.name, 1))  # refused past the budget before it is built
    settle(ctx)  # an earlier costly operation still lazy: compute it first
    ectx = EffectContext(component=ctx.component, focus=ctx.focus_for(ctx.image), variables=ctx.variables or None)
    if getattr(fn, "whole_animation", False):
        ctx.image = fn(ctx.image, effect, ectx)
    else:
        ctx.image = map_frames(ctx.image, lambda f: fn(f, effect, ectx))
