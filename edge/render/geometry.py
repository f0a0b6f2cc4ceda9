"""Size arithmetic of the crop modes (url-spec §6, §8): pure functions, no pixels, no I/O.

Vocabulary (all sizes in px unless said otherwise):
* the *input* is the image entering a transformation component, `W x H`;
* the *target* is the requested `w x h` after resolving relative values, `ar` and `dpr`;
* a `Plan` says: resize the whole input to `resize`, cut the `crop` window out of the resized
  image, and place it at `offset` on a `canvas` (larger than the window when padding).

Rounding is half-up (`round_px`), and every size is at least 1 px.  Rules the spec marks
[inferred] are documented on the function that implements them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .placement import best_window

__all__ = [
    "Box",
    "Anchor",
    "Plan",
    "CROP_MODES",
    "FOCUS_SIZED_MODES",
    "UNCUT_MODES",
    "AUTO_GRAVITY_MODES",
    "round_px",
    "dpr_from_hint",
    "target_size",
    "place_window",
    "place_window_avoiding",
    "place_in_canvas",
    "plan",
    "resize_only",
]

Box = tuple[int, int, int, int]  # (x, y, w, h) px

#: crop modes Edge renders.
CROP_MODES = frozenset(
    "scale fit limit mfit fill lfill pad lpad mpad fill_pad crop thumb auto auto_pad".split()
)
#: modes whose scale factor depends on the focus box (so no shrink-on-load before gravity).
FOCUS_SIZED_MODES = frozenset({"crop", "thumb", "auto", "auto_pad", "fill_pad"})
#: modes whose default gravity is automatic (`g_auto` without a `g_`).
AUTO_GRAVITY_MODES = frozenset({"auto", "auto_pad", "fill_pad"})
_CUTTING = frozenset({"crop", "fill", "lfill", "thumb", "auto", "fill_pad", "auto_pad"})
_PADDING = frozenset({"pad", "lpad", "mpad", "fit", "limit", "mfit"})
#: modes that never cut the image, so gravity only places it (compass) and content analysis
#: is never needed.
UNCUT_MODES = _PADDING | {"scale"}


def round_px(v: float) -> int:
    """Round half up to an int pixel count, at least 1."""
    return max(1, int(math.floor(v + 0.5)))


def dpr_from_hint(hint: float | None) -> float:
    """`dpr_auto`: the client-hint DPR (`Sec-CH-DPR`/`DPR`) rounded up to an integer and clamped
    to 1..4 (url-spec §13); 1 without a hint."""
    if hint is None or not math.isfinite(hint) or hint <= 0:
        return 1.0
    return float(min(4, max(1, math.ceil(hint - 1e-9))))


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a window sits: `compass` (north_west..south_east, center) plus `x`/`y` offsets in
    input px; `xy_center` centres the window on (`x`, `y`); `focus` is a box in input px to
    centre on (from gravity), `avoid` are boxes to keep out of the window.

    `compass=None` with `x`/`y` given means "top-left at (x, y)" (c_crop without gravity)."""

    compass: str | None = None
    x: float | None = None
    y: float | None = None
    xy_center: bool = False
    focus: Box | None = None
    avoid: tuple[Box, ...] = ()
    parts: tuple[tuple[Box, float], ...] = ()  # (box, weight) named inside `focus`: placement.best_window


@dataclass(frozen=True, slots=True)
class Plan:
    """How to turn a `W x H` input into the output.

    * `resize`: size of the whole input after resizing (equal to the input size: no resize);
    * `crop`: window `(x, y, w, h)` in resized px;
    * `canvas`: output size; `offset`: where the window's top-left goes on the canvas (padding
      when the canvas is larger than the window).
    """

    resize: tuple[int, int]
    crop: Box
    canvas: tuple[int, int]
    offset: tuple[int, int] = (0, 0)

    @property
    def pads(self) -> bool:
        """True when the canvas is larger than the crop window (the pad step fills it)."""
        return self.canvas != (self.crop[2], self.crop[3])

    def source_box(self, width: int, height: int) -> Box:
        """The crop window in input px (input `width x height`)."""
        sx = width / self.resize[0]
        sy = height / self.resize[1]
        x, y, w, h = self.crop
        return (int(round(x * sx)), int(round(y * sy)), max(1, int(round(w * sx))), max(1, int(round(h * sy))))


def target_size(
    mode: str,
    width: int,
    height: int,
    w: float | None,
    h: float | None,
    ar: float | None,
) -> tuple[float | None, float | None]:
    """Resolve `ar` against `w`/`h` (url-spec §6 notation).

    * both `w` and `h`: `ar` is ignored [inferred];
    * one of them plus `ar`: the other is `w / ar` or `h * ar`;
    * `ar` alone: cutting modes use the largest box of that ratio inside the input; padding
      and fitting modes the smallest box of that ratio containing it [inferred]; `scale` keeps
      the input width and derives the height (so the image is distorted) [inferred].
    """
    if ar is None or ar <= 0 or (w is not None and h is not None):
        return w, h
    if w is not None:
        return w, w / ar
    if h is not None:
        return h * ar, h
    if mode in _CUTTING:
        if width / height > ar:
            return height * ar, float(height)
        return float(width), width / ar
    if mode in _PADDING:
        if width / height > ar:
            return float(width), width / ar
        return height * ar, float(height)
    return float(width), width / ar


def _scales(width: int, height: int, w: float | None, h: float | None) -> list[float]:
    """The scale factors that bring the input's width to `w` and its height to `h` (given ones)."""
    return [t / side for t, side in ((w, width), (h, height)) if t]


def _fit_scale(width: int, height: int, w: float | None, h: float | None) -> float:
    """The scale at which the input fits inside `w x h` (1 without a target)."""
    return min(_scales(width, height, w, h), default=1.0)


def _cover_scale(width: int, height: int, w: float | None, h: float | None) -> float:
    """The scale at which the input covers `w x h` (1 without a target)."""
    return max(_scales(width, height, w, h), default=1.0)


def _axis(compass: str | None) -> tuple[float, float]:
    """Fractions (0 = left/top, 0.5 = centre, 1 = right/bottom) of a compass point."""
    c = compass or "center"
    fx = 0.0 if "west" in c else 1.0 if "east" in c else 0.5
    fy = 0.0 if "north" in c else 1.0 if "south" in c else 0.5
    return fx, fy


def _clamp(v: float, lo: float, hi: float) -> int:
    """`v` floored (as libvips centres crops: `(451 - 400) // 2 = 25`) and clamped."""
    if hi < lo:
        return int(math.floor(lo))
    return int(math.floor(min(max(v, lo), hi) + 1e-9))


def place_window(width: int, height: int, cw: int, ch: int, anchor: Anchor, scale: float = 1.0) -> tuple[int, int]:
    """Top-left of a `cw x ch` window inside a `width x height` image, clamped to the image.

    `anchor` values (offsets, focus) are in input px and multiplied by `scale` (the resize
    factor applied before cropping).  Compass offsets point inwards: for `*_east` a positive
    `x` moves the window left, for `south*` a positive `y` moves it up (url-spec §7).
    """
    if anchor.focus is not None:
        fx, fy, fw, fh = (v * scale for v in anchor.focus)
        x = fx + fw / 2 - cw / 2
        y = fy + fh / 2 - ch / 2
        if anchor.parts and (fw > cw + 0.5 or fh > ch + 0.5):  # the named boxes do not all fit
            boxes = [[v * scale for v in b] for b, _ in anchor.parts]
            x, y = best_window(width, height, cw, ch, boxes, [w for _, w in anchor.parts])
    elif anchor.xy_center:
        x = (anchor.x or 0) * scale - cw / 2
        y = (anchor.y or 0) * scale - ch / 2
    elif anchor.compass is None and (anchor.x is not None or anchor.y is not None):
        x = (anchor.x or 0) * scale
        y = (anchor.y or 0) * scale
    else:
        ax, ay = _axis(anchor.compass)
        x = (width - cw) * ax
        y = (height - ch) * ay
        dx = (anchor.x or 0) * scale
        dy = (anchor.y or 0) * scale
        x += -dx if ax == 1.0 else dx
        y += -dy if ay == 1.0 else dy
    if anchor.avoid:
        return place_window_avoiding(
            width, height, cw, ch, (x, y), [tuple(v * scale for v in b) for b in anchor.avoid]
        )
    return _clamp(x, 0, width - cw), _clamp(y, 0, height - ch)


def _overlap(x: float, y: float, cw: float, ch: float, boxes: Sequence[Sequence[float]]) -> float:
    total = 0.0
    for bx, by, bw, bh in boxes:
        ix = min(x + cw, bx + bw) - max(x, bx)
        iy = min(y + ch, by + bh) - max(y, by)
        if ix > 0 and iy > 0:
            total += ix * iy
    return total


def place_window_avoiding(
    width: int,
    height: int,
    cw: int,
    ch: int,
    preferred: tuple[float, float],
    avoid: Sequence[Sequence[float]],
    steps: int = 48,
) -> tuple[int, int]:
    """Top-left of the `cw x ch` window that minimises the avoided area inside it
    (`g_auto:<obj>_avoid`); ties go to the position nearest `preferred`.

    Candidates: an even grid of `steps + 1` positions per free axis plus every position that
    puts a window edge on an avoided box's edge, so an exact escape is always found."""
    max_x, max_y = max(0, width - cw), max(0, height - ch)
    xs = {max_x * i / steps for i in range(steps + 1)} if max_x else {0.0}
    ys = {max_y * i / steps for i in range(steps + 1)} if max_y else {0.0}
    for bx, by, bw, bh in avoid:
        xs.update(v for v in (bx + bw, bx - cw) if 0 <= v <= max_x)
        ys.update(v for v in (by + bh, by - ch) if 0 <= v <= max_y)
    px, py = min(max(preferred[0], 0), max_x), min(max(preferred[1], 0), max_y)
    best = min(
        ((round(_overlap(x, y, cw, ch, avoid), 3), (x - px) ** 2 + (y - py) ** 2, x, y) for x in xs for y in ys)
    )
    return int(round(best[2])), int(round(best[3]))


def place_in_canvas(canvas: tuple[int, int], size: tuple[int, int], anchor: Anchor) -> tuple[int, int]:
    """Top-left of a `size` image on a padding `canvas` placed by compass gravity and x/y
    offsets (focus boxes do not move padded content; it is centred)."""
    cw, ch = canvas
    w, h = size
    ax, ay = _axis(anchor.compass)
    x = (cw - w) * ax + ((anchor.x or 0) * (-1 if ax == 1.0 else 1) if anchor.compass else 0)
    y = (ch - h) * ay + ((anchor.y or 0) * (-1 if ay == 1.0 else 1) if anchor.compass else 0)
    return _clamp(x, 0, cw - w), _clamp(y, 0, ch - h)


def resize_only(mode: str, width: int, height: int, w: float | None, h: float | None,
                ar: float | None = None, ignore_aspect: bool = False) -> tuple[int, int] | None:
    """The whole-image resize of `mode` when it does not depend on gravity (used for
    shrink-on-load), else None."""
    if mode in FOCUS_SIZED_MODES:
        return None
    return plan(mode, width, height, w, h, ar=ar, ignore_aspect=ignore_aspect).resize


def _thumb_window(width: int, height: int, tw: float, th: float, focus: Box, zoom: float) -> tuple[float, float]:
    """Size (input px) of a `tw:th` window around `focus` for `c_thumb`/`c_auto` with zoom.

    The window is the smallest box of the target ratio containing the focus box grown by
    1/zoom (zoom 1 = tight, < 1 shows more context), then clipped to the image while keeping
    the ratio [inferred: Cloudinary does not publish its margin]."""
    ratio = tw / th
    fw, fh = focus[2] / max(zoom, 1e-6), focus[3] / max(zoom, 1e-6)
    cw, ch = (fw, fw / ratio) if fw / fh >= ratio else (fh * ratio, fh)
    if cw > width:
        cw, ch = width, width / ratio
    if ch > height:
        cw, ch = height * ratio, height
    return cw, ch


def plan(
    mode: str,
    width: int,
    height: int,
    w: float | None,
    h: float | None,
    *,
    ar: float | None = None,
    anchor: Anchor = Anchor(),
    zoom: float | None = None,
    ignore_aspect: bool = False,
) -> Plan:
    """The `Plan` for crop mode `mode` on a `width x height` input (url-spec §6).

    `w`, `h` are target px (relative values, expressions and `dpr` already resolved; None when
    absent); `ar` a ratio w/h; `anchor` the gravity placement (a `focus` box in input px for
    face/object/auto gravity); `zoom` the `z_` factor; `ignore_aspect` the
    `fl_ignore_aspect_ratio` flag.  Rules:

    * `scale`: exactly `w x h`; with one side the other follows the aspect ratio (or keeps the
      input size with `ignore_aspect`).
    * `fit`/`limit`/`mfit`: `s = min(w/W, h/H)`; `limit` caps `s` at 1, `mfit` floors it at 1.
    * `fill`: `s = max(w/W, h/H)`, then a `w x h` window placed by gravity.
    * `lfill`: as `fill` when that shrinks; otherwise no upscaling and the window is the
      largest box of the `w:h` ratio inside `min(w, W) x min(h, H)` [inferred].
    * `pad`/`lpad`: `s = min(w/W, h/H)` (`lpad`: at most 1), then a `w x h` canvas.
    * `mpad`: never scales; canvas `max(w, W) x max(h, H)` (a box smaller than the input leaves
      it untouched) [inferred for mixed cases].
    * `crop`: no scaling; a `w x h` window (a missing side is the full input side; without any
      size but with a focus box the window is that box grown by 1/zoom).
    * `thumb`/`auto`: exactly `w x h`; with a focus box the window hugs it (see
      `_thumb_window`), otherwise they behave as `fill`; `auto` zooms like `thumb` only with
      `z_`, else it is a `fill` centred on the focus [inferred].
    * `fill_pad`/`auto_pad`: the largest scale between `pad` and `fill` at which the focus box
      still fits the `w x h` window, padding what the image does not cover.
    """
    if mode not in CROP_MODES:
        raise ValueError(f"unknown crop mode {mode}")
    w, h = target_size(mode, width, height, w, h, ar)
    whole = (0, 0, width, height)

    if mode == "scale" or ((w is None or h is None) and mode in {"fill", "lfill", "thumb", "auto", "fill_pad", "auto_pad"}):
        if w is None and h is None:
            return Plan((width, height), whole, (width, height))
        if w is None:
            rw = width if ignore_aspect else round_px(width * h / height)
            rh = round_px(h)
        elif h is None:
            rw = round_px(w)
            rh = height if ignore_aspect else round_px(height * w / width)
        else:
            rw, rh = round_px(w), round_px(h)
        if mode == "lfill" and (rw > width or rh > height):
            rw, rh = width, height
        return Plan((rw, rh), (0, 0, rw, rh), (rw, rh))

    if mode in {"fit", "limit", "mfit"}:
        s = _fit_scale(width, height, w, h)
        s = min(1.0, s) if mode == "limit" else max(1.0, s) if mode == "mfit" else s
        rw, rh = round_px(width * s), round_px(height * s)
        return Plan((rw, rh), (0, 0, rw, rh), (rw, rh))

    if mode in {"pad", "lpad", "mpad"}:
        if ignore_aspect and (w is None) != (h is None):
            # `c_lpad,fl_ignore_aspect_ratio,w_450`: the missing side keeps the input size,
            # so only the given side is padded
            w = w if w is not None else float(width)
            h = h if h is not None else float(height)
        if mode == "mpad":
            rw, rh = width, height
            cw = max(round_px(w), width) if w else width
            chh = max(round_px(h), height) if h else height
        else:
            s = _fit_scale(width, height, w, h)
            if mode == "lpad":
                s = min(1.0, s)
            rw, rh = round_px(width * s), round_px(height * s)
            cw = round_px(w) if w else rw
            chh = round_px(h) if h else rh
            rw, rh = min(rw, cw), min(rh, chh)
        off = place_in_canvas((cw, chh), (rw, rh), anchor)
        return Plan((rw, rh), (0, 0, rw, rh), (cw, chh), off)

    if mode == "crop":
        if w is None and h is None and anchor.focus is not None:
            fx, fy, fw, fh = anchor.focus
            z = zoom or 1.0
            cw, ch = min(width, round_px(fw / z)), min(height, round_px(fh / z))
            x = _clamp(fx + fw / 2 - cw / 2, 0, width - cw)
            y = _clamp(fy + fh / 2 - ch / 2, 0, height - ch)
            return Plan((width, height), (x, y, cw, ch), (cw, ch))
        cw = min(width, round_px(w)) if w is not None else width
        ch = min(height, round_px(h)) if h is not None else height
        x, y = place_window(width, height, cw, ch, anchor)
        return Plan((width, height), (x, y, cw, ch), (cw, ch))

    assert w is not None and h is not None
    tw, th = round_px(w), round_px(h)

    if mode in {"fill_pad", "auto_pad"}:
        s_fill = _cover_scale(width, height, w, h)
        s_pad = _fit_scale(width, height, w, h)
        s = s_fill
        if anchor.focus is not None:
            fw, fh = max(1, anchor.focus[2]), max(1, anchor.focus[3])
            s = min(max(min(w / fw, h / fh), s_pad), s_fill)
        rw, rh = round_px(width * s), round_px(height * s)
        cw, ch = min(tw, rw), min(th, rh)
        x, y = place_window(rw, rh, cw, ch, anchor, s)
        off = place_in_canvas((tw, th), (cw, ch), Anchor())
        return Plan((rw, rh), (x, y, cw, ch), (tw, th), off)

    if anchor.focus is not None and (mode == "thumb" or (mode == "auto" and zoom is not None)):
        cw_in, ch_in = _thumb_window(width, height, w, h, anchor.focus, zoom or 1.0)
        s = w / cw_in
        rw, rh = round_px(width * s), round_px(height * s)
        cw, ch = min(tw, rw), min(th, rh)
        x, y = place_window(rw, rh, cw, ch, anchor, s)
        return Plan((rw, rh), (x, y, cw, ch), (cw, ch))

    # fill, lfill, and thumb/auto without a focus box
    s = _cover_scale(width, height, w, h)
    if mode == "lfill" and s > 1.0:
        lw, lh = min(w, width), min(h, height)
        ratio = w / h
        cw, ch = (lw, lw / ratio) if lw / lh <= ratio else (lh * ratio, lh)
        cw, ch = min(width, round_px(cw)), min(height, round_px(ch))
        x, y = place_window(width, height, cw, ch, anchor)
        return Plan((width, height), (x, y, cw, ch), (cw, ch))
    rw, rh = round_px(width * s), round_px(height * s)
    cw, ch = min(tw, rw), min(th, rh)
    x, y = place_window(rw, rh, cw, ch, anchor, s)
    return Plan((rw, rh), (x, y, cw, ch), (cw, ch))
