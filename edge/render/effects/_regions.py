"""What an effect reads from its component besides its arguments: the `co_` colour, `x`/`y`
offsets and lengths, and the regions (`x,y,w,h`, `g_faces`, `g_ocr_text`) a `_region`
effect applies to.
"""

from __future__ import annotations

from typing import Callable, Sequence

import pyvips

from edge.render.effects._pixels import to_uchar
from edge.url.ast import Color, Component, Length

__all__ = ["component_color", "length_px", "component_offset", "grow_box", "region_boxes", "apply_in_boxes"]


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
