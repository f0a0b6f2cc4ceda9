"""Helpers shared by the effect modules (private: the registry does not import `_` modules).

Conventions: images are `pyvips.Image` in sRGB, `uchar`, 3 bands or 4 with alpha last (the
registry contract).  Helpers here split/restore alpha, blend by an amount, cast back to uchar,
read colours, lengths and regions from the component, and build 256-entry lookup tables with
numpy (a LUT is applied with `maplut`, so no Python loop ever touches a pixel).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pyvips

from edge.render.errors import LimitError
from edge.render.limits import Limits
from edge.url.ast import Color, Component, Effect, Length
from edge.url.colors import parse_color as _parse_url_color

__all__ = [
    "MAX_SIDE",
    "LUMA_WEIGHTS",
    "check_side",
    "split_alpha",
    "join_alpha",
    "to_uchar",
    "mix",
    "lut_array",
    "lut_image",
    "lut_from",
    "apply_lut",
    "parse_color",
    "component_color",
    "length_px",
    "component_offset",
    "grow_box",
    "region_boxes",
    "apply_in_boxes",
    "alpha_of",
    "luminance",
    "distance_to",
    "clip01",
    "color_layer",
    "with_alpha",
    "median",
]


MAX_SIDE = Limits().max_output_side
"""Largest side (px) an effect may grow an image to (the render engine's default
`Limits.max_output_side`); beyond it an effect raises LimitError (413)."""

LUMA_WEIGHTS = (0.299, 0.587, 0.114)
"""Rec.601 luma weights of R, G, B (ITU-R BT.601), used wherever an effect needs a brightness."""


def check_side(width: float, height: float, name: str) -> None:
    """Raise LimitError (413) when an effect's output would exceed `MAX_SIDE` px on a side."""
    if width > MAX_SIDE or height > MAX_SIDE:
        raise LimitError(f"e_{name} output {width:.0f}x{height:.0f} px exceeds the limit of {MAX_SIDE} px per side")


def split_alpha(image: pyvips.Image) -> tuple[pyvips.Image, pyvips.Image | None]:
    """`(rgb, alpha)` of an sRGB image; `alpha` is None for a 3-band image."""
    if image.bands == 4:
        return image.extract_band(0, n=3), image.extract_band(3)
    if image.bands == 2:  # grey + alpha (defensive: the pipeline normally sends sRGB)
        grey = image.extract_band(0)
        return grey.bandjoin([grey, grey]), image.extract_band(1)
    if image.bands == 1:
        return image.bandjoin([image, image]), None
    return image, None


def join_alpha(rgb: pyvips.Image, alpha: pyvips.Image | None) -> pyvips.Image:
    """Re-attach `alpha` (if any) to an RGB image, both cast to uchar, sRGB interpretation."""
    rgb = to_uchar(rgb)
    out = rgb if alpha is None else rgb.bandjoin(to_uchar(alpha))
    return out.copy(interpretation="srgb")


def to_uchar(image: pyvips.Image) -> pyvips.Image:
    """Round to nearest and clamp to 0..255 as `uchar` (libvips' cast clips); no-op for uchar."""
    if image.format == "uchar":
        return image
    return (image + 0.5).cast("uchar")


def mix(original: pyvips.Image, processed: pyvips.Image, amount: float) -> pyvips.Image:
    """`original * (1 - amount) + processed * amount`, amount a ratio 0..1 (float image out)."""
    if amount >= 1.0:
        return processed
    if amount <= 0.0:
        return original
    return original * (1.0 - amount) + processed * amount


def lut_array(fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """`fn` applied to the float array 0..255, rounded and clipped: a (256,) uint8 LUT."""
    x = np.arange(256, dtype=np.float64)
    return np.clip(np.rint(fn(x)), 0, 255).astype(np.uint8)


def lut_image(luts: np.ndarray) -> pyvips.Image:
    """A `maplut` table from a (256,) uint8 LUT (one for all bands) or a (bands, 256) array
    (one LUT per band): a 256x1 uchar image with that many bands."""
    table = np.atleast_2d(np.asarray(luts, dtype=np.uint8))
    data = np.ascontiguousarray(table.T).tobytes()
    return pyvips.Image.new_from_memory(data, 256, 1, table.shape[0], "uchar")


def lut_from(fn: Callable[[np.ndarray], np.ndarray]) -> pyvips.Image:
    """A 256x1 one-band uchar LUT with `fn` applied to the float array 0..255."""
    return lut_image(lut_array(fn))


def apply_lut(rgb: pyvips.Image, lut: pyvips.Image) -> pyvips.Image:
    """Map an image (cast to uchar first) through a `lut_image` table: a one-band table maps
    every band, an n-band table maps band i through its band i."""
    return to_uchar(rgb).maplut(lut)


def luminance(rgb: pyvips.Image) -> pyvips.Image:
    """Rec.601 luma (`LUMA_WEIGHTS`) of an sRGB image as a one-band float image 0..255."""
    return rgb.recomb([list(LUMA_WEIGHTS)])


def alpha_of(image: pyvips.Image) -> pyvips.Image:
    """The alpha band of `image`, or an opaque (255) uchar band when it has none."""
    _, alpha = split_alpha(image)
    if alpha is None:
        return (image.extract_band(0) * 0 + 255).cast("uchar")
    return alpha


def parse_color(effect: Effect, text: str) -> tuple[int, int, int, int]:
    """An effect's colour argument as RGBA 0..255: anything `edge.url.colors.parse_color`
    accepts (`red`, `rgb:ff0000`, `#f00`, `transparent`) plus the bare hex Cloudinary allows in
    effect arguments (`e_replace_color:maroon:80:2b38aa`).  Raises UrlError naming the effect.
    """
    t = text.strip()
    if len(t) in (3, 4, 6, 8) and all(c in "0123456789abcdefABCDEF" for c in t):
        t = "rgb:" + t
    c = _parse_url_color(t, key=f"e_{effect.name}")
    return (c.r, c.g, c.b, c.a)


def component_color(
    component: Component, default: tuple[int, int, int, int] | None
) -> tuple[int, int, int, int] | None:
    """The component's `co_` colour as RGBA 0..255, or `default` when it has none."""
    co = component.get("co")
    if isinstance(co, Color):
        return (co.r, co.g, co.b, co.a)
    return default


def length_px(value: object, reference: int, default: float | None = None) -> float | None:
    """A `Length` (pixels, or a ratio of `reference` px when relative) in px; plain numbers pass
    through; None/other -> `default` (expressions are resolved by the pipeline beforehand)."""
    if isinstance(value, Length):
        v = value.value
        if not isinstance(v, (int, float)):
            return default
        return float(v) * reference if value.relative else float(v)
    if isinstance(value, (int, float)):
        return float(value)
    return default


def component_offset(component: Component, width: int, height: int, default: tuple[float, float]) -> tuple[float, float]:
    """The component's `x`, `y` in px (relative values scale by width/height)."""
    return (
        length_px(component.get("x"), width, default[0]),  # type: ignore[return-value]
        length_px(component.get("y"), height, default[1]),
    )


def grow_box(
    box: Sequence[float], pad: float, width: int, height: int
) -> tuple[int, int, int, int] | None:
    """`box` `(x, y, w, h)` px grown by `pad` (a ratio of its own w / h) on every side and
    clipped to a `width` x `height` image; None when nothing of it lies inside."""
    x, y, w, h = (int(v) for v in box)
    px, py = int(round(w * pad)), int(round(h * pad))
    x0, y0 = max(0, x - px), max(0, y - py)
    x1, y1 = min(width, x + w + px), min(height, y + h + py)
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1 - x0, y1 - y0)


def region_boxes(image: pyvips.Image, component: Component, focus: object) -> list[tuple[int, int, int, int]]:
    """Regions an `_region` effect applies to, as `(x, y, w, h)` px boxes clipped to the image.

    * `g_ocr_text` / `g_faces` in the component: the boxes `focus.find(image, target)` returns
      (none found -> no region: the image is left as is); without a provider -> whole image.
      A `FocusError` from the provider propagates (the server answers it with 400).
    * otherwise `x, y, w, h` (px or relative to the image size); missing `w`/`h` extend to
      the right/bottom edge; no geometry at all -> the whole image (spec §9).
    """
    W, H = image.width, image.height
    g = component.get("g")
    kind = getattr(g, "kind", None)
    if kind in ("ocr_text", "faces", "face"):
        if focus is None:
            return [(0, 0, W, H)]
        target = "ocr_text" if kind == "ocr_text" else "faces"
        boxes = [r.box for r in focus.find(image, target)]
    else:
        if not any(k in component for k in ("x", "y", "w", "h")):
            return [(0, 0, W, H)]
        x = length_px(component.get("x"), W, 0.0) or 0.0
        y = length_px(component.get("y"), H, 0.0) or 0.0
        w = length_px(component.get("w"), W, W - x)
        h = length_px(component.get("h"), H, H - y)
        boxes = [(int(round(x)), int(round(y)), int(round(w)), int(round(h)))]  # type: ignore[arg-type]
    clipped = (grow_box(b, 0.0, W, H) for b in boxes)
    return [b for b in clipped if b is not None]


def apply_in_boxes(
    image: pyvips.Image, boxes: Sequence[tuple[int, int, int, int]], fn: Callable[[pyvips.Image], pyvips.Image]
) -> pyvips.Image:
    """Run `fn` on each box's crop and paste the result back (`insert`), other pixels untouched."""
    out = image
    for x, y, w, h in boxes:
        if (x, y, w, h) == (0, 0, image.width, image.height):
            out = fn(out)
        else:
            out = out.insert(to_uchar(fn(out.crop(x, y, w, h))), x, y)
    return out


_DISTANCE_MAX_SIDE = 1024


def distance_to(seeds: pyvips.Image) -> pyvips.Image:
    """Euclidean distance in px from every pixel to the nearest non-zero pixel of `seeds`
    (one band), as a float image of the same size (libvips `fill_nearest`).

    Masks longer than 1024 px are measured on a downsized copy and scaled back (precision is
    then the downsizing factor, in px), which bounds the cost on big images.  A mask with no
    seed gives a constant distance larger than the image diagonal.
    """
    w, h = seeds.width, seeds.height
    stats = seeds.stats()  # one pass for both: row 0 of `stats` holds min (col 0) and max (col 1)
    lo, hi = stats(0, 0)[0], stats(1, 0)[0]
    if hi == 0:
        return pyvips.Image.black(w, h) + float(w + h)
    if lo > 0:
        return pyvips.Image.black(w, h).cast("float")
    scale = min(1.0, _DISTANCE_MAX_SIDE / max(w, h))
    work = seeds if scale == 1.0 else (seeds.resize(scale, kernel="linear") > 0)
    _, extra = work.fill_nearest(distance=True)
    dist = extra["distance"]
    if scale < 1.0:
        dist = (dist / scale).resize(w / dist.width, vscale=h / dist.height, kernel="linear")
        if dist.width != w or dist.height != h:
            dist = dist.embed(0, 0, w, h, extend="copy")
    return dist


def clip01(image: pyvips.Image) -> pyvips.Image:
    """Clamp a float image to 0..1."""
    return (image < 0).ifthenelse(0, (image > 1).ifthenelse(1, image))


def color_layer(coverage: pyvips.Image, rgba: Sequence[int]) -> pyvips.Image:
    """A 4-band sRGB uchar layer of colour `rgba` (0..255) the size of `coverage` (one-band
    float, 0..1), whose alpha is `coverage` times the colour's own alpha."""
    rgb = (pyvips.Image.black(coverage.width, coverage.height, bands=3) + list(rgba[:3])).cast("uchar")
    return rgb.bandjoin(to_uchar(coverage * rgba[3])).copy(interpretation="srgb")


def with_alpha(image: pyvips.Image) -> pyvips.Image:
    """`image` with an alpha band (opaque 255 added if it had none), 4-band uchar sRGB."""
    rgb, alpha = split_alpha(image)
    return join_alpha(rgb, alpha if alpha is not None else alpha_of(image))


def median(image: pyvips.Image, size: int) -> pyvips.Image:
    """Per-band median over a `size` x `size` window (odd), for images of any size: edges are
    repeated so even an image smaller than the window works; same size out."""
    r = size // 2
    if r == 0:
        return image
    padded = image.embed(r, r, image.width + 2 * r, image.height + 2 * r, extend="copy")
    out = padded.median(size)
    if out.width == padded.width:
        return out.crop(r, r, image.width, image.height)
    return out.crop(0, 0, image.width, image.height)
