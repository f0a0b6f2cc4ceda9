"""Layers (`l_`, `u_`, `fl_layer_apply`): block structure and application (url-spec §11).

`structure(components)` groups a chain into `Step`s: plain `Component`s and `LayerBlock`s.
`apply_layer(base, block, ...)` builds one layer image, runs its own chain, places it by
gravity/x/y and composites it over (overlay) or under (underlay) the base.

The module knows nothing of storage, fonts or blending internals: the image source, the text
renderer, the compositor and the placer are callbacks (defaults: `edge.render.ops.text` and
`edge.render.ops.blend`), so the pipeline plugs it in without this module depending on the
pipeline's internals.

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
from typing import Any, Callable, Sequence, Union

import pyvips

from edge.url.ast import Color, Component, Gravity, Layer, Length, Param
from edge.url.errors import UrlError

from .effects.unavailable import GENERATIVE, NOT_IMPLEMENTED, VIDEO_ONLY
from .errors import RenderError
from .ops import blend
from .ops.text import render_text

__all__ = [
    "LayerBlock",
    "Step",
    "structure",
    "apply_layer",
    "BLEND_MODES",
    "layer_chain",
    "placement",
    "Placement",
]

#: `e_<name>` values that are blend modes of a layer rather than effects applied to it.
BLEND_MODES = blend.MODES - {"over"}
#: effects Edge parses but does not run (`edge.render.effects.unavailable`).
UNAVAILABLE = frozenset(GENERATIVE + NOT_IMPLEMENTED + VIDEO_ONLY)
#: flags that concern the placement of a layer, never its own pixels.
_PLACEMENT_FLAGS = frozenset({"layer_apply", "relative", "region_relative", "tiled", "no_overflow"})
#: params of a legacy one-component layer that place the layer (the rest transforms it).
_PLACEMENT_KEYS = frozenset({"g", "x", "y"})
_BLACK = Color(0, 0, 0, 255, "black")


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


Step = Union[Component, LayerBlock]


def _layer_of(component: Component) -> Layer | None:
    value = component.get("l")
    if value is None:
        value = component.get("u")
    return value


def _closes(component: Component) -> bool:
    return "layer_apply" in component.flags and _layer_of(component) is None


def structure(components: Sequence[Component]) -> list[Step]:
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
    steps: list[Step] = []
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
        if _wrap_width(block) is not None:
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


# --------------------------------------------------------------------------------------------
# Application


TextRenderer = Callable[[str, Any, Color], pyvips.Image]
Compositor = Callable[[pyvips.Image, pyvips.Image, int, int, str, bool], pyvips.Image]
Placer = Callable[[tuple[int, int], tuple[int, int], str, int, int], tuple[int, int]]
Locator = Callable[[Gravity, pyvips.Image], Sequence[tuple[int, int, int, int]]]


def _offset(length: Length | None, reference: int, key: str) -> int:
    """An x/y offset in px: pixels as given, a relative value times the base's side."""
    if length is None:
        return 0
    value = length.value
    if not isinstance(value, (int, float)):
        raise RenderError(f"Unresolved expression in {key}: {length.text}")
    return int(round(float(value) * reference)) if length.relative else int(round(float(value)))


def _source_image(block: LayerBlock, load_source: Callable[[Layer], pyvips.Image], text_renderer: TextRenderer | None) -> pyvips.Image:
    layer = block.layer
    if layer.kind == "text":
        if layer.style is None:
            raise RenderError(f"Text layer without a resolved style: {layer.text}")
        color = block.open.get("co") or _BLACK
        renderer = text_renderer or render_text
        wrap = _wrap_width(block)
        if wrap is not None:
            text = renderer(layer.content or "", layer.style, color, width=wrap)
        else:
            text = renderer(layer.content or "", layer.style, color)
        return _text_box(text, block.open.get("b"))
    if layer.kind in ("image", "fetch", "private", "authenticated"):
        return load_source(layer)
    raise RenderError(f"Unsupported layer type: {layer.text}")


def _text_box(text: pyvips.Image, background: Any) -> pyvips.Image:
    """The RGBA `text` drawn over a box of the `b_` colour of the text layer's opening
    component (`l_text:Arial_40:Hello,b_black`: a caption box the size of the text's layout
    box; `b_rgb:00000080` a translucent one), or `text` unchanged without a `b_` colour."""
    color = getattr(background, "color", background)
    if not isinstance(color, Color):
        return text
    box = (pyvips.Image.black(text.width, text.height, bands=4) + [color.r, color.g, color.b, color.a])
    return box.cast("uchar").copy(interpretation="srgb").composite2(text, "over").cast("uchar")


def _wrap_width(block: LayerBlock) -> int | None:
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


def _transparent(width: int, height: int) -> pyvips.Image:
    return pyvips.Image.black(width, height, bands=4).copy(interpretation="srgb")


def _composite(
    base: pyvips.Image,
    layer: pyvips.Image,
    left: int,
    top: int,
    place: Placement,
    underlay: bool,
    compositor: Compositor,
) -> pyvips.Image:
    tiled = "tiled" in place.flags
    if not underlay:
        return compositor(base, layer, left, top, place.mode, tiled)
    if base.bands not in (2, 4):
        return base  # an opaque base hides its underlay completely
    # underlay: the layer on a transparent canvas of the base's size, then the base on top of
    # it with the blend mode (default over)
    canvas = compositor(_transparent(base.width, base.height), layer, left, top, "over", tiled)
    return compositor(canvas, base, 0, 0, place.mode, False)


def apply_layer(
    base: pyvips.Image,
    block: LayerBlock,
    *,
    load_source: Callable[[Layer], pyvips.Image],
    render_chain: Callable[[pyvips.Image, Sequence[Component]], pyvips.Image],
    text_renderer: TextRenderer | None = None,
    compositor: Compositor | None = None,
    placer: Placer | None = None,
    locate: Locator | None = None,
) -> pyvips.Image:
    """Render `block` on `base` (sRGB uchar, 3 or 4 bands) and return the new base image.

    * `load_source(layer) -> pyvips.Image`: the layer's source for image/fetch/private/
      authenticated layers (the server's origin loader; render never knows storage),
      already decoded to 8-bit sRGB (`edge.render.source.decode` does; chain.py wraps it).
    * `render_chain(image, components) -> image`: runs the layer's own components (see
      `layer_chain`; may hold `if_` blocks, variables and nested layers), relative sizes there
      being relative to the layer itself unless `fl_relative` made them base pixels.
    * `text_renderer(content, style, color[, width=px]) -> RGBA image` for `l_text:` layers
      (`co_` of the opening component, default black; `width` only for `c_fit,w_<px>`, which
      wraps the text), default `edge.render.ops.text.render_text`.
    * `placer(base_size, layer_size, compass, x, y) -> (left, top)` and
      `compositor(base, layer, left, top, mode, tiled) -> image`, default
      `edge.render.ops.blend.place` / `composite`.  `mode` is `over` or a `BLEND_MODES` name.
    * `locate(gravity, base) -> [(x, y, w, h), ...]` for a non-compass gravity (`g_face`,
      `g_faces`, objects): the layer is centred on each region (shifted by x/y); with
      `fl_region_relative` relative sizes refer to the region; no region: base unchanged.
    An underlay (`u_`) is composited under the base: it only shows where the base is
    transparent.  `x`/`y` offsets are px, or a ratio of the base's width/height when relative.
    Raises RenderError (400) for a layer kind that cannot be rendered (video, audio, lut), a
    text layer without style or a non-compass gravity without `locate`.
    """
    place = placement(block)
    gravity = place.gravity
    base_size = (base.width, base.height)
    compositor = compositor or blend.composite
    placer = placer or blend.place
    source = _source_image(block, load_source, text_renderer)
    dx = _offset(place.x, base.width, "x")
    dy = _offset(place.y, base.height, "y")

    if gravity is None or gravity.kind in ("compass", "xy_center"):
        chain = layer_chain(block, base_size)
        layer = render_chain(source, chain) if chain else source
        if gravity is not None and gravity.kind == "xy_center":
            left, top = dx - layer.width // 2, dy - layer.height // 2
        else:
            compass = gravity.compass if gravity is not None and gravity.compass else "center"
            left, top = placer(base_size, (layer.width, layer.height), compass, dx, dy)
        return _composite(base, layer, int(left), int(top), place, block.underlay, compositor)

    if locate is None:
        raise RenderError(f"Unsupported gravity for a layer: g_{gravity.text}")
    regions = list(locate(gravity, base))
    out = base
    shared = None if "region_relative" in place.flags else layer_chain(block, base_size)
    shared_layer = None
    for rx, ry, rw, rh in regions:
        if shared is None:
            chain = layer_chain(block, base_size, (rw, rh))
            layer = render_chain(source, chain) if chain else source
        else:
            if shared_layer is None:
                shared_layer = render_chain(source, shared) if shared else source
            layer = shared_layer
        left = rx + (rw - layer.width) // 2 + dx
        top = ry + (rh - layer.height) // 2 + dy
        out = _composite(out, layer, int(left), int(top), place, block.underlay, compositor)
    return out
