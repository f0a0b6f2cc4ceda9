"""Load step: decode the original once, shrinking on load when the first component reduces it."""

from __future__ import annotations

from .. import geometry, spec
from ..gravity import focus_targets
from ..focus import OnePass
from ..source import decode, stand_in
from .resize import resolve_target
from ..context import Context

__all__ = ["load"]


#: px: shrink-on-load stops at this longer side when the first component asks the
#: FocusProvider where to cut, so that what it finds (and caches for every rendition of the
#: asset) comes from a useful image, not from a thumbnail (faces of a group photo vanish at
#: 133 x 100 px).  1024 px = the largest detector input of edge.vision (FaceBoxes).
ANALYSIS_SIDE = 1024

def _asks_focus(ctx: Context, mode: str) -> bool:
    """True when the first component's plan asks the FocusProvider (content gravity, or the
    automatic gravity of `c_auto`/`c_auto_pad`/`c_fill_pad`) on a still image (the same rule
    as `resize.plan_step`)."""
    if mode in geometry.UNCUT_MODES or (ctx.header.frames > 1 and ctx.page is None):
        return False
    g = ctx.component.get("g")
    if g is not None:
        return getattr(g, "kind", None) not in {"compass", "xy_center"}
    return mode in geometry.AUTO_GRAVITY_MODES


def _answered_from_cache(ctx: Context, mode: str) -> bool:
    """True when the FocusProvider says (`FocusProvider.cached`) that every target the first
    component's gravity may ask for is already in its per-asset detection cache: the
    decision then needs no pixels, so shrink-on-load may go all the way (a second rendition
    costs about what a plain one does)."""
    focus = ctx.inputs.focus
    if focus is None:
        return False
    default = "auto" if mode in geometry.AUTO_GRAVITY_MODES else "center"
    targets = focus_targets(ctx.component.get("g"), default=default)
    aspect = ctx.header.width / ctx.header.height
    try:
        return bool(targets) and all(focus.cached(t, m, aspect=aspect) for t, m in targets)
    except Exception:  # noqa: BLE001 - an unknown name fails later, in gravity, with a 400
        return False


def _analysis_floor(ctx: Context, size: tuple[int, int]) -> tuple[int, int] | None:
    """`size` (a uniform reduction of the header size) raised so its longer side is at least
    `ANALYSIS_SIDE` px (never above the source), or None when that is the source size."""
    w, h = ctx.header.width, ctx.header.height
    k = max(size[0] / w, size[1] / h, min(1.0, ANALYSIS_SIDE / max(w, h)))
    if k >= 1.0:
        return None
    return max(1, round(w * k)), max(1, round(h * k))


def _shrink_target(ctx: Context) -> tuple[tuple[int, int] | None, bool]:
    """`(size, cached)`: `size` is the frame size (px) the first component resizes the whole
    image to, when that is a reduction that does not depend on gravity, else None; `cached`
    is True when the plan asks the FocusProvider and its detection cache answers every
    target (`_answered_from_cache`).  When the plan asks the provider and the cache does not
    answer, the reduction stops at `ANALYSIS_SIDE` px (the resize step finishes it)."""
    header = ctx.header
    if header.format == "svg":
        return None, False
    target = resolve_target(ctx, header.width, header.height)
    if target is None:
        return None, False
    mode = target.mode
    asks_focus = _asks_focus(ctx, mode)
    if mode in {"auto_pad", "fill_pad"} or (mode == "auto" and target.zoom is None):
        # these never scale above `fill`'s factor: shrinking to the fill size is safe, the
        # resize step finishes the job once gravity has chosen the scale
        mode = "fill"
    size = geometry.resize_only(
        mode, header.width, header.height, target.w, target.h, target.ar, target.ignore_aspect
    )
    if size is None or size[0] > header.width or size[1] > header.height:
        return None, False
    if size == (header.width, header.height):
        return None, False
    if asks_focus:
        if not _answered_from_cache(ctx, target.mode):
            return _analysis_floor(ctx, size), False
        return size, True
    return size, False


#: keys whose steps read the pixels once, top to bottom (safe on a sequential decode).
_STREAMING_KEYS = frozenset({"c", "w", "h", "ar", "dpr", "x", "y", "g", "b", "bo", "q", "f", "fl"})


def single_pass(ctx: Context, *, focus_cached: bool = False) -> bool:
    """True when the whole render reads the decoded pixels once, in order: one component of
    plain resize/crop/pad/border with compass gravity (or, when `focus_cached`, a content
    gravity the detection cache answers: the FocusProvider then gets `focus.OnePass`),
    no `b_auto`, no `fl_getinfo` (the bench case `c_fill,w_400,h_300,q_80`).  `q_auto` streams
    too: `encode.encode` computes the final image into memory once, top to bottom, before its
    search reads it (issue 16: one output-sized copy instead of two)."""
    comps = ctx.inputs.request.components
    if len(comps) != 1:
        return False
    comp = comps[0]
    if any(p.key not in _STREAMING_KEYS for p in comp):
        return False
    g = comp.get("g")
    if g is not None and getattr(g, "kind", None) != "compass" and not focus_cached:
        return False
    if getattr(comp.get("b"), "auto", None) is not None:
        return False
    if spec.crop_mode(comp) in geometry.AUTO_GRAVITY_MODES | {"thumb"}:
        return False
    return "getinfo" not in comp.flags


def load(ctx: Context) -> None:
    """Decode `ctx.source` into `ctx.image` (first component only): EXIF orientation unless
    `a_ignore`, `pg_N` frame selection, sRGB 8-bit, and shrink-on-load (then
    `ctx.geometry_size` is kept at the header size so the plan stays in source px); the
    decoded image is `ctx.whole` (see `Context.mark_whole`).

    A first component whose gravity the detection cache answers decodes single-pass like a
    plain fill (issue 16: a second rendition of an asset costs what a centre fill does); the
    provider is then wrapped in `focus.OnePass`, which hands it a random-access stand-in
    instead of the single-pass image should it need pixels after all."""
    if ctx.image is not None:
        return
    shrink, cached = _shrink_target(ctx) if ctx.index == 0 else (None, False)
    one_pass = shrink is not None and cached and ctx.default_view() and single_pass(ctx, focus_cached=True)
    ctx.image = decode(
        ctx.source, ctx.header, page=ctx.page, autorotate=ctx.autorotate, shrink_to=shrink,
        single_pass=shrink is not None and (one_pass or single_pass(ctx)),
    )
    if one_pass:
        source, header, autorotate = ctx.source, ctx.header, ctx.autorotate
        ctx.one_pass_focus = OnePass(ctx.inputs.focus, ctx.image,
                                     lambda: stand_in(source, header, shrink, autorotate=autorotate))
    ctx.mark_whole(ctx.image)
    if shrink is not None:
        ctx.geometry_size = (ctx.header.width, ctx.header.height)
