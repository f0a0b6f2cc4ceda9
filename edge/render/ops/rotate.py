"""Rotate step: `a_<degrees>` (clockwise), `a_hflip`, `a_vflip`, `a_auto_right|auto_left`;
`a_ignore` is handled at load (no EXIF orientation)."""

from __future__ import annotations

from .. import spec
from .background import background_rgba
from ..frames import frame_height, map_frames
from ..context import Context

__all__ = ["rotate"]


def _rotate(frame, degrees: float, fill):
    d = degrees % 360
    if d == 0:
        return frame
    if d in (90, 180, 270):
        return frame.rot(f"d{int(d)}")
    if not frame.hasalpha() and len(fill) == 4:
        frame = frame.bandjoin(255)
    background = fill if frame.hasalpha() else fill[:3]
    return frame.rotate(d, background=background)


def rotate(ctx: Context) -> None:
    """Apply the angle steps in URL order to every frame.  Arbitrary angles grow the canvas to
    the rotated bounding box, filled with `b_` (transparent by default, as Cloudinary renders
    rotated PNGs; JPEG output flattens it to white).  `auto_right`/`auto_left` rotate by +/-90
    only when the image orientation (landscape/portrait) differs from the requested `w:h`."""
    steps = spec.angles(ctx.component.get("a"))
    if not steps:
        return
    fill = list(background_rgba(ctx.component.get("b"), ctx.image, True))
    image = ctx.image
    for step in steps:
        if step == "hflip":
            image = map_frames(image, lambda f: f.fliphor())
        elif step == "vflip":
            image = map_frames(image, lambda f: f.flipver())
        elif step in ("auto_right", "auto_left"):
            w, h = ctx.component.get("w"), ctx.component.get("h")
            if w is None or h is None or ctx.plan is None:
                continue
            tw, th = ctx.plan.canvas
            if (tw >= th) != (image.width >= frame_height(image)):
                deg = 90 if step == "auto_right" else 270
                image = map_frames(image, lambda f, d=deg: _rotate(f, d, fill))
        elif isinstance(step, float):
            if step % 90:
                ctx.charge(image)
            image = map_frames(image, lambda f, d=step: _rotate(f, d, fill))
    ctx.image = image
