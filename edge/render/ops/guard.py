"""Guard step: refuse, with a clear 400, what the pipeline does not render yet.  (The size
check after the last step, 413, is `edge.render.pipeline.check_size`.)"""

from __future__ import annotations

from ..context import Context
from ..errors import RenderError

__all__ = ["UNSUPPORTED", "guard"]

#: parameter key -> feature name; the step that implements a feature removes its key.
UNSUPPORTED: dict[str, str] = {
    "fn": "Custom functions (fn_)",
    "bl": "Baseline transformations (bl_)",
}


def guard(ctx: Context) -> None:
    """Raise RenderError 400 "<feature> not supported yet" for a key in `UNSUPPORTED`.
    (`l_`/`u_`, `if_`, `$x` and `t_` never reach the steps: chain.py consumes them.)"""
    for param in ctx.component:
        if param.key in UNSUPPORTED:
            raise RenderError(f"{UNSUPPORTED[param.key]} not supported yet")
