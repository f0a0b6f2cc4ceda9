"""Effects Edge recognises but does not run: generative-AI effects (they need large
generative models that Edge does not run offline) and add-ons Edge does not implement.

Each raises `RenderError` (HTTP 400) with a message saying why, so a client learns that the
URL is well-formed but not served by Edge, instead of a generic "unknown effect".
"""

from __future__ import annotations

from edge.render.effects import EffectContext, register
from edge.render.errors import RenderError
from edge.url.ast import Effect

__all__ = ["GENERATIVE", "NOT_IMPLEMENTED", "VIDEO_ONLY", "generative", "not_implemented", "video_only"]

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
    "style_transfer",
)
"""AI effects that need a generative or super-resolution model."""

NOT_IMPLEMENTED = (
    "vectorize", "theme", "viesus_correct", "light", "camera", "redeye", "adv_redeye", "bgremoval",
    "swap_image", "embed_clipping_path", "anti_removal", "displace",
)
"""Add-ons and 3D/special effects Edge does not implement."""

VIDEO_ONLY = (
    "accelerate", "boomerang", "deshake", "fade", "loop", "noise", "preview", "progressbar", "reverse",
    "transition", "volume",
)
"""Video (and animation timeline) effects: Edge renders still images."""


@register(*GENERATIVE, available=False)
def generative(image, effect: Effect, ctx: EffectContext):
    """Always raises RenderError(400): e_<name> needs generative AI."""
    raise RenderError(f"e_{effect.name} is not available in this Edge: it needs generative AI, which Edge does not run offline")


@register(*NOT_IMPLEMENTED, available=False)
def not_implemented(image, effect: Effect, ctx: EffectContext):
    """Always raises RenderError(400): the add-on is not part of Edge."""
    raise RenderError(f"e_{effect.name} is not available in this Edge: an add-on Edge does not implement")


@register(*VIDEO_ONLY, available=False)
def video_only(image, effect: Effect, ctx: EffectContext):
    """Always raises RenderError(400): a video effect, and Edge renders images."""
    raise RenderError(f"e_{effect.name} is not available in this Edge: a video effect, and Edge renders images")
