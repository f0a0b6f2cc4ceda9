"""Lookup tables and luma: 256-entry tables built with numpy and applied with libvips
`maplut`, so no Python loop ever touches a pixel.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyvips

from edge.render.effects._pixels import to_uchar

__all__ = ["LUMA_WEIGHTS", "lut_array", "lut_image", "lut_from", "apply_lut", "luminance"]


LUMA_WEIGHTS = (0.299, 0.587, 0.114)

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
