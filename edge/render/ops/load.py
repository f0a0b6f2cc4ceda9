"""Load step: decode the original once, shrinking on load when the first component reduces it."""

from __future__ import annotations

from .. import geometry, spec
from ..source import decode
from .resize import resolve_target

__all__ = ["load"]


def _shrink_target(ctx) -> tuple[int, int] | None:
    """Frame size (px) the first component resizes the whole image to, when that is a
    reduction that does not depend on gravity; else None."""
    header = ctx.header
    if header.format == "svg":
        return None
    target = resolve_target(ctx, header.width, header.height)
    if target is None:
        return None
    mode = target.mode
    if mode in {"auto_pad", "fill_pad"} or (mode == "auto" and target.zoom is None):
        # these never scale above `fill`'s factor: shrinking to the fill size is safe, the
        # resize step finishes the job once gravity has chosen the scale
        mode = "fill"
    size = geometry.resize_only(
        mode, header.width, header.height, target.w, target.h, target.ar, target.ignore_aspect
    )
    if size is None or size[0] > header.width or size[1] > header.height:
        return None
    if size == (header.width, header.height):
        return None
    return size


#: keys whose steps read the pixels once, top to bottom (safe on a sequential decode).
_STREAMING_KEYS = frozenset({"c", "w", "h", "ar", "dpr", "x", "y", "g", "b", "bo", "q", "f", "fl"})


def single_pass(ctx) -> bool:
    """True when the whole render reads the decoded pixels once, in order: one component of
    plain resize/crop/pad/border with compass gravity, a fixed quality, no `b_auto`, no
    `fl_getinfo` (the bench case `c_fill,w_400,h_300,q_80`)."""
    comps = ctx.request.components
    if len(comps) != 1:
        return False
    comp = comps[0]
    if any(p.key not in _STREAMING_KEYS for p in comp):
        return False
    g = comp.get("g")
    if g is not None and getattr(g, "kind", None) != "compass":
        return False
    if getattr(comp.get("b"), "auto", None) is not None:
        return False
    q = comp.get("q")
    if q is not None and getattr(q, "auto_level", None) is not None:
        return False
    if spec.crop_mode(comp) in {"auto", "auto_pad", "fill_pad", "thumb"}:
        return False
    return "getinfo" not in comp.flags


def load(ctx) -> None:
    """Decode `ctx.source` into `ctx.image` (first component only): EXIF orientation unless
    `a_ignore`, `pg_N` frame selection, sRGB 8-bit, and shrink-on-load (`ctx.preshrunk`,
    with `ctx.geometry_size` kept at the header size so the plan stays in source px)."""
    if ctx.image is not None:
        return
    shrink = _shrink_target(ctx) if ctx.index == 0 else None
    ctx.image = decode(
        ctx.source, ctx.header, page=ctx.page, autorotate=ctx.autorotate, shrink_to=shrink,
        single_pass=shrink is not None and single_pass(ctx),
    )
    if shrink is not None:
        ctx.preshrunk = shrink
        ctx.geometry_size = (ctx.header.width, ctx.header.height)
