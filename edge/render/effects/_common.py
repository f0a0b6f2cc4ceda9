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
from edge.url.ast import Color, Component, Effect, Length
from edge.url.colors import parse_color as _parse_url_color

__all__ = [
    "MAX_SIDE",
    "check_side",
    "split_alpha",
    "join_alpha",
    "to_uchar",
    "mix",
    "lut_from",
    "apply_lut",
    "parse_color",
    "component_color",
    "length_px",
    "component_offset",
    "region_boxes",
    "apply_in_boxes",
    "alpha_of",
    "luminance",
    "distance_to",
    "clip01",
    "solid",
    "with_alpha",
    "median",
]


MAX_SIDE = 8192
"""Largest side (px) an effect may grow an image to (the render engine's default
`Limits.max_output_side`); beyond it an effect raises LimitError (413)."""


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


def lut_from(fn: Callable[[np.ndarray], np.ndarray]) -> pyvips.Image:
    """A 256x1 one-band uchar LUT with `fn` applied to the float array 0..255."""
    x = np.arange(256, dtype=np.float64)
    y = np.clip(np.rint(fn(x)), 0, 255).astype(np.uint8)
    return pyvips.Image.new_from_array(y.reshape(1, 256).tolist()).cast("uchar")


def apply_lut(rgb: pyvips.Image, luts: pyvips.Image | Sequence[pyvips.Image]) -> pyvips.Image:
    """Map a uchar image through one LUT (all bands) or one LUT per band."""
    rgb = to_uchar(rgb)
    if isinstance(luts, pyvips.Image):
        return rgb.maplut(luts)
    bands = [rgb.extract_band(i).maplut(lut) for i, lut in enumerate(luts)]
    return bands[0].bandjoin(bands[1:])


def luminance(rgb: pyvips.Image) -> pyvips.Image:
    """Rec.601 luma of an sRGB image as a one-band float image 0..255."""
    return rgb.recomb([[0.299, 0.587, 0.114]])


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


def component_color(component: Component, default: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The component's `co_` colour as RGBA, or `default`."""
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


def region_boxes(image: pyvips.Image, component: Component, focus: object) -> list[tuple[int, int, int, int]]:
    """Regions an `_region` effect applies to, as `(x, y, w, h)` px boxes clipped to the image.

    * `g_ocr_text` / `g_faces` in the component: the boxes `focus.find(image, target)` returns
      (none found -> no region: the image is left as is); without a provider -> whole image.
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
        boxes = [tuple(int(v) for v in r.box) for r in focus.find(image, target)]
    else:
        if not any(k in component for k in ("x", "y", "w", "h")):
            return [(0, 0, W, H)]
        x = length_px(component.get("x"), W, 0.0) or 0.0
        y = length_px(component.get("y"), H, 0.0) or 0.0
        w = length_px(component.get("w"), W, W - x)
        h = length_px(component.get("h"), H, H - y)
        boxes = [(int(round(x)), int(round(y)), int(round(w)), int(round(h)))]  # type: ignore[arg-type]
    out = []
    for bx, by, bw, bh in boxes:
        x0, y0 = max(0, bx), max(0, by)
        x1, y1 = min(W, bx + bw), min(H, by + bh)
        if x1 > x0 and y1 > y0:
            out.append((x0, y0, x1 - x0, y1 - y0))
    return out


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
    if seeds.max() == 0:
        return pyvips.Image.black(w, h) + float(w + h)
    if seeds.min() > 0:
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


def solid(width: int, height: int, rgba: Sequence[float]) -> pyvips.Image:
    """A constant `width` x `height` 4-band sRGB uchar image of colour `rgba`."""
    return (pyvips.Image.black(width, height, bands=4) + list(rgba)).cast("uchar").copy(interpretation="srgb")


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
