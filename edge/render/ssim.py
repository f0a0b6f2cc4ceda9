"""The distortion `q_auto` judges (edge/render/quality.py): SSIM of Wang, Bovik, Sheikh &
Simoncelli 2004 on Rec. 601 luma, 11 x 11 Gaussian windows (sigma 1.5 px) every 2 px, pooled
over the worst 6 % of windows (Moorthy & Bovik 2009), all in numpy (no per-pixel Python).

`dssim(reference, distorted)` for two images; `_Reference(luma)` keeps a reference's window
statistics so each trial of a search filters only its own 3 planes; `_luma*` compute luma
without BLAS (numpy's `@` on these shapes wakes OpenBLAS threads, which then spin).
"""

from __future__ import annotations

import numpy as np
import pyvips

__all__ = ["dssim"]

_WORST = 0.06  #: share of SSIM windows pooled (Moorthy & Bovik 2009: worst 6 %)
_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)  #: Rec. 601 luma weights
_TAPS = np.arange(11) - 5
#: the 11-tap Gaussian window, sigma 1.5 px, of Wang et al. 2004 (separable, normalised)
_KERNEL = (np.exp(-(_TAPS**2) / (2 * 1.5**2)) / np.exp(-(_TAPS**2) / (2 * 1.5**2)).sum()).astype(np.float32)
_STRIDE = 2  #: px between evaluated SSIM windows (windows still overlap: 11 px wide)


def _luma(image: pyvips.Image) -> np.ndarray:
    """(h, w) float32 luma (0..255) of an 8-bit image, alpha flattened on white."""
    if image.hasalpha():
        image = image.flatten(background=[255] * (image.bands - 1))
    return _luma_of(image.numpy())


def _luma_of(arr: np.ndarray) -> np.ndarray:
    """(h, w) float32 Rec. 601 luma of an (h, w) or (h, w, bands) array without alpha."""
    if arr.ndim == 2:
        return arr.astype(np.float32)
    if arr.shape[2] < 3:
        return arr[..., 0].astype(np.float32)
    return _weighted(arr)


def _weighted(arr: np.ndarray) -> np.ndarray:
    """(h, w) float32 0.299 R + 0.587 G + 0.114 B of an (h, w, >= 3) array, by three
    multiply-adds (not `arr @ _LUMA`: numpy hands that to OpenBLAS, whose worker threads
    then spin on the other cores: CPU the render pays for, issue 16)."""
    rgb = arr[..., :3].astype(np.float32)
    out = rgb[..., 0] * _LUMA[0]
    out += rgb[..., 1] * _LUMA[1]
    out += rgb[..., 2] * _LUMA[2]
    return out


def _window_means(stack: np.ndarray) -> np.ndarray:
    """Gaussian-weighted means of the 11 x 11 windows of `stack` (..., h, w) at every
    `_STRIDE`-th position ('valid' windows only): two separable passes over numpy slices.

    The horizontal pass reads the columns split by phase (x mod `_STRIDE`, copied once), so
    every tap is a contiguous slice instead of a strided one (numpy copied each strided
    slice first: ~1/3 of the instructions of a q_auto search, callgrind); each tap is
    multiplied into one reused buffer.  Same arithmetic in the same order as
    ``cols += k * stack[..., j : j + w : _STRIDE]``, so the same floats."""
    n = len(_KERNEL)
    h, w = stack.shape[-2] - n + 1, stack.shape[-1] - n + 1
    wo = len(range(0, w, _STRIDE))  # windows per row
    phases = [np.ascontiguousarray(stack[..., :, p::_STRIDE]) for p in range(_STRIDE)]
    cols = np.multiply(phases[0][..., :, 0:wo], _KERNEL[0])
    tmp = np.empty_like(cols)
    for j in range(1, n):
        q = j // _STRIDE
        cols += np.multiply(phases[j % _STRIDE][..., :, q : q + wo], _KERNEL[j], out=tmp)
    ho = len(range(0, h, _STRIDE))
    rows = [np.ascontiguousarray(cols[..., p::_STRIDE, :]) for p in range(_STRIDE)]
    out = np.multiply(rows[0][..., 0:ho, :], _KERNEL[0])
    tmp = np.empty_like(out)
    for i in range(1, n):
        q = i // _STRIDE
        out += np.multiply(rows[i % _STRIDE][..., q : q + ho, :], _KERNEL[i], out=tmp)
    return out


def dssim(reference: pyvips.Image, distorted: pyvips.Image) -> float:
    """Distortion (0 = identical, ~0.1-0.4 for visible JPEG artefacts) of two same-size 8-bit
    images: the mean of 1 - SSIM over the worst 6 % of windows.

    SSIM: Wang, Bovik, Sheikh & Simoncelli 2004, "Image quality assessment: from error
    visibility to structural similarity" (11 x 11 Gaussian window, sigma 1.5 px, on luma;
    C1 = (0.01*255)^2, C2 = (0.03*255)^2), windows every 2 px.  Pooling the worst 6 %:
    Moorthy & Bovik 2009, "Visual importance pooling for image quality assessment" (artefacts
    concentrated at edges are what a viewer notices; a plain mean dilutes them over flat or
    busy areas).  Images smaller than the window give 0; raises ValueError for different sizes."""
    return _distortion(_luma(reference), _luma(distorted))


def _distortion(a: np.ndarray, b: np.ndarray) -> float:
    """`dssim` of two luma arrays (h, w)."""
    return _Reference(a).distortion(b)


class _Reference:
    """The window statistics of a reference luma array (h, w), computed once per `q_auto`
    search, so each trial encode only filters its own 3 planes (b, b*b, a*b) instead of 5.
    `distortion(b)` is `dssim` of the reference and `b` (same shape, else ValueError)."""

    def __init__(self, a: np.ndarray) -> None:
        self.a = a
        self.small = min(a.shape) < len(_KERNEL)
        if not self.small:
            self.ma, self.aa = _window_means(np.stack([a, a * a]))
            self.ma2 = self.ma * self.ma

    def distortion(self, b: np.ndarray) -> float:
        a = self.a
        if a.shape != b.shape:
            raise ValueError(f"dssim needs same-size images, got {a.shape} and {b.shape}")
        if self.small:
            return 0.0
        mb, bb, ab = _window_means(np.stack([b, b * b, a * b]))
        ma, ma2 = self.ma, self.ma2
        mab, mb2 = ma * mb, mb * mb
        ssim = ((2 * mab + _C1) * (2 * (ab - mab) + _C2)) / ((ma2 + mb2 + _C1) * (self.aa + bb - ma2 - mb2 + _C2))
        values = ssim.ravel()
        k = max(1, int(values.size * _WORST))
        return float(1.0 - np.partition(values, k - 1)[:k].mean())
