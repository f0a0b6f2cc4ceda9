"""Helpers for the render tests: real photos from tests/images, parsed URLs, decoded pixels."""

from __future__ import annotations

import pathlib
from typing import Any, Sequence

import numpy as np
import pyvips

from edge.render import Region, Rendered, render
from edge.render.focus import FocusError
from edge.url import parse

IMAGES = pathlib.Path(__file__).resolve().parent.parent / "images"


def photo(name: str) -> bytes:
    """Bytes of a real test photo."""
    return (IMAGES / name).read_bytes()


def request(transformation: str, ext: str = "png"):
    """A parsed DeliveryRequest for `/demo/image/upload/<transformation>/sample.<ext>`."""
    path = f"/demo/image/upload/{transformation}/sample.{ext}" if transformation else f"/demo/image/upload/sample.{ext}"
    return parse(path)


def run(name: str, transformation: str, ext: str = "png", **kw: Any) -> Rendered:
    """Render photo `name` with `transformation`, output `ext`."""
    return render(photo(name), request(transformation, ext), **kw)


def pixels(data: bytes) -> np.ndarray:
    """Decoded image as an (h, w, bands) uint8 array (all frames stacked)."""
    image = pyvips.Image.new_from_buffer(data, "", n=-1) if data[:3] == b"GIF" else pyvips.Image.new_from_buffer(data, "")
    return image.numpy().reshape(image.height, image.width, -1)


def source_pixels(name: str, autorotate: bool = True) -> np.ndarray:
    """The photo's pixels as 8-bit sRGB (h, w, bands), EXIF orientation applied."""
    image = pyvips.Image.new_from_file(str(IMAGES / name))
    if autorotate:
        image = image.autorot()
    if image.interpretation != "srgb":
        image = image.colourspace("srgb")
    if image.bands == 1:
        image = image.bandjoin([image, image])
    return image.numpy().reshape(image.height, image.width, -1)


def resized(name: str, w: int, h: int) -> np.ndarray:
    """Reference: the whole photo resized to exactly w x h with libvips (no Edge code)."""
    image = pyvips.Image.new_from_file(str(IMAGES / name)).autorot()
    if image.bands == 1:
        image = image.colourspace("srgb")
    out = image.thumbnail_image(w, height=h, size="force")
    return out.numpy().reshape(out.height, out.width, -1)


def mad(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of the RGB bands (0..255)."""
    assert a.shape[:2] == b.shape[:2], (a.shape, b.shape)
    return float(np.abs(a[..., :3].astype(np.int16) - b[..., :3].astype(np.int16)).mean())


class StubFocus:
    """A FocusProvider returning fixed regions per target (boxes in px of the image it gets,
    which the stub assumes to be `size`; boxes are rescaled when the image is smaller)."""

    def __init__(self, regions: dict[str, Sequence[Region]], size: tuple[int, int], unknown: Sequence[str] = ()):
        self.regions = regions
        self.size = size
        self.unknown = set(unknown)
        self.calls: list[tuple[str, str | None]] = []

    def cached(self, target, model=None, *, aspect):  # type: ignore[no-untyped-def]
        """No detection cache (the FocusProvider protocol's no-cache answer)."""
        return False

    def uncached(self):  # type: ignore[no-untyped-def]
        """This stub itself (it caches nothing)."""
        return self

    def find(self, image, target, model=None):
        self.calls.append((target, model))
        if target in self.unknown:
            raise FocusError(f"unknown object {target}")
        k = image.width / self.size[0]
        out = []
        for r in self.regions.get(target, ()):
            x, y, w, h = r.box
            out.append(Region(r.label, r.score, (int(x * k), int(y * k), int(w * k), int(h * k)), model=r.model or "stub"))
        return out
