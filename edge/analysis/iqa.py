"""``detection=iqa`` (and Analyze ``image_quality``): a documented no-reference quality score.

Not Cloudinary's model and not BRISQUE (whose published SVR weights would need libsvm): Edge
combines two classical no-reference measures, both pure numpy on the luminance of a copy of at
most `IQA_SIDE` px:

* blur: Crete, Dolmiere, Ladret & Nicolas 2007, "The blur effect: perception and estimation
  with a new no-reference perceptual blur metric" (SPIE 6492).  The image is re-blurred with a
  9-tap box filter along each axis; the fraction of neighbour-difference energy that the
  re-blur removes is high for sharp images and low for already blurred ones.  `blur` in 0..1
  (1 = as blurred as it gets), the larger of the two axes.
* noise: Immerkaer 1996, "Fast noise variance estimation" (CVIU 64(2)): sigma = sqrt(pi/2) /
  (6 (W-2)(H-2)) x sum |I * N| with N = [[1,-2,1],[-2,4,-2],[1,-2,1]], in 8-bit grey levels.

``score = sharpness x noise_factor x exposure_factor`` with sharpness = clip((BLUR_BAD - blur) /
(BLUR_BAD - BLUR_GOOD), 0, 1), noise_factor = 1 / (1 + (sigma / NOISE_SIGMA)^2), exposure_factor
= 1 - fraction of pixels clipped at 0 or 255 beyond `CLIP_FREE`.  Bands: ``high`` >= 0.6,
``medium`` >= 0.3, else ``low``.  The constants are Edge's, set on tests/images: sharp photos
score 0.6-1, the same photos Gaussian-blurred (sigma 3 px) or with sigma 25 noise below 0.3.
`confidence` is how far the score sits from the nearest band edge (0.5 at an edge, 1 far away).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Quality", "assess", "blur_effect", "noise_sigma", "IQA_SIDE", "MODEL_VERSION", "METHOD"]

IQA_SIDE = 512  # px, longer side analysed
MODEL_VERSION = 1
METHOD = "crete2007-blur+immerkaer1996-noise"
BLUR_GOOD, BLUR_BAD = 0.25, 0.55
NOISE_SIGMA = 6.0  # grey levels at which the noise factor is 0.5
CLIP_FREE = 0.02  # clipped fraction that costs nothing
HIGH, MEDIUM = 0.6, 0.3


@dataclass(frozen=True, slots=True)
class Quality:
    """`score` 0..1 (higher is better), `quality` low/medium/high, `confidence` 0.5..1, the
    measures behind it (`blur` 0..1, `noise` sigma in grey levels, `clipped` fraction) and
    `method` (``METHOD``)."""

    score: float
    quality: str
    confidence: float
    blur: float
    noise: float
    clipped: float
    method: str = METHOD


def _grey(rgb: np.ndarray) -> np.ndarray:
    a = rgb.astype(np.float32)
    if a.ndim == 2:
        return a
    return a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114


def _box9(a: np.ndarray, axis: int) -> np.ndarray:
    """9-tap moving average along `axis` (edges replicated)."""
    pad = [(0, 0), (0, 0)]
    pad[axis] = (4, 4)
    p = np.pad(a, pad, mode="edge")
    c = np.cumsum(p, axis=axis, dtype=np.float64)
    c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
    n = a.shape[axis]
    return ((np.take(c, np.arange(9, n + 9), axis=axis) - np.take(c, np.arange(0, n), axis=axis)) / 9).astype(np.float32)


def blur_effect(grey: np.ndarray) -> float:
    """Crete et al. 2007 blur in 0..1 (1 = very blurred) of a float (h, w) grey image."""
    out = 0.0
    for axis in (0, 1):
        if grey.shape[axis] < 3:
            continue
        b = _box9(grey, axis)
        d_f = np.abs(np.diff(grey, axis=axis))
        d_b = np.abs(np.diff(b, axis=axis))
        s_f = float(d_f.sum())
        if s_f <= 0:
            out = max(out, 1.0)
            continue
        s_v = float(np.maximum(0.0, d_f - d_b).sum())
        out = max(out, (s_f - s_v) / s_f)
    return out


def noise_sigma(grey: np.ndarray) -> float:
    """Immerkaer 1996 noise standard deviation (grey levels) of a float (h, w) grey image."""
    h, w = grey.shape
    if h < 3 or w < 3:
        return 0.0
    g = grey
    conv = (g[:-2, :-2] - 2 * g[:-2, 1:-1] + g[:-2, 2:]
            - 2 * g[1:-1, :-2] + 4 * g[1:-1, 1:-1] - 2 * g[1:-1, 2:]
            + g[2:, :-2] - 2 * g[2:, 1:-1] + g[2:, 2:])
    return float(math.sqrt(math.pi / 2) * np.abs(conv).sum() / (6 * (w - 2) * (h - 2)))


def assess(rgb: np.ndarray) -> Quality:
    """Quality of an (h, w, 3) or (h, w) uint8 image (see the module doc for the formula)."""
    g = _grey(rgb)
    blur = blur_effect(g)
    sigma = noise_sigma(g)
    clipped = float(((g <= 0.5) | (g >= 254.5)).mean())
    sharp = min(1.0, max(0.0, (BLUR_BAD - blur) / (BLUR_BAD - BLUR_GOOD)))
    score = sharp / (1.0 + (sigma / NOISE_SIGMA) ** 2) * (1.0 - max(0.0, clipped - CLIP_FREE))
    score = min(1.0, max(0.0, score))
    quality = "high" if score >= HIGH else "medium" if score >= MEDIUM else "low"
    edge = min(abs(score - HIGH), abs(score - MEDIUM))
    return Quality(score, quality, min(1.0, 0.5 + edge * 2), blur, sigma, clipped)
