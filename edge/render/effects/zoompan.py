"""`e_zoompan[:mode_<m>][;maxzoom_<1.1..8>][;du_<1..30>][;fps_<5..60>][;from_(...)][;to_(...)]`:
a still image becomes an animation that zooms and pans from one view to another.

A view is a centre point and a zoom (1 = the whole image; z shows 1/z of each side).
* Modes (defaults: `ztc`, maxzoom 1.4, du 4 s, fps 25, url-spec section 9): `ztc`/`ztl`/`ztr`
  zoom from the whole image to maxzoom at the centre / top-left / top-right corner; `ofc`/
  `ofl`/`ofr` the reverse (zoom out to the whole image); `plr`/`prl` pan at maxzoom from the
  left edge to the right edge / the reverse.
* `from_(...)` / `to_(...)` override a mode's start / end view with ``g_<gravity>`` (any `g_`
  value, decided exactly as for a crop by `edge.render.gravity.decide` with the component's
  FocusProvider: compass, `auto`, `auto:<object>`, `face`, `faces`, an object such as `hat`),
  ``zoom_<1..8>`` and ``x_``/``y_`` (the centre, px, or a ratio of the size when below 1).  A
  view on a focus box without `zoom` zooms until the box fills the frame.
Frames: du x fps, at most `MAX_FRAMES` (then fewer frames, each shown longer); the frame size is
the image size, scaled down so all frames together hold at most `MAX_PIXELS` pixels.  The
centre moves linearly and the zoom geometrically (constant apparent speed), both eased with
smoothstep (Edge's choices).  The result is a vertically stacked animation (`page-height`,
`delay` ms per frame, `loop` 0) that the encoder writes as animated WebP/GIF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pyvips

from edge.render.deadline import guard
from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import to_uchar
from edge.render.effects.args import option_number, parse_number
from edge.render.gravity import decide
from edge.url.ast import Effect
from edge.url.errors import UrlError
from edge.url.gravity import parse_gravity

__all__ = ["View", "zoompan", "views_for_mode", "MAX_FRAMES", "MAX_PIXELS", "MODES"]

MAX_FRAMES = 100
MAX_PIXELS = 6_000_000  # px over all frames (GIF encoding of 40 MP took minutes)
MODES = ("ztc", "ztl", "ztr", "ofc", "ofl", "ofr", "plr", "prl")


@dataclass(frozen=True, slots=True)
class View:
    """A camera view: centre `(cx, cy)` as ratios of the image size (0..1), `zoom` >= 1."""

    cx: float
    cy: float
    zoom: float


def views_for_mode(mode: str, maxzoom: float) -> tuple[View, View]:
    """(start, end) views of a mode (see the module doc); corners are where a window of
    1/maxzoom of the image touches that corner."""
    half = 0.5 / maxzoom
    whole = View(0.5, 0.5, 1.0)
    tl, tr = View(half, half, maxzoom), View(1 - half, half, maxzoom)
    table = {
        "ztc": (whole, View(0.5, 0.5, maxzoom)), "ztl": (whole, tl), "ztr": (whole, tr),
        "ofc": (View(0.5, 0.5, maxzoom), whole), "ofl": (tl, whole), "ofr": (tr, whole),
        "plr": (View(half, 0.5, maxzoom), View(1 - half, 0.5, maxzoom)),
        "prl": (View(1 - half, 0.5, maxzoom), View(half, 0.5, maxzoom)),
    }
    return table[mode]


def _options(effect: Effect, text: str) -> dict[str, str]:
    body = text.strip()
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    out: dict[str, str] = {}
    for part in body.split(";"):
        if not part:
            continue
        key, sep, value = part.partition("_")
        if not sep or key not in ("g", "zoom", "x", "y"):
            raise UrlError(f"Invalid value for e_{effect.name}: {part}")
        out[key] = value
    return out


def _gravity_view(image: pyvips.Image, g: str, focus: Any) -> tuple[float, float, float | None]:
    """(cx, cy ratios, zoom that fits the focus box or None) for a `g_` value.  Raises UrlError
    for a malformed value and RenderError for one no model knows (from `decide`)."""
    decision = decide(parse_gravity(g), image, focus)
    if decision.focus is None:
        c = decision.compass or "center"
        return (0.0 if "west" in c else 1.0 if "east" in c else 0.5,
                0.0 if "north" in c else 1.0 if "south" in c else 0.5, None)
    x, y, w, h = decision.focus
    fit = min(image.width / max(1, w), image.height / max(1, h))
    return (x + w / 2) / image.width, (y + h / 2) / image.height, max(1.0, min(8.0, fit))


def _view(effect: Effect, image: pyvips.Image, text: str | None, default: View, focus: Any) -> View:
    if text is None:
        return default
    opts = _options(effect, text)
    cx, cy, zoom = default.cx, default.cy, None
    if "g" in opts:
        cx, cy, zoom = _gravity_view(image, opts["g"], focus)
    for key, size in (("x", image.width), ("y", image.height)):
        if key in opts:
            v = parse_number(effect, opts[key], 0, 100000)
            ratio = v if v < 1 else v / size
            cx, cy = (ratio, cy) if key == "x" else (cx, ratio)
    if "zoom" in opts:
        zoom = parse_number(effect, opts["zoom"], 1, 8)
    return View(cx, cy, zoom if zoom is not None else default.zoom)


def _frame(image: pyvips.Image, view: View, out_w: int, out_h: int) -> pyvips.Image:
    W, H = image.width, image.height
    cw, ch = W / view.zoom, H / view.zoom
    x = min(max(view.cx * W - cw / 2, 0.0), W - cw)
    y = min(max(view.cy * H - ch / 2, 0.0), H - ch)
    # affine crop + scale in one step (sub-pixel window, bilinear)
    k = out_w / cw
    return image.affine([k, 0, 0, out_h / ch], oarea=[0, 0, out_w, out_h], odx=-x * k,
                        ody=-y * (out_h / ch), interpolate=pyvips.Interpolate.new("bilinear"),
                        extend="copy")


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


@register("zoompan", whole_animation=True)
def zoompan(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_zoompan...` (see the module doc): a stacked animation of the zoom/pan path."""
    mode = effect.option("mode", "ztc") or "ztc"
    if mode not in MODES:
        raise UrlError(f"Invalid value for e_{effect.name}: mode_{mode}")
    maxzoom = option_number(effect, "maxzoom", 1.4, 1.1, 8)
    du = option_number(effect, "du", 4, 1, 30)
    fps = option_number(effect, "fps", 25, 5, 60)
    if image.get_typeof("page-height") and 0 < image.get("page-height") < image.height:
        image = image.crop(0, 0, image.width, image.get("page-height"))  # first frame
    image = guard(image).copy_memory()
    start, end = views_for_mode(mode, maxzoom)
    start = _view(effect, image, effect.option("from"), start, ctx.focus)
    end = _view(effect, image, effect.option("to"), end, ctx.focus)
    n = max(2, min(MAX_FRAMES, int(round(du * fps))))
    scale = min(1.0, math.sqrt(MAX_PIXELS / (image.width * image.height * n)))
    out_w, out_h = max(1, int(image.width * scale)), max(1, int(image.height * scale))
    lz0, lz1 = math.log(start.zoom), math.log(end.zoom)
    frames = []
    for i in range(n):
        t = _ease(i / (n - 1))
        view = View(start.cx + (end.cx - start.cx) * t, start.cy + (end.cy - start.cy) * t,
                    math.exp(lz0 + (lz1 - lz0) * t))
        frames.append(to_uchar(_frame(image, view, out_w, out_h)))
    out = pyvips.Image.arrayjoin(frames, across=1).copy(interpretation=image.interpretation)
    out.set_type(pyvips.GValue.gint_type, "page-height", out_h)
    out.set_type(pyvips.GValue.array_int_type, "delay", [int(round(du * 1000 / n))] * n)
    out.set_type(pyvips.GValue.gint_type, "loop", 0)
    return out
