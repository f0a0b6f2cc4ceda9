"""Layer blocks (`l_`, `u_`, `fl_layer_apply`): the pure structure of a chain with layers
(url-spec §11).  No pixels here: `edge.render.layers.compose` draws and composites them.

`structure(components)` groups a chain into `ChainItem`s: plain `Component`s and `LayerBlock`s.
`placement(block)` reads how a layer lands on the base, `layer_chain(block, ...)` the
components that transform the layer image itself.

Two block forms (Cloudinary "Placing layers on images"; url-spec §11):
* multi-component: `l_<id>[,<qualifiers>]/<components for the layer>.../fl_layer_apply,<placement>`;
  the opening component's qualifiers and the body transform the layer; the `fl_layer_apply`
  component's `g`, `x`, `y`, `fl_relative`, `fl_tiled` and `e_<blend>` place it.
* legacy one-component: `l_<id>,<qualifiers>` with no `fl_layer_apply` closing it: the
  component's `g`, `x`, `y`, flags and blend effect place the layer, its other params
  (`w`, `h`, `c`, `e_<effect>`, `o`, `a`, `r`, ...) transform it.
Matching is the URL parser's (`edge.url.parser.check_structure`): each `fl_layer_apply` closes
the most recent `l_`/`u_` still open; one that none closes is the legacy form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

from edge.url.ast import Component, Gravity, Layer, Length, Param
from edge.url.errors import UrlError

from ..effects.unavailable import GENERATIVE, NOT_IMPLEMENTED, VIDEO_ONLY
from ..errors import RenderError
from ..ops.blend import MODES as _COMPOSITE_MODES

__all__ = [
    "LayerBlock",
    "ChainItem",
    "structure",
    "BLEND_MODES",
    "UNAVAILABLE",
    "layer_chain",
    "placement",
    "Placement",
    "wrap_width",
]

#: `e_<name>` values that are blend modes of a layer rather than effects applied to it.
BLEND_MODES = _COMPOSITE_MODES - {"over"}
#: effects Edge parses but does not run (`edge.render.effects.unavailable`).
UNAVAILABLE = frozenset(GENERATIVE + NOT_IMPLEMENTED + VIDEO_ONLY)
#: flags that concern the placement of a layer, never its own pixels.
_PLACEMENT_FLAGS = frozenset({"layer_apply", "relative", "region_relative", "tiled", "no_overflow"})
#: params of a legacy one-component layer that place the layer (the rest transforms it).
_PLACEMENT_KEYS = frozenset({"g", "x", "y"})


@dataclass(frozen=True, slots=True)
class LayerBlock:
    """One layer: `layer` (the parsed `l_`/`u_` value), `open` (the component holding it),
    `body` (the raw components transforming the layer, in order; they may hold nested layers
    and `if_` blocks: run them through `structure`/`run` again), and `apply` (the
    `fl_layer_apply` component), or None for the legacy one-component form."""

    layer: Layer
    open: Component
    body: tuple[Component, ...] = ()
    apply: Component | None = None

    @property
    def legacy(self) -> bool:
        """True for the one-component form (placement read from `open`)."""
        return self.apply is None

    @property
    def underlay(self) -> bool:
        """True for `u_` (composited under the base), False for `l_`."""
        return self.layer.underlay


#: one item of a structured chain: a plain component or a whole layer block.
ChainItem = Union[Component, LayerBlock]


def _layer_of(component: Component) -> Layer | None:
    value = component.get("l")
    if value is None:
        value = component.get("u")
    return value


def _closes(component: Component) -> bool:
    return "layer_apply" in component.flags and _layer_of(component) is None


def structure(components: Sequence[Component]) -> list[ChainItem]:
    """Group a chain into plain components and `LayerBlock`s (top level only; a block's body
    keeps its raw components, nested layers included).

    An `l_`/`u_` that no `fl_layer_apply` closes is a legacy one-component block (`l_badge`
    alone is placed centred).  Raises UrlError for a `fl_layer_apply` with no open layer (the
    parser rejects it already).
    """
    comps = tuple(components)
    closer_of: dict[int, int] = {}
    stack: list[int] = []
    for i, comp in enumerate(comps):
        if _layer_of(comp) is not None and "layer_apply" not in comp.flags:
            stack.append(i)
        elif _closes(comp):
            if not stack:
                raise UrlError(f"Unbalanced fl_layer_apply in component {i + 1}: no open layer")
            closer_of[stack.pop()] = i
    steps: list[ChainItem] = []
    i = 0
    while i < len(comps):
        comp = comps[i]
        layer = _layer_of(comp)
        if layer is None:
            steps.append(comp)
            i += 1
        elif i in closer_of:
            j = closer_of[i]
            steps.append(LayerBlock(layer, comp, comps[i + 1 : j], comps[j]))
            i = j + 1
        else:
            steps.append(LayerBlock(layer, comp))
            i += 1
    return steps


# --------------------------------------------------------------------------------------------
# Splitting a block into the layer's own chain and its placement


@dataclass(frozen=True, slots=True)
class Placement:
    """How a layer lands on the base: `gravity` (None = center), `x`/`y` offsets (Length, or
    None), `mode` (`over` or a `BLEND_MODES` name), `flags` (names: `relative`, `tiled`,
    `region_relative`, ...)."""

    gravity: Gravity | None
    x: Length | None
    y: Length | None
    mode: str
    flags: frozenset[str]


def _blend(component: Component | None) -> str | None:
    if component is None:
        return None
    effect = component.get("e")
    if effect is not None and effect.name in BLEND_MODES:
        return effect.name
    return None


def _refuse_unavailable(component: Component | None) -> None:
    """A layer-combining effect of the `fl_layer_apply` component Edge does not run
    (`l_<style>/e_style_transfer,fl_layer_apply`): RenderError 400 naming it."""
    effect = component.get("e") if component is not None else None
    if effect is not None and effect.name in UNAVAILABLE:
        raise RenderError(f"e_{effect.name} is not available in this Edge (layer effect)")


def placement(block: LayerBlock) -> Placement:
    """The placement of `block`: from `apply` (multi-component form) or `open` (legacy).

    A blend `e_` standing in the opening component of a multi-component block is used when
    the `fl_layer_apply` component has none; `fl_relative`/`fl_region_relative` count in
    either component.
    """
    where = block.open if block.apply is None else block.apply
    _refuse_unavailable(block.apply)
    mode = _blend(where) or _blend(block.open) or "over"
    flags = set(where.flags) | ({"relative", "region_relative"} & block.open.flags)
    return Placement(where.get("g"), where.get("x"), where.get("y"), mode, frozenset(flags))


def _without_flags(component: Component, drop: frozenset[str]) -> Component:
    params: list[Param] = []
    for p in component.params:
        if p.key == "fl":
            kept = tuple(f for f in p.value if f.name not in drop)
            if not kept:
                continue
            if len(kept) != len(p.value):
                p = Param("fl", kept, ".".join(f.text for f in kept))
        params.append(p)
    return Component(tuple(params))


def _absolute(component: Component, size: tuple[int, int]) -> Component:
    """Relative `w`/`h` (`w_0.5`) turned into pixels of `size` (fl_relative)."""
    params: list[Param] = []
    for p in component.params:
        if p.key in ("w", "h") and isinstance(p.value, Length) and p.value.relative:
            px = max(1, int(float(p.value.value) * size[0 if p.key == "w" else 1] + 0.5))
            p = Param(p.key, Length(px, False, str(px)), str(px))
        params.append(p)
    return Component(tuple(params))


def layer_chain(block: LayerBlock, base_size: tuple[int, int], region: tuple[int, int] | None = None) -> list[Component]:
    """The components that transform the layer image itself: the opening component's
    qualifiers (without `l_`/`u_`, `if_`, `$` definitions, the text colour `co_` and the
    wrapping `c_fit,w_<px>` of a text layer, placement flags, and, in the legacy form,
    `g`/`x`/`y` and a blend `e_`), then the body.  With `fl_relative` (in a component, or in the `fl_layer_apply` for the opening
    component) relative `w`/`h` are converted to px of `base_size`; with `fl_region_relative`
    to px of `region` (w, h) when one is given.
    """
    legacy = block.apply is None
    drop = {"l", "u", "if"}
    if block.layer.kind == "text":
        drop.add("co")
        if wrap_width(block) is not None:
            drop |= {"c", "w"}  # consumed by the text renderer (wrapping)
    if legacy:
        drop |= _PLACEMENT_KEYS
    params = []
    for p in block.open.params:
        if p.key in drop or p.key.startswith("$"):
            continue
        if p.key == "e" and p.value.name in BLEND_MODES:
            continue
        params.append(p)
    first = Component(tuple(params))
    outer_flags = block.open.flags | (block.apply.flags if block.apply is not None else frozenset())
    chain: list[Component] = []
    for index, comp in enumerate((first, *block.body)):
        flags = outer_flags if index == 0 else comp.flags
        if "relative" in flags:
            comp = _absolute(comp, base_size)
        elif "region_relative" in flags and region is not None:
            comp = _absolute(comp, region)
        if index == 0:
            comp = _without_flags(comp, _PLACEMENT_FLAGS)
        elif "relative" in comp.flags or "region_relative" in comp.flags:
            comp = _without_flags(comp, frozenset({"relative", "region_relative"}))
        if comp.params:
            chain.append(comp)
    return chain


def wrap_width(block: LayerBlock) -> int | None:
    """Width (px) a text layer wraps at: `c_fit,w_<px>` (no `h`) in its opening component
    (Cloudinary "Multi-line text": a fitted width makes the text wrap)."""
    if block.layer.kind != "text":
        return None
    w = block.open.get("w")
    if block.open.get("c") != "fit" or "h" in block.open or not isinstance(w, Length):
        return None
    if w.relative or not isinstance(w.value, (int, float)):
        return None
    return int(w.value)
