"""Chain level: conditionals, variables and layers around the per-component steps.

`run(ctx, components)` renders a chain that is not `pipeline.plain` (named transformations
already expanded by `edge.render.cost.check_chain`): it groups layers
(`layers.structure`), lets the component interpreter (`program.run`) decide which components
run, with every expression resolved, and sends each surviving component to
`pipeline.run_component` and each layer block to `layers.apply_layer`, whose layer chain
runs through `run` again on `ctx.for_layer(image)`.  Calls only downwards (pipeline, program,
layers, gravity); nothing calls back into this module except its own recursion for layers.

What this module gives `layers.apply_layer`:
* `load_source(layer)`: `inputs.load_layer(layer) -> bytes` (the server's origin loader),
  decoded and normalised to 8-bit sRGB with the same limits; RenderError 400 without a loader.
* `render_chain(image, components)`: this module's `run` on a sub-context of `image`.
* `locate(gravity, base)`: `gravity.layer_regions`, asked through `ctx.focus_for(base)` (the
  per-asset detection cache applies only while `base` is still the whole asset).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Sequence

import pyvips

from edge.url.ast import Component, Gravity, Layer

from . import layers, program
from .context import Context
from .cost import expanded
from .errors import RenderError
from .focus import detected_faces
from .frames import frame_height
from .gravity import layer_regions
from .pipeline import run_component
from .source import check_limits, decode, read_header

__all__ = ["run"]


def _face_counter(ctx: Context) -> Callable[[], int] | None:
    """`fc` for conditions: the number of detected faces in the current image (decoded in full
    when no component ran yet; head estimates are not faces), or None without a FocusProvider."""
    if ctx.inputs.focus is None:
        return None

    def count() -> int:
        if ctx.image is None:  # `fc` read before any component ran: decode (no shrink)
            ctx.image = decode(ctx.source, ctx.header, page=ctx.page, autorotate=ctx.autorotate)
            ctx.mark_whole(ctx.image)
        return len(detected_faces(ctx.focus_for(ctx.image).find(ctx.image, "faces")))

    return count


def _load_source(ctx: Context) -> Callable[[Layer], pyvips.Image]:
    def load(layer: Layer) -> pyvips.Image:
        if ctx.inputs.load_layer is None:
            raise RenderError(f"Image layers are not available here: l_{layer.text}")
        data = ctx.inputs.load_layer(layer)
        header = read_header(data)
        check_limits(header, ctx.inputs.limits, frames=1, source_bytes=len(data))
        return decode(data, header, page=0 if header.frames > 1 else None)

    return load


def _locate(ctx: Context) -> Callable[[Gravity, pyvips.Image], list[tuple[int, int, int, int]]]:
    return lambda gravity, base: layer_regions(gravity, base, ctx.focus_for(base))


def _initial_state(ctx: Context) -> program.ImageState:
    if ctx.image is not None:
        width, height = ctx.image.width, frame_height(ctx.image)
    else:
        width, height = ctx.header.width, ctx.header.height
    inputs = ctx.inputs
    return program.ImageState(
        width,
        height,
        width,  # iw/ih: the input of this chain (the original, or a layer's image)
        height,
        page_count=ctx.header.frames,
        face_count=_face_counter(ctx),
        tags=tuple(inputs.tags),
        context=dict(inputs.context or {}),
        metadata=dict(inputs.metadata or {}),
        variables=dict(ctx.variables),
        image=ctx.image,
    )


def run(ctx: Context, components: Sequence[Component]) -> pyvips.Image:
    """Interpret `components` on `ctx` (see the module docstring) and return the final image
    (also `ctx.image`).  Raises UrlError (unknown named transformation, unbalanced if_) or
    RenderError."""
    comps = expanded(components, ctx.inputs.named, ctx.inputs.limits)  # a no-op once expanded
    state = _initial_state(ctx)

    def apply(item: layers.ChainItem, variables: Mapping[str, Any]) -> program.ImageState:
        nonlocal state
        ctx.variables = dict(variables)
        if isinstance(item, layers.LayerBlock):
            if ctx.image is None:
                run_component(ctx, Component(()))
            ctx.charge(ctx.image)  # the composite, refused past the render's budget
            ctx.settle()
            ctx.image = layers.apply_layer(
                ctx.image,
                item,
                load_source=_load_source(ctx),
                render_chain=lambda image, chain: run(ctx.for_layer(image), chain),
                locate=_locate(ctx),
            )
        else:
            run_component(ctx, item)
        state = state.advanced(ctx.image)
        return state

    final = program.run(layers.structure(comps), state, apply)
    ctx.variables = dict(final.variables)
    if ctx.image is None:  # nothing ran (empty chain, or every component skipped)
        run_component(ctx, Component(()))
    return ctx.image
