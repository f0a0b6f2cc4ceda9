"""Layer compositing: draw one `LayerBlock`'s image, run its own chain, place it by
gravity/x/y and composite it over (overlay) or under (underlay) the base (url-spec §11).

The block structure (`structure`, `placement`, `layer_chain`) is `edge.render.layers.blocks`;
this module is the pixel side.  It knows nothing of storage, fonts or blending internals:
the image source, the layer's own chain and the region finder are arguments of `apply_layer`
(chain.py passes the origin loader, its own interpreter and `gravity.layer_regions`), the text
renderer, compositor and placer have defaults (`edge.render.ops.text`, `edge.render.ops.blend`).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import pyvips

from edge.url.ast import Color, Component, Gravity, Layer, Length

from ..errors import RenderError
from ..ops import blend
from ..ops.text import render_text
from .blocks import BLEND_MODES, LayerBlock, Placement, layer_chain, placement, wrap_width

__all__ = ["apply_layer", "TextRenderer", "Compositor", "Placer", "Locator", "BLEND_MODES"]

_BLACK = Color(0, 0, 0, 255, "black")


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
        wrap = wrap_width(block)
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
