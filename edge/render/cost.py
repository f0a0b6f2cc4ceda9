"""What one URL may ask for, bounded before any pixel work (issue 9, item 1).

A chain of transformation components is a lazy libvips pipeline: every component adds
operations whose pixels are computed together at the end.  A 300-deep chain of `e_blur`
overflows the render thread's stack (SIGSEGV inside libvips, measured: 300 x `e_blur:50`
crashes with the default 8 MiB thread stack, 80 crash with 2 MiB), and chained
neighbourhood effects recompute overlapping tiles, so time grows faster than linearly
(16 x `e_blur:500` on a 6.3 MP photo: 150 s lazy, 5.3 s with each effect reading a
materialised input).  Three bounds, all in `Limits`, apply:

* `check_chain(components, named, limits)`: the number of transformation components after
  expanding named transformations (`t_`), with every `if_` branch and every layer body counted
  (`max_components`), and the number of costly operations among them (`max_costly_ops`).
  Pure AST work: the server calls it before the cache, the origin and any decode.
* `estimate(components, named, width, height, frames)`: megapixels x operations of the chain,
  from the AST and the source header (no decode); `check_estimate` refuses it above
  `max_cost_mp`.
* While rendering, `Context.charge(image)` (edge/render/context.py) adds the real pixels of
  each costly operation's input (the exact figure, also covering sizes the AST cannot know,
  such as `w_$var`) and `Context.settle()` materialises the input of a costly operation when an earlier one is still
  lazy, so work stays linear in the number of operations and the lazy pipeline stays shallow.

Costly operations: every `e_` effect (blend-mode qualifiers excepted), every image or text
layer (`l_`/`u_`: a decode or text render plus a composite), and a rotation by an angle that
is not a multiple of 90 degrees.  Errors: `ChainLimitError` (RenderError, HTTP 400 with
`X-Cld-Error`), raised before the work it refuses.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

from edge.url.ast import AutoWidth, Component, Effect, Length

from .effects import check_arguments
from .errors import RenderError
from .limits import Limits
from .layers.blocks import BLEND_MODES as _LAYER_BLEND_MODES
from .program.named import expand_named, parse_transformation

__all__ = [
    "ChainLimitError",
    "check_chain",
    "check_estimate",
    "check_effects",
    "estimate",
    "expanded",
    "is_costly",
    "weight",
    "WEIGHTS",
    "BLEND_MODES",
    "stack_bytes",
    "STACK_PER_COMPONENT",
    "MIN_STACK",
]

#: Render-thread stack per allowed transformation component, bytes.  Measured in the calling
#: thread with pyvips 3.2 / libvips 8.18: at most ~50 KiB per component (`e_blur`, `e_sharpen`,
#: `e_vibrance`: 40 components fit in 2 MiB, 80 do not; `r_3`: 300 need more than 8 MiB and fit
#: in 75 MiB), so 256 KiB is a 5x margin.
STACK_PER_COMPONENT = 256 * 1024
#: Smallest render-thread stack, bytes (twice glibc's usual 8 MiB default).
MIN_STACK = 16 * 1024 * 1024

#: `e_` names that are blend-mode qualifiers of a layer's composite, not effects of their own
#: (`anti_removal` is the overlay watermark mode Edge accepts but does not distort).
BLEND_MODES = _LAYER_BLEND_MODES | {"anti_removal"}


class ChainLimitError(RenderError):
    """A URL asks for more than the configured limits allow (HTTP 400, refused before any
    pixel work)."""

    status = 400


def stack_bytes(limits: Limits) -> int:
    """Render-thread stack (bytes) covering the deepest chain `limits` allow:
    `max(MIN_STACK, max_components x STACK_PER_COMPONENT)`."""
    return max(MIN_STACK, int(limits.max_components) * STACK_PER_COMPONENT)


# --------------------------------------------------------------------------------------------
# Counting


def _names(component: Component) -> tuple[str, ...]:
    value = component.get("t")
    if isinstance(value, str):
        names = value.split(".")
    elif isinstance(value, (tuple, list)):
        names = [str(getattr(v, "name", v)) for v in value]
    else:
        names = str(getattr(value, "text", value) or "").split(".")
    return tuple(n for n in names if n)


def _count(
    components: Sequence[Component], named: Mapping[str, str], parse: Callable[[str], tuple[Component, ...]],
    memo: dict[str, int], stop: int, path: tuple[str, ...] = (),
) -> int:
    """Components after expansion (an upper bound of what `program.expand_named` yields),
    computed per stored name once, stopping early past `stop`, so `t_a.a.a...` or nested
    named transformations cannot make the count itself expensive."""
    total = 0
    for comp in components:
        if "t" not in comp:
            total += 1
        else:
            total += 3  # guard, definitions, remaining params: at most three more components
            for name in _names(comp):
                if name in path or name not in named:
                    continue  # a cycle or an unknown name: expand_named raises its own UrlError
                if name not in memo:
                    memo[name] = _count(parse(named[name]), named, parse, memo, stop, (*path, name))
                total += memo[name]
        if total > stop:
            return total
    return total


def expanded(components: Sequence[Component], named: Mapping[str, str] | None, limits: Limits) -> tuple[Component, ...]:
    """`components` with `t_` expanded, after checking that the expansion stays within
    `limits.max_components` (raises ChainLimitError before expanding a chain that would not;
    UrlError from the expansion itself for unknown or cyclic names)."""
    comps = tuple(components)
    if not any("t" in c for c in comps):
        return comps
    named = named or {}
    n = _count(comps, named, parse_transformation, {}, limits.max_components)
    if n > limits.max_components:
        raise ChainLimitError(
            f"Too many transformation components: more than {limits.max_components} after "
            f"expanding named transformations"
        )
    return expand_named(comps, named, parse_transformation)


def _angle_costly(value: Any) -> bool:
    items = value if isinstance(value, (tuple, list)) else (value,)
    for item in items:
        try:
            angle = float(item)
        except (TypeError, ValueError):
            continue  # hflip, vflip, auto_right, ... or an expression
        if angle % 90:
            return True
    return False


#: effects that cost several ordinary operations (one operation ~ 35 ms per MP on one core),
#: from ms per MP and operation measured two chained on the 6.35 MP landscape photo
#: (pyvips-binary 8.18; per-pixel cost, which is what matters on large images): outline 259,
#: and about 4,000 once the image has alpha (its distance transform; 16 chained took 18.9 s on
#: the 0.24 MP coffee photo), cartoonify 190, oil_paint 108, blur_region 59; blur, sharpen,
#: hue, vibrance, improve, saturation 25-35 and the rest less (weight 1).  On small images
#: fixed costs dominate (trim 205, vibrance 92 ms per MP on coffee), which no budget needs.
WEIGHTS = {"outline": 40, "cartoonify": 5, "oil_paint": 3, "blur_region": 2}


def weight(component: Component) -> int:
    """Cost weight of one component: `is_costly`, with the effects of `WEIGHTS` counting
    several operations."""
    n = is_costly(component)
    effect = component.get("e")
    if n and isinstance(effect, Effect):
        n += WEIGHTS.get(effect.name, 1) - 1
    return n


def is_costly(component: Component) -> int:
    """Costly operations in one component (0, 1 or 2): an effect that is not a blend mode,
    a layer (`l_`/`u_` opening a layer), a rotation by a non-right angle."""
    n = 0
    effect = component.get("e")
    if isinstance(effect, Effect) and effect.name not in BLEND_MODES:
        n += 1
    if component.get("l") is not None or component.get("u") is not None:
        n += 1
    angle = component.get("a")
    if angle is not None and _angle_costly(angle):
        n += 1
    return n


def check_chain(components: Sequence[Component], named: Mapping[str, str] | None, limits: Limits) -> tuple[Component, ...]:
    """Refuse (ChainLimitError, 400) a chain with more than `limits.max_components`
    transformation components or more than `limits.max_costly_ops` costly operations, counted
    after expanding `t_` (`named`: name -> stored transformation), with both branches of every
    `if_` and every layer body included.  Returns the expanded components.  No pixels, no
    I/O: safe to call before the origin is read."""
    comps = expanded(components, named, limits)
    if len(comps) > limits.max_components:
        raise ChainLimitError(
            f"Too many transformation components: {len(comps)} (max {limits.max_components})"
        )
    costly = sum(is_costly(c) for c in comps)
    if costly > limits.max_costly_ops:
        raise ChainLimitError(
            f"Too many costly operations (effects, layers, rotations): {costly} "
            f"(max {limits.max_costly_ops})"
        )
    return comps


# --------------------------------------------------------------------------------------------
# Estimate from the AST


def _px(value: Any, reference: float) -> float | None:
    """A w/h value in px (relative values times `reference`); None when absent or unknown
    (an expression, `w_auto` without a fallback)."""
    if value is None:
        return None
    if isinstance(value, AutoWidth):
        return float(value.fallback) if value.fallback else None
    if isinstance(value, Length):
        if not isinstance(value.value, (int, float)):
            return None
        v = float(value.value)
        return v * reference if value.relative else v
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _ratio(value: Any) -> float | None:
    if value is None:
        return None
    text = getattr(value, "text", value)
    try:
        if isinstance(text, str) and ":" in text:
            a, b = text.split(":", 1)
            return float(a) / float(b)
        return float(getattr(value, "value", value))
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def _dpr(value: Any) -> float:
    if value is None:
        return 1.0
    text = str(getattr(value, "text", value))
    if text == "auto":
        return 4.0  # the largest client-hint DPR Edge applies
    try:
        v = float(getattr(value, "value", value))
    except (TypeError, ValueError):
        return 1.0
    return v if math.isfinite(v) and v > 0 else 1.0


def _next_size(comp: Component, w: float, h: float, cap: float) -> tuple[float, float]:
    """An upper bound of the size after `comp`, from `w x h` (px); each side capped at `cap`."""
    tw = _px(comp.get("w"), w)
    th = _px(comp.get("h"), h)
    ar = _ratio(comp.get("ar"))
    mode = str(getattr(comp.get("c"), "text", comp.get("c")) or "")
    if tw is None and th is None and ar is None:
        nw, nh = w, h
    else:
        if ar and ar > 0:
            if tw is not None and th is None:
                th = tw / ar
            elif th is not None and tw is None:
                tw = th * ar
            elif tw is None and th is None:
                tw, th = (w, w / ar) if w / h < ar else (h * ar, h)
        if tw is not None and th is None:
            th = h * tw / w if mode not in ("crop",) else h
        elif th is not None and tw is None:
            tw = w * th / h if mode not in ("crop",) else w
        dpr = _dpr(comp.get("dpr"))
        nw, nh = float(tw) * dpr, float(th) * dpr
        if mode in ("limit", "lfill", "lpad"):
            nw, nh = min(nw, max(w, 1.0)), min(nh, max(h, 1.0))
    angle = comp.get("a")
    if angle is not None and _angle_costly(angle):
        side = math.hypot(nw, nh)
        nw = nh = side
    border = comp.get("bo")
    if border is not None:
        bw = getattr(border, "width", 0)
        if isinstance(bw, (int, float)):
            nw, nh = nw + 2 * bw, nh + 2 * bw
    return min(max(nw, 1.0), cap), min(max(nh, 1.0), cap)


def estimate(
    components: Sequence[Component], width: int, height: int, frames: int = 1, *, max_side: int = 8192,
) -> float:
    """Cost of an (already expanded) chain in megapixel-operations: for every costly operation
    (`weight`: `is_costly`, heavy effects counting several), the pixels of the image it works on, times `frames`, in MP.  Sizes follow the
    chain from the source `width x height` (px) through each component's `w`/`h`/`ar`/`dpr`/`c`
    (an upper bound: fit modes are taken as filling their box; unknown sizes, such as
    expressions, keep the current size); a layer's own chain starts from the size of the image
    it is placed on, and its composite is charged at that size.  Pure arithmetic, no pixels."""
    w, h = float(max(1, width)), float(max(1, height))
    stack: list[tuple[float, float]] = []
    total = 0.0
    for comp in components:
        opens = (comp.get("l") is not None or comp.get("u") is not None) and "layer_apply" not in comp.flags
        closes = "layer_apply" in comp.flags and comp.get("l") is None and comp.get("u") is None
        if opens:
            total += w * h  # the composite, on the base
            stack.append((w, h))
            costly = weight(comp) - 1
        elif closes and stack:
            w, h = stack.pop()
            continue
        else:
            costly = weight(comp)
        if costly:
            total += costly * w * h
        w, h = _next_size(comp, w, h, float(max_side))
    return total * max(1, frames) / 1e6


def check_effects(components: Sequence[Component]) -> None:
    """Refuse (UrlError, 400, the effect's own message: ``Invalid value for e_sepia: 500
    (expected 1..100)``) an `e_` whose declared arguments are out of range
    (`edge.render.effects.check_arguments`), in every component of an expanded chain: both
    branches of every `if_` and every layer body.  No pixels: the engine calls it before
    decoding (the server's early `check_chain` does not, so a URL's signature and cache are
    still looked at first)."""
    for comp in components:
        effect = comp.get("e")
        if isinstance(effect, Effect):
            check_arguments(effect)


def check_estimate(cost_mp: float, limits: Limits) -> None:
    """Refuse (ChainLimitError, 400) an estimate above `limits.max_cost_mp` MP-operations."""
    if cost_mp > limits.max_cost_mp:
        raise ChainLimitError(
            f"Transformation too costly: about {cost_mp:.0f} megapixel-operations "
            f"(max {limits.max_cost_mp:g})"
        )
