"""`SaliencyFocus`: the default FocusProvider, knowing only libvips' attention saliency."""

from __future__ import annotations

from typing import Any, Sequence

from .focus import Region
from .frames import frame_height

__all__ = ["SaliencyFocus"]

#: side (px) of the thumbnail saliency is computed on: enough for a crop decision, cheap.
_WORK_SIDE = 256


class SaliencyFocus:
    """A FocusProvider without models: `find(image, "saliency")` returns one Region around the
    most salient area; every other target returns no regions (so `g_auto:cat` falls back to
    plain saliency and `g_face` to its fallback).

    Algorithm: libvips `smartcrop(interesting="attention")` (edge, skin-tone and saturation
    energy, libvips docs) on a thumbnail of at most 256 px, with a window of half the
    thumbnail's sides; the chosen window, scaled back, is the salient box (score 1.0).
    """

    def find(self, image: Any, target: str, model: str | None = None) -> Sequence[Region]:
        """Regions of `target` in `image` (a pyvips.Image); boxes in `image` px."""
        if target != "saliency":
            return []
        if frame_height(image) < image.height:  # an animation: its first frame
            image = image.crop(0, 0, image.width, frame_height(image))
        scale = min(1.0, _WORK_SIDE / max(image.width, image.height))
        small = image.resize(scale) if scale < 1.0 else image
        if small.hasalpha():
            small = small.flatten(background=[255, 255, 255])
        cw, ch = max(1, small.width // 2), max(1, small.height // 2)
        _, opts = small.smartcrop(cw, ch, interesting="attention", attention_x=True, attention_y=True)
        ax, ay = opts["attention_x"], opts["attention_y"]
        x = min(max(ax - cw / 2, 0), small.width - cw)
        y = min(max(ay - ch / 2, 0), small.height - ch)
        inv = 1.0 / scale
        box = (int(round(x * inv)), int(round(y * inv)), int(round(cw * inv)), int(round(ch * inv)))
        return [Region(label="saliency", score=1.0, box=box, model="libvips")]

    def cached(self, target: str, model: str | None = None, *, aspect: float) -> bool:
        """Always False: saliency is computed on the pixels every time (no cache)."""
        return False

    def uncached(self) -> "SaliencyFocus":
        """This provider (it caches nothing)."""
        return self
