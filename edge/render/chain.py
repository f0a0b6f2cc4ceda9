"""Chain level: named transformations, conditionals, variables and layers around the
per-component steps.

`run_chain(ctx, components, run_component)` expands `t_` (`cost.expanded`: `program.expand_named`
within the URL limits), groups
layers (`layers.structure`) and lets the component interpreter (`program.run`) decide which
components run, with every expression already resolved; each surviving component goes to
`run_component(ctx, component)` (the `STEPS` of pipeline.py) and each layer block to
`layers.apply_layer`, whose layer chain runs through `run_chain` again on a sub-context.

Callbacks this module supplies to `edge.render.layers`:
* `load_source(layer)`: `ctx.load_layer(layer) -> bytes` (the server's origin loader),
  decoded and normalised to 8-bit sRGB with the same limits; RenderError 400 without a loader.
* `render_chain(image, components)`: a sub-context on `image`.
* `locate(gravity, base)`: boxes from the FocusProvider (`g_face` the largest face,
  `g_faces` every face, `g_<obj>` every region of the first object found, `g_auto` the focus),
  asked through `ctx.focus_for(base)`: the per-asset detection cache applies only while
  `base` is still the whole asset (a layer's sub-context never has one).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import pyvips

from edge.url.ast import Component, Gravity, Layer

from . import layers, program
from .cost import charge, expanded, settle
from .errors import RenderError
from .gravity import decide
from .ops.frames import frame_height
from .saliency import SaliencyFocus
from .source import Header, check_limits, decode, read_header

__all__ = ["run_chain", "parse_transformation"]

RunComponent = Callable[[Any, Component], None]


def parse_transformation(text: str) -> tuple[Component, ...]:
    """Components of a stored transformation string (`c_fill,w_100/e_sepia`), through the URL
    parser (raises UrlError)."""
    from edge.url import parse

    return parse(f"/edge/image/upload/{text.strip('/')}/named.png").components


def _face_counter(ctx) -> Callable[[], int] | None:
    if ctx.focus is None:
        return None

    def count() -> int:
        if ctx.image is None:  # `fc` read before any component ran: decode (no shrink)
            ctx.image = decode(ctx.source, ctx.header, page=ctx.page, autorotate=ctx.autorotate)
            ctx.mark_whole(ctx.image)
        return len(ctx.focus_for(ctx.image).find(ctx.image, "faces"))

    return count


def _header_of(image: pyvips.Image) -> Header:
    fh = frame_height(image)
    return Header(image.width, fh, image.width, fh, "png", max(1, image.height // fh), 1, image.hasalpha())


def _load_source(ctx) -> Callable[[Layer], pyvips.Image]:
    def load(layer: Layer) -> pyvips.Image:
        if ctx.load_layer is None:
            raise RenderError(f"Image layers are not available here: l_{layer.text}")
        data = ctx.load_layer(layer)
        header = read_header(data)
        check_limits(header, ctx.limits, frames=1, source_bytes=len(data))
        return decode(data, header, page=0 if header.frames > 1 else None)

    return load


def _locate(ctx) -> Callable[[Gravity, pyvips.Image], Sequence[tuple[int, int, int, int]]]:
    def locate(gravity: Gravity, base: pyvips.Image) -> list[tuple[int, int, int, int]]:
        provider = ctx.focus_for(base) or SaliencyFocus()
        if gravity.kind in {"face", "adv_face", "custom"}:
            faces = list(provider.find(base, "faces"))
            return [max(faces, key=lambda r: r.box[2] * r.box[3]).box] if faces else []
        if gravity.kind in {"faces", "adv_faces"}:
            return [r.box for r in provider.find(base, "faces")]
        if gravity.kind == "objects":
            for obj in gravity.objects:
                found = list(provider.find(base, obj.name, obj.model))
                if found:
                    return [r.box for r in found]
            return []
        decision = decide(gravity, base, provider)
        return [decision.focus] if decision.focus else []

    return locate


def _sub_context(ctx, image: pyvips.Image):
    from .pipeline import Context

    return Context(
        source=b"",
        header=_header_of(image),
        request=ctx.request,
        limits=ctx.limits,
        focus=ctx.focus,
        accept=ctx.accept,
        dpr_hint=ctx.dpr_hint,
        width_hint=ctx.width_hint,
        image=image,
        index=1,  # never the first component of the original: no shrink-on-load
        named=ctx.named,
        load_layer=ctx.load_layer,
        tags=ctx.tags,
        context=ctx.context,
        metadata=ctx.metadata,
        variables=dict(ctx.variables),
        meter=ctx.meter,
    )


def run_chain(ctx, components: Sequence[Component], run_component: RunComponent) -> None:
    """Interpret `components` on `ctx` (see the module docstring); `ctx.image` holds the result.
    Raises UrlError (unknown named transformation, unbalanced if_) or RenderError."""
    comps = expanded(components, ctx.named, ctx.limits)  # t_ inlined, within max_components
    steps = layers.structure(comps)
    if ctx.image is not None:
        width, height = ctx.image.width, frame_height(ctx.image)
    else:
        width, height = ctx.header.width, ctx.header.height
    state = program.ImageState(
        width,
        height,
        width,  # iw/ih: the input of this chain (the original, or a layer's image)
        height,
        page_count=ctx.header.frames,
        face_count=_face_counter(ctx),
        tags=tuple(ctx.tags),
        context=dict(ctx.context or {}),
        metadata=dict(ctx.metadata or {}),
        variables=dict(ctx.variables),
        image=ctx.image,
    )

    def apply(step: Any, variables: Mapping[str, Any]) -> program.ImageState:
        nonlocal state
        ctx.variables = dict(variables)
        if isinstance(step, layers.LayerBlock):
            if ctx.image is None:
                run_component(ctx, Component(()))
            charge(ctx, ctx.image)  # the composite, refused past the render's budget
            settle(ctx)
            ctx.image = layers.apply_layer(
                ctx.image,
                step,
                load_source=_load_source(ctx),
                render_chain=lambda image, chain: _render_sub(ctx, image, chain, run_component),
                locate=_locate(ctx),
            )
        else:
            run_component(ctx, step)
        state = state.advanced(ctx.image)
        return state

    final = program.run(steps, state, apply)
    ctx.variables = dict(final.variables)
    if ctx.image is None:  # nothing ran (empty chain, or every component skipped)
        run_component(ctx, Component(()))


def _render_sub(ctx, image: pyvips.Image, chain: Sequence[Component], run_component: RunComponent) -> pyvips.Image:
    sub = _sub_context(ctx, image)
    run_chain(sub, chain, run_component)
    return sub.image
