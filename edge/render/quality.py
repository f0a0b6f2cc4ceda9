"""`q_auto[:best|good|eco|low][:sensitive]`: the lowest quality whose encode stays visually
close to the image, measured per image (content-aware).

Rule: on a sample of the output (longest side <= 256 px, alpha flattened on white), binary-
search the integer quality in the level's range for the lowest value whose decoded encode has
DSSIM <= the level's threshold, where DSSIM = 1/SSIM - 1 and SSIM is the mean of the luma SSIM
of 8x8 blocks (Wang et al. 2004, constants C1=(0.01*255)^2, C2=(0.03*255)^2).  Busy photos
mask artefacts and land low in the range; smooth gradients and graphics need more.
`:sensitive` halves the threshold.  The thresholds were chosen on tests/images; measured JPEG
qualities at <= 800 px (best/good/eco/low): landscape_aitzgorri 95/90/85/75, coffee
95/90/84/71, kodim03_hats 95/89/78/54, text_scanned_page_gray 92/84/74/55,
product_sneakers_white_bg 89/76/45/25, alpha_logo_rgba 89/72/41/25.  `bench/render.py`
prints the current values.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyvips

__all__ = ["LEVELS", "dssim", "auto_quality"]

#: level -> (lowest q, highest q, DSSIM threshold).
LEVELS: dict[str, tuple[int, int, float]] = {
    "best": (70, 95, 0.010),
    "good": (55, 90, 0.020),
    "eco": (40, 85, 0.035),
    "low": (25, 75, 0.060),
}
_SAMPLE_SIDE = 256
_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2


def _luma(image: pyvips.Image) -> np.ndarray:
    arr = image.numpy().astype(np.float64).reshape(image.height, image.width, -1)
    return arr[..., 0] * 0.299 + arr[..., 1] * 0.587 + arr[..., 2] * 0.114


def dssim(a: np.ndarray, b: np.ndarray, block: int = 8) -> float:
    """1/SSIM - 1 of two same-shape luma arrays (0 = identical), SSIM averaged over
    non-overlapping `block` x `block` tiles."""
    h, w = (a.shape[0] // block) * block, (a.shape[1] // block) * block
    if h == 0 or w == 0:
        return 0.0
    ta = a[:h, :w].reshape(h // block, block, w // block, block)
    tb = b[:h, :w].reshape(h // block, block, w // block, block)
    ma, mb = ta.mean(axis=(1, 3)), tb.mean(axis=(1, 3))
    va, vb = ta.var(axis=(1, 3)), tb.var(axis=(1, 3))
    cov = (ta * tb).mean(axis=(1, 3)) - ma * mb
    ssim = ((2 * ma * mb + _C1) * (2 * cov + _C2)) / ((ma**2 + mb**2 + _C1) * (va + vb + _C2))
    return float(1.0 / max(float(ssim.mean()), 1e-6) - 1.0)


def auto_quality(
    image: pyvips.Image,
    level: str,
    encode: Callable[[pyvips.Image, int], bytes],
    *,
    sensitive: bool = False,
) -> int:
    """The quality (1..100) `q_auto:<level>` picks for `image` with the `encode(image, q)`
    function of the output format (must produce something `pyvips` can decode)."""
    lo, hi, threshold = LEVELS.get(level, LEVELS["good"])
    if sensitive:
        threshold /= 2
    sample = image
    if max(image.width, image.height) > _SAMPLE_SIDE:
        sample = image.thumbnail_image(_SAMPLE_SIDE, height=_SAMPLE_SIDE)
    if sample.hasalpha():
        sample = sample.flatten(background=[255, 255, 255])
    sample = sample.copy_memory().copy()
    if sample.get_typeof("page-height"):
        sample.remove("page-height")
    ref = _luma(sample)
    best = hi
    while lo <= hi:
        mid = (lo + hi) // 2
        decoded = pyvips.Image.new_from_buffer(encode(sample, mid), "")
        if decoded.bands > 3:
            decoded = decoded.flatten(background=[255, 255, 255])
        if dssim(ref, _luma(decoded)) <= threshold:
            best, hi = mid, mid - 1
        else:
            lo = mid + 1
    return best
