"""Guards around every component: refuse, with a clear 400, what the pipeline does not render
yet, and refuse (413) a result larger than the limits allow."""

from __future__ import annotations

from ..errors import LimitError, RenderError
from .frames import frame_height

__all__ = ["UNSUPPORTED", "guard", "check_size"]

#: parameter key -> feature name; the step that implements a feature removes its key.
UNSUPPORTED: dict[str, str] = {
    "fn": "Custom functions (fn_)",
    "bl": "Baseline transformations (bl_)",
}


def guard(ctx) -> None:
    """Raise RenderError 400 "<feature> not supported yet" for a key in `UNSUPPORTED`.
    (`l_`/`u_`, `if_`, `$x` and `t_` never reach the steps: chain.py consumes them.)"""
    for param in ctx.component:
        if param.key in UNSUPPORTED:
            raise RenderError(f"{UNSUPPORTED[param.key]} not supported yet")


def check_size(ctx) -> None:
    """LimitError (413) when the component's result (still lazy, nothing computed yet) has a
    side longer than `limits.max_output_side` (e.g. a huge `bo_` or `r_` on a big image)."""
    side = max(ctx.image.width, frame_height(ctx.image))
    if side > ctx.limits.max_output_side:
        raise LimitError(f"Output too large: {side} px (max {ctx.limits.max_output_side})")
