"""Effects Edge recognises but does not run: generative-AI effects (they need large
generative models that Edge does not run offline) and add-ons Edge does not implement.

Each raises `RenderError` (HTTP 400) with a message saying why, so a client learns that the
URL is well-formed but not served by Edge, instead of a generic "unknown effect".
"""

from __future__ import annotations

from edge.render.effects import EffectContext, register
from edge.render.errors import RenderError
from edge.url.ast import Effect

__all__ = ["GENERATIVE", "NOT_IMPLEMENTED", "generative", "not_implemented"]

GENERATIVE = (
    "gen_remove",
    "gen_replace",
    "gen_recolor",
    "gen_background_replace",
    "gen_restore",
    "gen_fill",
    "gen_expand",
    "upscale",
    "enhance",
    "auto_enhance",
)
"""AI effects that need a generative or super-resolution model."""

NOT_IMPLEMENTED = ("vectorize", "theme", "viesus_correct", "light", "camera")
"""Add-ons and 3D/special effects Edge does not implement."""


@register(*GENERATIVE)
def generative(image, effect: Effect, ctx: EffectContext):
    """Always raises RenderError(400): e_<name> needs generative AI."""
    raise RenderError(f"e_{effect.name} needs generative AI, which Edge does not run offline")


@register(*NOT_IMPLEMENTED)
def not_implemented(image, effect: Effect, ctx: EffectContext):
    """Always raises RenderError(400): the add-on is not part of Edge."""
    raise RenderError(f"e_{effect.name} is an add-on Edge does not implement")
