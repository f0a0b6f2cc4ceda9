"""Background colours: `b_<color>` and content-aware `b_auto[:border|predominant|..._contrast]`."""

from __future__ import annotations

import numpy as np
import pyvips

from edge.url.ast import Background, Color

from .. import spec

__all__ = ["WHITE", "TRANSPARENT", "background_rgba", "auto_color"]

WHITE = (255, 255, 255, 255)
TRANSPARENT = (0, 0, 0, 0)
_SAMPLE_SIDE = 128  # px of the thumbnail colours are counted on
_QUANT = 16  # colour quantisation step for the mode


def auto_color(image: pyvips.Image, mode: str = "border") -> tuple[int, int, int, int]:
    """The predominant colour of the image border (`border`, the default) or of the whole
    image (`predominant`), as RGBA; `*_contrast` returns its RGB inverse.

    Colours are quantised to steps of 16 on a <=128 px thumbnail; the most frequent bin
    wins and its mean colour is returned (numpy histogram, no pixel loops)."""
    small = image.thumbnail_image(_SAMPLE_SIDE, height=_SAMPLE_SIDE) if max(image.width, image.height) > _SAMPLE_SIDE else image
    if small.hasalpha():
        small = small.flatten(background=[255, 255, 255])
    a = small.numpy().reshape(small.height, small.width, -1)[..., :3].astype(np.int32)
    if mode.startswith("predominant"):
        px = a.reshape(-1, 3)
    else:
        t = max(1, min(a.shape[0], a.shape[1]) // 16)
        px = np.concatenate([a[:t].reshape(-1, 3), a[-t:].reshape(-1, 3), a[:, :t].reshape(-1, 3), a[:, -t:].reshape(-1, 3)])
    keys = (px[:, 0] // _QUANT) * 256 + (px[:, 1] // _QUANT) * 16 + px[:, 2] // _QUANT
    counts = np.bincount(keys)
    best = int(np.argmax(counts))
    rgb = px[keys == best].mean(axis=0).round().astype(int)
    if mode.endswith("contrast"):
        rgb = 255 - rgb
    return int(rgb[0]), int(rgb[1]), int(rgb[2]), 255


def background_rgba(value: object, image: pyvips.Image, default_alpha: bool) -> tuple[int, int, int, int]:
    """RGBA of the component's `b_` for padding: a colour, `b_auto...`, or the default
    (transparent when the image has alpha, white otherwise) [inferred default, url-spec §6]."""
    if isinstance(value, Background) and value.auto is not None:
        mode = value.auto.lstrip(":").split(":")[0] or "border"
        return auto_color(image, mode)
    color = spec.color(value)
    if isinstance(color, Color):
        return color.r, color.g, color.b, color.a
    if value is not None and spec.text(value) in {"transparent", "none"}:
        return TRANSPARENT
    return TRANSPARENT if default_alpha else WHITE
