"""The seam between rendering and vision: what render asks about an image's content.

Render never imports `edge.vision`; the server hands it an object that satisfies
`FocusProvider` (structural typing).  The default, `SaliencyFocus`, knows only libvips'
attention-based saliency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence, runtime_checkable

__all__ = ["Region", "FocusProvider", "FocusError"]


@dataclass(frozen=True, slots=True)
class Region:
    """Something found in an image.

    * `label`: COCO class name (`cat`), `face`, `text` or `saliency`.
    * `score`: detector confidence 0..1.
    * `box`: `(x, y, w, h)` in pixels **of the image passed to the provider**.
    * `mask`: optional float32 numpy array (h, w) in 0..1 covering `box` (for extraction), or None.
    * `model`: the model that produced it (`coco`, `faces`, `text`, `saliency`, `libvips`).
    """

    label: str
    score: float
    box: tuple[int, int, int, int]
    mask: Any = None
    model: str = ""


class FocusError(ValueError):
    """A gravity or effect names something no model knows (e.g. `g_auto:unicorn`):
    render turns it into a 400."""


@runtime_checkable
class FocusProvider(Protocol):
    """Finds regions of interest in an image for gravity, face effects and extraction.

    `find(image, target, model=None)`: `image` is a `pyvips.Image` (sRGB, any size; the
    provider downsizes as it needs); `target` is one of
      * ``faces`` (every face), ``ocr_text`` (text boxes), ``saliency`` (salient subject: one
        region, with a mask when available), ``object`` (any COCO object),
      * a COCO class name, its plural (`cats`) or a category (`animal`, `vehicle`, ...).
    `model` is an optional model/version prefix (`coco`, `coco_v2`).  Returns regions sorted by
    prominence (most prominent first), boxes in the pixels of `image`; an empty list when
    nothing is found.  Raises `FocusError` for a target no model knows.

    Optional: `uncached() -> FocusProvider`, the same provider without its per-asset detection
    cache.  Render calls it (when present) for any image that is no longer the whole asset (a
    crop, a layer, a padded canvas), so detections on such an image never stand in the cache
    for the asset.

    Optional: `cached(target, model=None, *, aspect) -> bool`, True when `find` on the whole
    asset (width / height = `aspect`) would be answered from that cache.  Render asks before
    decoding: with everything cached it shrinks on load all the way to the output size,
    otherwise only down to an analysis size (`ops.load.ANALYSIS_SIDE`).
    """

    def find(self, image: Any, target: str, model: str | None = None) -> Sequence[Region]: ...
