"""`render(source, request) -> Rendered`: the whole render of one derived asset."""

from __future__ import annotations

import posixpath
from typing import Any, Callable, Mapping, Sequence

import pyvips

from edge.url.ast import Component, DeliveryRequest, Layer

from . import spec
from .encode import CONTENT_TYPES, choose_format, encode, output_options, writable_extension
from .cost import check_chain, check_estimate, estimate
from .deadline import budget, check
from .errors import RenderError
from .focus import FocusProvider
from .info import getinfo, to_json
from .limits import Limits
from .ops.frames import frame_height
from .pipeline import Context, run
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
    * `focus`: a FocusProvider for face/object/text gravity (default: saliency only);
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
    costly operations, megapixel-operations; checked before decoding); `RenderTimeout` (503) past the deadline; `edge.url.UrlError` (400) may come
    from effect argument checks.
    """
    with budget(deadline):
        limits = limits or Limits()
        # URL limits before anything is read: components and costly operations, counted on the
        # chain with t_ expanded (which also decides pg_, a_ignore and the URL-wide flags, so a
        # named transformation behaves exactly as its expansion written out)
        chain = check_chain(request.components, named, limits)
        autorotate = _autorotate(chain)
        header = read_header(source, autorotate=autorotate)
        page = _page(chain, header.frames)
        frames = 1 if page is not None or header.format not in {"gif", "webp"} else header.frames
        check_limits(header, limits, frames=frames, source_bytes=len(source))
        # then the megapixel-operations estimate from the AST and the header, before decoding
        check_estimate(estimate(chain, header.width, header.height, frames, max_side=limits.max_output_side), limits)
        writable_extension(output_options(chain), request)  # `.svg`, `.bmp`, ...: 400 before decoding
        ctx = Context(
            source=source,
            header=header,
            request=request,
            limits=limits,
            focus=focus,
            accept=accept,
            dpr_hint=dpr_hint,
            width_hint=width_hint,
            autorotate=autorotate,
            page=page,
            named=named,
            load_layer=load_layer,
            tags=tuple(tags),
            context=context,
            metadata=metadata,
        )
        try:
            image = run(ctx)
            # the encoder follows the components that ran (not skipped if_ branches; named
            # transformations expanded); fl_getinfo/fl_attachment may sit anywhere in the URL
            options = output_options(tuple(ctx.ran))
            url_flags = output_options(chain).flags
            for name in ("getinfo", "attachment"):
                if name in url_flags and name not in options.flags:
                    options.flags[name] = url_flags[name]
            fh = frame_height(image)
            animated = image.height // fh > 1
            fmt, vary = choose_format(
                options, request, header.format, accept, alpha=image.hasalpha(), animated=animated
            )
            if "getinfo" in options.flags:
                out_frames = image.height // fh if fmt in {"gif", "webp"} else 1
                info = getinfo(ctx, width=image.width, height=fh, fmt=fmt, frames=out_frames)
                return Rendered(to_json(info), "json", image.width, fh, "application/json", vary_accept=vary, info=info)
            data, encoded, quality = encode(image, fmt, options, frame_height=fh)
        except pyvips.Error as exc:
            check()  # killed by the deadline: a timeout, not bad data
            raise RenderError(f"Unreadable or corrupt image data ({str(exc).splitlines()[-1][:80]})") from None
        out_fh = frame_height(encoded)
        attachment = None
        if "attachment" in options.flags:
            attachment = options.flags["attachment"] or posixpath.basename(request.public_id) or "image"
        return Rendered(
            data=data,
            format=fmt,
            width=encoded.width,
            height=out_fh,
            content_type=CONTENT_TYPES[fmt],
            attachment=attachment,
            vary_accept=vary,
            frames=encoded.height // out_fh,
            quality=quality,
            notice=_notice(image),
        )


#: pyvips metadata fields that effects set to report a departure from the request
#: (`edge.render.effects.extract.METADATA`), mapped to the notice prefix.
NOTICE_FIELDS = {"edge-extract": "extract"}


def _notice(image: pyvips.Image) -> str | None:
    """The `Rendered.notice` carried by `image`'s metadata, or None."""
    notes = [f"{label}: {image.get(name)}" for name, label in NOTICE_FIELDS.items() if image.get_typeof(name)]
    return "; ".join(notes) or None
