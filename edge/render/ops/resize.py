"""Resize and crop by crop mode and gravity: resolve the component's sizes, plan with
`geometry.plan`, then resize the whole image and cut the window."""

from __future__ import annotations

from dataclasses import dataclass


from edge.url.ast import AutoWidth, Gravity

from .. import geometry, spec
from ..errors import LimitError, RenderError
from ..gravity import decide
from ..frames import frame_height, map_frames
from ..context import Context

__all__ = ["Target", "resolve_target", "plan_step", "resize", "crop"]

_AUTO_ONLY = frozenset({"fill", "lfill", "fill_pad", "thumb", "crop", "auto", "auto_pad"})


@dataclass(frozen=True, slots=True)
class Target:
    """The geometry request of one component, resolved to px of a `width x height` input:
    crop `mode`, target `w`/`h` (dpr applied), `ar`, `zoom`, `x`/`y` offsets, flags."""

    mode: str
    w: float | None
    h: float | None
    ar: float | None
    zoom: float | None
    x: float | None
    y: float | None
    ignore_aspect: bool


def _dpr(ctx: Context) -> float:
    value = ctx.component.get("dpr")
    if value is None:
        return 1.0
    if spec.text(value) == "auto":
        return geometry.dpr_from_hint(ctx.inputs.dpr_hint)
    dpr = spec.number(value, "dpr")
    if dpr is None or dpr <= 0:
        raise RenderError(f"Invalid value for dpr: {spec.text(value)}")
    return dpr


def _width(ctx: Context, value, width: int) -> float | None:
    """`w_` in px; `w_auto[:step][:fallback]` rounds the width client hint (device px) up to
    `step` (default 100 px), else uses `fallback` (layout px), else keeps the input width."""
    if isinstance(value, AutoWidth):
        if ctx.inputs.width_hint:
            step = value.step or 100
            return float(-(-int(ctx.inputs.width_hint) // step) * step)
        return float(value.fallback) if value.fallback else None
    return spec.length(value, width, "w")


#: effects whose `x`, `y`, `w`, `h` qualifiers give the region they act on (Cloudinary docs:
#: blur_region / pixelate_region), so without `c_` the component does not resize.
REGION_EFFECTS = frozenset({"blur_region", "pixelate_region"})


def _region_effect(component) -> bool:
    """True when the component's effect (the last `e_`, as applied) is a region effect."""
    effects = [p.value for p in component if p.key == "e"]
    return bool(effects) and getattr(effects[-1], "name", None) in REGION_EFFECTS


def resolve_target(ctx: Context, width: int, height: int) -> Target | None:
    """The component's geometry request against a `width x height` input, or None when the
    component does not resize or crop.  Relative values (`w_0.5`, `x_0.1`) are fractions of the
    input side; `fl_relative` only changes layer sizing, so it is a no-op here.  Raises
    RenderError for impossible values."""
    comp = ctx.component
    mode = spec.crop_mode(comp)
    keys = {"w", "h", "ar"}
    if mode is None and not any(k in comp for k in keys):
        return None
    if mode is None and _region_effect(comp):
        return None  # x, y, w, h give the effect's region (`e_blur_region,w_200,...`), not a size
    w = _width(ctx, comp.get("w"), width)
    h = spec.length(comp.get("h"), height, "h")
    ar = spec.ratio(comp.get("ar"))
    for key, v in (("w", w), ("h", h)):
        if v is not None and v <= 0:
            raise RenderError(f"Invalid value for {key}: {spec.text(comp.get(key))}")
    dpr = _dpr(ctx)
    # the width client hint is already in device pixels (Cloudinary, "Responsive images using
    # client hints": Sec-CH-Width is "the width, in device pixels, that the image will
    # occupy"), so a `w_auto` read from it is not multiplied by the DPR again: `w_auto,dpr_auto`
    # with Sec-CH-Width 720 and Sec-CH-DPR 2 is 800 px (720 up to the 100 px step), not 1600.
    # `w_auto`'s fallback and `h_` are layout (CSS) px and are.
    from_hint = isinstance(comp.get("w"), AutoWidth) and bool(ctx.inputs.width_hint)
    w = w * dpr if w is not None and not from_hint else w
    h = h * dpr if h is not None else None
    mode = mode or "scale"
    if mode not in geometry.CROP_MODES:
        raise RenderError(f"Unsupported crop mode: {mode}")
    x = spec.length(comp.get("x"), width, "x")
    y = spec.length(comp.get("y"), height, "y")
    zoom = spec.number(comp.get("z"), "z")
    if zoom is not None and zoom <= 0:
        raise RenderError(f"Invalid value for z: {spec.text(comp.get('z'))}")
    return Target(mode, w, h, ar, zoom, x, y, "ignore_aspect_ratio" in comp.flags)


def plan_step(ctx: Context) -> None:
    """Compute `ctx.plan` and `ctx.decision` for the component (no pixels touched)."""
    width, height = ctx.geometry_size or (ctx.image.width, frame_height(ctx.image))
    ctx.geometry_size = (width, height)
    target = resolve_target(ctx, width, height)
    gravity: Gravity | None = ctx.component.get("g")
    if target is None:
        return
    if gravity is not None and gravity.kind == "auto" and target.mode not in _AUTO_ONLY:
        raise RenderError(f"Conflicting options: g_auto with c_{target.mode}")
    if target.mode in {"fill_pad", "auto_pad"} and gravity is not None and gravity.kind != "auto":
        raise RenderError(f"c_{target.mode} requires g_auto")
    animated = ctx.image.height > frame_height(ctx.image)
    if animated:
        # url-spec §7: on animations only stored custom coordinates count; everything else
        # is centred, and c_fill_pad cannot pad frames content-aware
        if target.mode == "fill_pad":
            raise RenderError("c_fill_pad is not supported for animated images")
        if gravity is not None and gravity.kind not in {"compass", "xy_center"}:
            gravity = None
    default = "auto" if target.mode in geometry.AUTO_GRAVITY_MODES and not animated else "center"
    needs_focus = (gravity is not None and gravity.kind not in {"compass", "xy_center"}) or default == "auto"
    if target.mode in geometry.UNCUT_MODES:
        needs_focus = False
    if needs_focus:
        decision = decide(gravity, ctx.image, ctx.focus_for(ctx.image), default=default)
        # regions are in image px; the plan works in geometry px
        k = width / ctx.image.width
        scale = (lambda b: tuple(int(round(v * k)) for v in b)) if k != 1 else (lambda b: tuple(b))
        focus = scale(decision.focus) if decision.focus else None
        avoid = tuple(scale(b) for b in decision.avoid)
        compass = decision.compass
    else:
        # modes that do not cut only use compass placement (content gravity is meaningless)
        compass_only = gravity is not None and gravity.kind in {"compass", "xy_center"}
        decision = decide(gravity, ctx.image, ctx.inputs.focus) if compass_only else None
        focus, avoid = None, ()
        compass = decision.compass if decision else None
    xy_center = gravity is not None and gravity.kind == "xy_center"
    if compass is None and focus is None and not xy_center and target.x is None and target.y is None:
        compass = "center"
    if gravity is None and target.mode != "crop":
        compass = "center"
    parts = tuple((scale(b), w) for b, w in decision.parts) if needs_focus else ()
    anchor = geometry.Anchor(compass, target.x, target.y, xy_center, focus, avoid, parts)
    try:
        plan = geometry.plan(
            target.mode, width, height, target.w, target.h,
            ar=target.ar, anchor=anchor, zoom=target.zoom, ignore_aspect=target.ignore_aspect,
        )
    except ValueError as exc:
        raise RenderError(str(exc)) from None
    side = max(*plan.resize, *plan.canvas)
    if side > ctx.inputs.limits.max_output_side:
        raise LimitError(f"Output too large: {side} px (max {ctx.inputs.limits.max_output_side})")
    ctx.plan = plan
    ctx.decision = decision
    if ctx.index == 0:
        ctx.source_box = plan.source_box(width, height)
    if decision is not None:
        info = decision.as_dict()
        if width != ctx.image.width:  # report boxes in geometry (source) px
            k = width / ctx.image.width
            for item in [info["focus"], *info["avoid"], *info["regions"]]:
                if item:
                    for key in ("x", "y", "width", "height"):
                        item[key] = int(round(item[key] * k))
        info["component"] = ctx.index
        info["crop"] = dict(zip(("x", "y", "width", "height"), plan.source_box(width, height)))
        ctx.decisions.append(info)


def resize(ctx: Context) -> None:
    """Resize the whole image to `ctx.plan.resize` (a no-op when shrink-on-load already did);
    a resize that keeps the aspect ratio (1 %) of `ctx.whole` keeps it whole."""
    plan = ctx.plan
    if plan is None:
        return
    rw, rh = plan.resize
    before = ctx.image
    fw, fh = before.width, frame_height(before)
    if (fw, fh) == (rw, rh):
        return
    ctx.image = map_frames(before, lambda f: f.thumbnail_image(rw, height=rh, size="force"))
    # a uniform resize of the whole asset still shows the whole asset (vision cache applies)
    if before is ctx.whole and abs(rw * fh - rh * fw) <= 0.01 * max(rw * fh, rh * fw):
        ctx.whole = ctx.image


def crop(ctx: Context) -> None:
    """Cut `ctx.plan.crop` out of the resized image (every frame)."""
    plan = ctx.plan
    if plan is None:
        return
    x, y, w, h = plan.crop
    if (x, y, w, h) == (0, 0, ctx.image.width, frame_height(ctx.image)):
        return
    ctx.image = map_frames(ctx.image, lambda f: f.crop(x, y, w, h))
