"""`render(source, request) -> Rendered`: the whole render of one derived asset.

The story, in order (as imgproxy's `ProcessImage`): URL limits on the AST (`cost`), the
source header and its limits (`source`), the megapixel estimate, then the chain —
`pipeline.run` for a plain chain, `chain.run` when it has `t_`, `if_`, `$`, expressions or
layers — and the final output steps (`encode.finalize`: options -> format -> getinfo ->
encode).  Nothing below calls back up into this module.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import pyvips

from edge.url.ast import Component, DeliveryRequest, Layer

from . import chain, pipeline, spec
from .context import Context, Inputs
from .cost import check_chain, check_effects, check_estimate, estimate
from .deadline import budget, check
from .encode import finalize, output_options, writable_extension
from .errors import RenderError
from .focus import FocusProvider, complete
from .limits import Limits
from .rendered import Rendered
from .source import check_limits, read_header

__all__ = ["render"]


def _page(components: Sequence[Component], frames: int) -> int | None:
    """0-based page of the first `pg_N` (1-based in URLs) of the chain (`t_` expanded), or
    None.  Raises RenderError for a page selection Edge does not support (ranges, names) or a
    page the image lacks."""
    for comp in components:
        value = comp.get("pg")
        if value is None:
            continue
        try:
            n = spec.number(value, "pg")
        except RenderError:
            raise RenderError(f"Unsupported page selection: pg_{spec.text(value)}") from None
        if not n.is_integer() or not 1 <= n <= frames:
            raise RenderError(f"Invalid value for pg: {spec.text(value)} (the image has {frames} page(s))")
        return int(n) - 1
    return None


def _autorotate(components: Sequence[Component]) -> bool:
    """False when any component of the chain (`t_` expanded) has `a_ignore` (keep the stored
    orientation)."""
    for comp in components:
        value = comp.get("a")
        items = value if isinstance(value, (tuple, list)) else (value,)
        if any(spec.text(v) == "ignore" for v in items if isinstance(v, str)):
            return False
    return True


def render(
    source: bytes,
    request: DeliveryRequest,
    *,
    accept: str = "",
    dpr_hint: float | None = None,
    focus: FocusProvider | None = None,
    limits: Limits | None = None,
    width_hint: int | None = None,
    named: Mapping[str, str] | None = None,
    load_layer: Callable[[Layer], bytes] | None = None,
    tags: Sequence[str] = (),
    context: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    deadline: float | None = None,
) -> Rendered:
    """Render the derived asset `request` asks for from the original `source` bytes.

    * `accept`: the request's Accept header (for `f_auto`);
    * `dpr_hint`: the `Sec-CH-DPR`/`DPR` client hint (for `dpr_auto`);
    * `focus`: a FocusProvider for face/object/text gravity (default: saliency only; an
      object with only `find` is completed by `edge.render.focus.complete`);
    * `limits`: resource limits (default `Limits()`);
    * `width_hint`: the `Sec-CH-Width`/`Width` client hint, px (for `w_auto`);
    * `named`: named transformations, name -> transformation string (for `t_`);
    * `load_layer(layer) -> bytes`: the source of an image layer (`l_<public_id>`, fetch...);
      without it image layers raise RenderError 400 (text layers need nothing);
    * `tags`, `context`, `metadata`: the asset's tags, contextual and structured metadata
      (for `if_` conditions);
    * `deadline`: `time.monotonic()` seconds after which libvips work is killed and
      `RenderTimeout` (503) raised (see `edge.render.deadline`); None = no limit.

    Synchronous and thread-safe (no shared mutable state).  Raises `RenderError` (400) for
    unreadable/unsupported input or impossible transformations, `LimitError` (413) for
    source limits, `edge.render.cost.ChainLimitError` (400) for URL limits (components,
    costly operations, megapixel-operations; checked before decoding); `RenderTimeout` (503)
    past the deadline; `edge.url.UrlError` (400) may come from effect argument checks.
    """
    with budget(deadline):
        limits = limits or Limits()
        # URL limits before anything is read, on the chain with t_ expanded (which also
        # decides pg_, a_ignore and the URL-wide flags, so a named transformation behaves
        # exactly as its expansion written out)
        components = check_chain(request.components, named, limits)
        check_effects(components)  # declared e_ arguments (edge.render.effects.args)
        autorotate = _autorotate(components)
        header = read_header(source, autorotate=autorotate)
        page = _page(components, header.frames)
        frames = 1 if page is not None or header.format not in {"gif", "webp"} else header.frames
        check_limits(header, limits, frames=frames, source_bytes=len(source))
        # then the megapixel-operations estimate from the AST and the header, before decoding
        check_estimate(estimate(components, header.width, header.height, frames, max_side=limits.max_output_side), limits)
        writable_extension(output_options(components), request)  # `.svg`, `.bmp`, ...: 400 before decoding
        inputs = Inputs(request, limits, complete(focus), accept, dpr_hint, width_hint, named, load_layer, tuple(tags), context, metadata)
        ctx = Context(inputs, source, header, autorotate=autorotate, page=page)
        try:
            # a plain chain runs straight through the pipeline; t_/if_/$/layers need the chain level
            image = pipeline.run(ctx, components) if pipeline.plain(components) else chain.run(ctx, components)
            return finalize(ctx, image, components)
        except pyvips.Error as exc:
            check()  # killed by the deadline: a timeout, not bad data
            raise RenderError(f"Unreadable or corrupt image data ({str(exc).splitlines()[-1][:80]})") from None
