"""Helpers for the effect, text and blend tests: small copies of the real photos in
tests/images, pixel arrays, and `run`, which calls a registered effect the way the pipeline does."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pyvips

from edge.render.effects import EffectContext, lookup
from edge.render.focus import FocusError, Region
from edge.url.ast import Color, Component, Effect, Gravity, Length, Param

IMAGES = Path(__file__).resolve().parents[2] / "images"


def load(name: str, max_side: int = 320) -> pyvips.Image:
    """A real test photo as sRGB uchar (3 or 4 bands), shrunk so its long side <= max_side."""
    image = pyvips.Image.thumbnail(str(IMAGES / name), max_side, height=max_side, size="down")
    if image.interpretation != "srgb":
        image = image.colourspace("srgb")
    return image.cast("uchar").copy_memory()


def arr(image: pyvips.Image) -> np.ndarray:
    """(h, w, bands) float64 array of an image."""
    return image.numpy().astype(np.float64).reshape(image.height, image.width, image.bands)


def px(value: float) -> Length:
    return Length(value, False, str(value))


def rel(value: float) -> Length:
    return Length(value, True, str(value))


def color(r: int, g: int, b: int, a: int = 255, text: str = "c") -> Color:
    return Color(r, g, b, a, text)


def run(
    name: str,
    image: pyvips.Image,
    *args: str,
    options: Sequence[tuple[str, str]] = (),
    params: Sequence[tuple[str, Any]] = (),
    focus: Any = None,
) -> pyvips.Image:
    """Call the registered effect `name` with positional `args` and component `params`."""
    fn = lookup(name)
    assert fn is not None, f"e_{name} is not registered"
    text = ":".join((name, *args))
    effect = Effect(name=name, args=tuple(args), text=text, options=tuple(options))
    component = Component(params=(Param("e", effect, text),) + tuple(Param(k, v, str(v)) for k, v in params))
    out = fn(image, effect, EffectContext(component=component, focus=focus))
    assert isinstance(out, pyvips.Image)
    assert out.format == "uchar" and out.bands in (3, 4)
    return out.copy_memory()


def hf_energy(image: pyvips.Image) -> float:
    """Mean absolute Laplacian of the luma: a high-frequency energy measure."""
    a = arr(image)[..., :3].mean(axis=2)
    lap = 4 * a[1:-1, 1:-1] - a[:-2, 1:-1] - a[2:, 1:-1] - a[1:-1, :-2] - a[1:-1, 2:]
    return float(np.abs(lap).mean())


class FixedFocus:
    """A FocusProvider (structural) that reports fixed boxes per target, as a detector would.

    With `masks`, every region carries a soft mask (an ellipse filling its box, float 0..1, as
    a segmentation model gives); targets in `unknown` raise FocusError like an unknown name."""

    def __init__(self, boxes: dict[str, list[tuple[int, int, int, int]]], masks: bool = False,
                 unknown: frozenset[str] = frozenset()):
        self.boxes = boxes
        self.masks = masks
        self.unknown = unknown
        self.calls: list[str] = []

    def cached(self, target, model=None, *, aspect):  # type: ignore[no-untyped-def]
        """No detection cache (the FocusProvider protocol's no-cache answer)."""
        return False

    def uncached(self):  # type: ignore[no-untyped-def]
        """This stub itself (it caches nothing)."""
        return self

    def find(self, image: Any, target: str, model: str | None = None) -> list[Region]:
        self.calls.append(target)
        if target in self.unknown:
            raise FocusError(f"No detection model knows {target!r}")
        return [Region(label=target, score=0.9, box=b, mask=self._mask(b), model="test")
                for b in self.boxes.get(target, [])]

    def _mask(self, box: tuple[int, int, int, int]) -> np.ndarray | None:
        if not self.masks:
            return None
        w, h = max(1, box[2]), max(1, box[3])
        y, x = np.mgrid[0:h, 0:w]
        d = ((x + 0.5) / w - 0.5) ** 2 + ((y + 0.5) / h - 0.5) ** 2
        return np.clip((0.25 - d) * 8, 0, 1).astype(np.float32)


def gravity(kind: str) -> Gravity:
    return Gravity(kind=kind, text=kind)


