"""Geometric effects: `e_distort` (perspective by 4 corners, or `arc`) and `e_shear`.

All resample with libvips (`mapim` with a computed index image, `affine`), bilinear, and make
uncovered pixels transparent, so the result always has an alpha band.

* distort `x1:y1:x2:y2:x3:y3:x4:y4`: new px positions of the top-left, top-right,
  bottom-right and bottom-left corners; the canvas is the points' bounding box.  The
  homography is solved with numpy (the standard 8-equation DLT, Heckbert 1989 "Fundamentals
  of texture mapping and image warping").
* distort `arc:<deg>`: bends the image into an arc of that angle (ImageMagick `-distort Arc`
  geometry): the top edge on an outer radius R = width / angle, the bottom on R - height,
  centred on the top; negative angles bend the other way (the result is flipped vertically).
* shear `<xdeg>:<ydeg>` (each -89..89): the affine `[[1, tan x], [tan y, 1]]`.
"""

from __future__ import annotations

import math

import numpy as np
import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import check_side, to_uchar, with_alpha
from edge.render.effects.args import number
from edge.url.ast import Effect
from edge.url.errors import UrlError

__all__ = ["homography", "perspective", "arc", "distort", "shear", "MAX_COORD"]

MAX_COORD = 16384
"""Largest absolute corner coordinate (px) `e_distort` accepts (beyond: UrlError)."""


def homography(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> np.ndarray:
    """The 3x3 matrix H with H @ (x, y, 1) ~ (u, v, 1) for the 4 point pairs src -> dst.

    Raises UrlError when the points are degenerate (three collinear)."""
    a, b = [], []
    for (x, y), (u, v) in zip(src, dst):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    try:
        h = np.linalg.solve(np.array(a, dtype=np.float64), np.array(b, dtype=np.float64))
    except np.linalg.LinAlgError:
        raise UrlError("Invalid value for e_distort: the corners are degenerate") from None
    return np.append(h, 1.0).reshape(3, 3)


def _check_canvas(w: float, h: float, name: str = "distort") -> None:
    if w < 1 or h < 1:
        raise UrlError(f"Invalid value for e_{name}: the output would be empty")
    check_side(w, h, name)


def perspective(image: pyvips.Image, corners: list[tuple[float, float]]) -> pyvips.Image:
    """Warp `image` so its corners (TL, TR, BR, BL) land on `corners` (px)."""
    src = with_alpha(image)
    w, h = src.width, src.height
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    x0, y0 = min(xs), min(ys)
    W, H = math.ceil(max(xs) - x0), math.ceil(max(ys) - y0)
    _check_canvas(W, H)
    dst = [(x - x0, y - y0) for x, y in corners]
    inv = homography(dst, [(0, 0), (w, 0), (w, h), (0, h)])
    xy = pyvips.Image.xyz(W, H).cast("float") + 0.5
    X, Y = xy.extract_band(0), xy.extract_band(1)
    den = X * inv[2, 0] + Y * inv[2, 1] + inv[2, 2]
    u = (X * inv[0, 0] + Y * inv[0, 1] + inv[0, 2]) / den - 0.5
    v = (X * inv[1, 0] + Y * inv[1, 1] + inv[1, 2]) / den - 0.5
    out = src.mapim(u.bandjoin(v), interpolate=pyvips.Interpolate.new("bilinear"), extend="background", background=[0, 0, 0, 0])
    return to_uchar(out).copy(interpretation="srgb")


def arc(image: pyvips.Image, degrees: float) -> pyvips.Image:
    """Bend `image` into an arc of `degrees` (see the module docstring)."""
    src = with_alpha(image)
    flip = degrees < 0
    if flip:
        src = src.flipver()
    w, h = src.width, src.height
    angle = math.radians(abs(degrees))
    r_out = max(w / angle, h + 1.0)
    r_in = r_out - h
    half = angle / 2
    # bounding box of the annular sector centred on "up" (-90 deg)
    thetas = [-math.pi / 2 - half, -math.pi / 2 + half] + [t for t in (-math.pi / 2, 0.0, math.pi / 2, math.pi, -math.pi)
                                                            if -math.pi / 2 - half <= t <= -math.pi / 2 + half or -math.pi / 2 - half <= t - 2 * math.pi <= -math.pi / 2 + half]
    pts = [(r * math.cos(t), r * math.sin(t)) for t in thetas for r in (r_in, r_out)]
    minx, maxx = min(p[0] for p in pts), max(p[0] for p in pts)
    miny, maxy = min(p[1] for p in pts), max(p[1] for p in pts)
    W, H = math.ceil(maxx - minx), math.ceil(maxy - miny)
    _check_canvas(W, H)
    xy = pyvips.Image.xyz(W, H).cast("float") + 0.5
    X = xy.extract_band(0) + minx
    Y = xy.extract_band(1) + miny
    r = (X * X + Y * Y) ** 0.5
    theta = Y.math2(X, "atan2")  # degrees, 0..360
    rel = (theta - (270 - math.degrees(half)) + 360) % 360  # 0 at the arc's left end
    u = rel / math.degrees(angle) * w - 0.5
    v = (r_out - r) - 0.5
    out = src.mapim(u.bandjoin(v), interpolate=pyvips.Interpolate.new("bilinear"), extend="background", background=[0, 0, 0, 0])
    if flip:
        out = out.flipver()
    return to_uchar(out).copy(interpretation="srgb")


@register("distort")
def distort(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_distort:x1:y1:x2:y2:x3:y3:x4:y4` or `e_distort:arc:<-360..360, not 0>`."""
    if effect.args and effect.args[0] == "arc":
        if len(effect.args) != 2:
            raise UrlError("Invalid value for e_distort: arc takes one angle")
        degrees = number(effect, 1, 0, -360, 360)
        if degrees == 0:
            raise UrlError("Invalid value for e_distort: arc angle must not be 0")
        return arc(image, degrees)
    if len(effect.args) != 8:
        raise UrlError("Invalid value for e_distort: expected 8 coordinates or arc:<degrees>")
    v = [number(effect, i, 0, -MAX_COORD, MAX_COORD) for i in range(8)]
    return perspective(image, [(v[0], v[1]), (v[2], v[3]), (v[4], v[5]), (v[6], v[7])])


@register("shear")
def shear(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_shear:<xdeg>:<ydeg>`: skew; the canvas grows to hold the result (transparent)."""
    if not effect.args:
        raise UrlError("Invalid value for e_shear: expected <x degrees>:<y degrees>")
    ax = number(effect, 0, 0, -89, 89)
    ay = number(effect, 1, 0, -89, 89)
    src = with_alpha(image)
    tx, ty = math.tan(math.radians(ax)), math.tan(math.radians(ay))
    if abs(1 - tx * ty) < 1e-3:
        raise UrlError("Invalid value for e_shear: the angles make the image degenerate")
    W = src.width + abs(tx) * src.height
    H = src.height + abs(ty) * src.width
    _check_canvas(W, H, "shear")
    out = src.affine([1, tx, ty, 1], interpolate=pyvips.Interpolate.new("bilinear"), extend="background", background=[0, 0, 0, 0])
    return to_uchar(out).copy(interpretation="srgb")
