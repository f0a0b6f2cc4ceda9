"""The render pipeline: a flat, ordered list of small named steps (as imgproxy does).

Every step has the signature ``step(ctx: Context) -> None`` and reads/writes `ctx.image`.
`run_component(ctx, component)` applies every step of `STEPS` whose `needed(ctx)` holds (the
output of one component is the input of the next).  The order inside a component is
Cloudinary's fixed order, whatever the order of the parameters in the URL:

    guard -> load -> plan -> resize -> crop -> pad -> effects -> radius -> border -> rotate
          -> opacity -> check_size

A step is only entered when its component holds the parameters it acts on (or, for resize,
crop and pad, when the plan asks for it), so a plain `c_fill,w_400,h_300` runs load, plan,
resize, crop and check_size and never opens the other step modules.  This module never
calls up: the chain level (edge/render/chain.py: `t_`, `if_`, `$`, layers) calls it, and
`run(ctx, components)` is the whole render of a plain chain (`plain(components)`).
`guard.UNSUPPORTED` lists keys still refused with RenderError 400 "... not supported yet".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import pyvips

from edge.url.ast import Component, Expr

from .context import Context
from .deadline import check
from .errors import LimitError
from .frames import frame_height
from .ops import border, effects, guard, load, opacity, pad, radius, resize, rotate

__all__ = ["Step", "STEPS", "run_component", "run", "plain", "check_size"]


@dataclass(frozen=True, slots=True)
class Step:
    """One named step of a component: `run(ctx)` changes `ctx.image` (or `ctx.plan`), and is
    called only when `needed(ctx)` is True (its absence must be a no-op of `run`)."""

    name: str
    run: Callable[[Context], None]
    needed: Callable[[Context], bool]


def _holds(*keys: str) -> Callable[[Context], bool]:
    """`needed` of a step that acts on the parameters `keys` of the component."""
    wanted = frozenset(keys)
    return lambda ctx: any(p.key in wanted for p in ctx.component.params)


def _always(ctx: Context) -> bool:
    return True


def _planned(ctx: Context) -> bool:
    return ctx.plan is not None


def _pads(ctx: Context) -> bool:
    return ctx.plan is not None and ctx.plan.pads


def check_size(ctx: Context) -> None:
    """LimitError (413) when the component's result (still lazy, nothing computed yet) has a
    side longer than `limits.max_output_side` (e.g. a huge `bo_` or `r_` on a big image)."""
    side = max(ctx.image.width, frame_height(ctx.image))
    limit = ctx.inputs.limits.max_output_side
    if side > limit:
        raise LimitError(f"Output too large: {side} px (max {limit})")


#: the ordered steps of one component.  Edit this list to add a step.
STEPS: tuple[Step, ...] = (
    Step("guard", guard.guard, _holds(*guard.UNSUPPORTED)),
    Step("load", load.load, lambda ctx: ctx.image is None),
    Step("plan", resize.plan_step, _always),
    Step("resize", resize.resize, _planned),
    Step("crop", resize.crop, _planned),
    Step("pad", pad.pad, _pads),
    Step("effects", effects.effects, _holds("e")),
    Step("radius", radius.radius, _holds("r")),
    Step("border", border.border, _holds("bo")),
    Step("rotate", rotate.rotate, _holds("a")),
    Step("opacity", opacity.opacity, _holds("o")),
    Step("check_size", check_size, _always),
)


def run_component(ctx: Context, component: Component) -> None:
    """Run one transformation component through the steps of `STEPS` it needs (`ctx.index`
    counts the components run so far: 0 is the first, which may shrink on load).  Checks
    the render's deadline (edge.render.deadline) before every step."""
    ctx.component, ctx.plan, ctx.decision, ctx.geometry_size = component, None, None, None
    for step in STEPS:
        if step.needed(ctx):
            check()
            step.run(ctx)
    ctx.index += 1
    ctx.ran.append(component)


#: keys only the chain level (edge/render/chain.py) understands.
CHAIN_KEYS = frozenset({"t", "if", "l", "u"})


def _expression(value: object) -> bool:
    """True when a param value holds an expression the interpreter must resolve (the value
    types `edge.render.program.resolve` rewrites: Expr, or a Length, Quality, Border or tuple
    holding one)."""
    if isinstance(value, Expr):
        return True
    if isinstance(value, tuple):
        return any(isinstance(v, Expr) for v in value)
    return any(isinstance(getattr(value, name, None), Expr) for name in ("value", "level", "width"))


def plain(components: Sequence[Component]) -> bool:
    """True when the chain (named transformations expanded) needs no chain level: no `t_`,
    `if_`, `l_`/`u_`, no `$` variable (defined, referenced or interpolated) and no expression
    (`w_iw_div_2`).  Such a chain is run by `run` alone: the interpreter is never entered."""
    for comp in components:
        for p in comp.params:
            if p.key in CHAIN_KEYS or "$" in p.key or "$" in p.text or _expression(p.value):
                return False
    return True


def run(ctx: Context, components: Sequence[Component]) -> pyvips.Image:
    """Run a `plain` chain: every non-empty component through `run_component`, in order (as
    the interpreter does).  Returns the final image (a chain where nothing runs still loads
    and normalises the original)."""
    for comp in components:
        if comp.params:
            run_component(ctx, comp)
    if ctx.image is None:
        run_component(ctx, Component(()))
    return ctx.image
