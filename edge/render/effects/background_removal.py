"""`e_background_removal[:fineedges_y|n]`: the salient subject kept, the rest made transparent.

The alpha channel is the saliency mask the `FocusProvider` gives for ``saliency`` (Edge's
vision provider: U2NetP): the region's float mask (0..1) covers its box and is pasted into a
transparent canvas.  `fineedges_y` keeps the soft mask as is (hair, fur); the default (`n`)
hardens it with a steep curve around 0.5 (alpha = clip((m - 0.5) x 4 + 0.5), Edge's choice) so
edges are crisp.  A provider without masks (render's libvips-only default) cannot remove a
background: RenderError (400).

Also exports the mask helpers `extract.py` uses: `mask_image`, `saliency_alpha`, `apply_alpha`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import split_alpha, to_uchar
from edge.render.effects._regions import grow_box
from edge.render.errors import RenderError
from edge.url.ast import Effect
from edge.url.errors import UrlError

__all__ = ["mask_image", "region_alpha", "saliency_alpha", "apply_alpha", "harden", "background_removal"]


def mask_image(mask: Any) -> pyvips.Image:
    """A float (h, w) numpy mask in 0..1 as a one-band uchar pyvips image (0..255)."""
    arr = np.clip(np.asarray(mask, dtype=np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    h, w = arr.shape
    return pyvips.Image.new_from_memory(np.ascontiguousarray(arr).tobytes(), w, h, 1, "uchar")


def region_alpha(width: int, height: int, box: tuple[int, int, int, int], mask: Any | None) -> pyvips.Image:
    """A `width` x `height` uchar alpha, 0 everywhere except inside `box` `(x, y, w, h)` px,
    where it is `mask` (float (h, w) 0..1 covering the box, resized when its shape differs) or
    255 when `mask` is None.  The part of `box` outside the canvas is dropped."""
    x, y, w, h = (int(v) for v in box)
    inside = grow_box((x, y, w, h), 0.0, width, height)
    if inside is None:
        return pyvips.Image.black(width, height).cast("uchar")
    if mask is None:
        inner = (pyvips.Image.black(w, h) + 255).cast("uchar")
    else:
        inner = mask_image(mask)
        if (inner.width, inner.height) != (w, h):
            inner = inner.resize(w / inner.width, vscale=h / inner.height, kernel="linear")
            inner = inner.embed(0, 0, w, h, extend="copy")  # exact size despite rounding
    cx, cy, cw, ch = inside
    return to_uchar(inner.crop(cx - x, cy - y, cw, ch)).embed(cx, cy, width, height, background=[0])


def saliency_alpha(image: pyvips.Image, focus: Any) -> pyvips.Image | None:
    """The whole-image saliency alpha (uchar, image size) from `focus`, or None when the
    provider finds nothing or gives no mask."""
    if focus is None:
        return None
    regions = [r for r in focus.find(image, "saliency") if r.mask is not None]
    if not regions:
        return None
    r = regions[0]
    return region_alpha(image.width, image.height, tuple(int(v) for v in r.box), r.mask)


def harden(alpha: pyvips.Image) -> pyvips.Image:
    """Steepen a soft uchar alpha around 128: (a - 128) x 4 + 128, clipped."""
    return to_uchar(((alpha.cast("float") - 128.0) * 4.0 + 128.0).maxpair(0).minpair(255))


def apply_alpha(image: pyvips.Image, alpha: pyvips.Image, preserve: bool = True) -> pyvips.Image:
    """`image` (sRGB uchar, 3 or 4 bands) with `alpha` as its alpha band; with `preserve`,
    an existing alpha is multiplied in (transparent stays transparent)."""
    rgb, old = split_alpha(image)
    if old is not None and preserve:
        alpha = to_uchar(old.cast("float") * alpha.cast("float") / 255.0)
    return to_uchar(rgb).bandjoin(to_uchar(alpha)).copy(interpretation="srgb")


@register("background_removal")
def background_removal(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_background_removal[:fineedges_y|n]`: transparent background around the salient
    subject (see the module doc).  Raises RenderError without a mask-giving provider and
    UrlError for a bad argument."""
    fine = effect.option("fineedges")
    if fine is None and effect.args and effect.args[0] and "_" not in effect.args[0]:
        fine = effect.args[0]
    if fine not in (None, "", "y", "n", "true", "false"):
        raise UrlError(f"Invalid value for e_{effect.name}: {effect.text}")
    alpha = saliency_alpha(image, ctx.focus)
    if alpha is None:
        raise RenderError(f"e_{effect.name} needs Edge's vision models (no saliency mask available)")
    if fine not in ("y", "true"):
        alpha = harden(alpha)
    return apply_alpha(image, alpha)
