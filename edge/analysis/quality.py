"""`quality_analysis` and `quality_score` (upload-spec §3.6).  Every factor is 0..1, 1 best.

Exact, from the file header (`edge.analysis.jpeg`) and size:
* ``jpeg_quality`` (JPEG only): the IJG quality estimated from the DQT tables, / 100.
* ``jpeg_chroma`` (JPEG only) and ``chroma_subsampling`` (every format): chroma samples per luma
  sample, 1.0 = no subsampling (4:4:4), 0.5 = 4:2:2 / 4:4:0, 0.25 = 4:2:0 / 4:1:1; from the SOF
  sampling factors for JPEG, 0.25 for lossy WebP (VP8 is always 4:2:0), 1.0 for lossless formats
  (PNG, GIF, lossless WebP, TIFF); absent when unknown (HEIC/AVIF).
* ``resolution``: ``min(1, width x height / (1920 x 1080))`` (HD and above score 1).

Measured on the analysis copies (alpha flattened on white): focus and noise on the luminance of
the 1024 px copy (or the original when smaller), the global statistics (contrast, exposure,
saturation, lighting) on the 256 px copy.  Documented heuristics, not a trained model:
* ``focus``: variance of the Laplacian (3 x 3 kernel [[0,1,0],[1,-4,1],[0,1,0]], grey levels
  0..255) — "LAPV", Pech-Pacheco et al. 2000, "Diatom autofocusing in brightfield microscopy: a
  comparative study" (ICPR) — mapped by a logistic on its log: ``1 / (1 + exp(-2.5 (log10(v) -
  2)))``: v = 100 (the usual blur threshold) gives 0.5, v = 1000 gives 0.92, v = 10 gives 0.08.
* ``noise``: Immerkær's fast noise estimate (J. Immerkær 1996, "Fast Noise Variance Estimation",
  CVIU 64(2)): sigma = sqrt(pi/2) / (6 (W-2)(H-2)) x sum |I * N|, N = [[1,-2,1],[-2,4,-2],[1,-2,1]];
  ``noise = 1 - min(1, sigma / 12)``.  Texture counts as noise, so busy photos score a little low.
* ``contrast``: RMS contrast (standard deviation of luminance 0..1); ``min(1, rms / 0.25)``.
* ``exposure``: ``0.6 x (1 - 2 |mean - 0.5|) + 0.4 x (1 - min(1, clipped / 0.2))``, mean luminance
  0..1, clipped = share of pixels at <= 3 or >= 252.
* ``saturation``: mean HSV saturation ``(max - min) / max`` of R, G, B; ``min(1, mean / 0.5)``
  (black-and-white photos score 0: it measures colourfulness, not a fault).
* ``color_score``: colourfulness M of Hasler & Süsstrunk 2003 ("Measuring colourfulness in natural
  images", SPIE 5007): rg = R - G, yb = (R + G) / 2 - B, M = sqrt(sd_rg^2 + sd_yb^2) +
  0.3 sqrt(mean_rg^2 + mean_yb^2) (0..255 levels); ``min(1, M / 82)`` (82 = their "highly
  colourful").
* ``lighting``: evenness of illumination: ``1 - min(1, std of the 4 x 4 block mean luminances /
  0.5)``.
* ``blockiness`` (JPEG originals no larger than the 1024 px analysis copy and stored upright, so
  the 8 x 8 block grid is intact in the pixels measured): a block-edge impairment ratio after Wu &
  Yuen 1997 ("A generalized block-edge impairment metric for video coding", IEEE SPL 4(11)): r =
  mean |luma difference| across the block boundaries / mean |difference| inside blocks, both
  directions; ``blockiness = 1 - min(1, max(0, r - 1) / 1.5)`` (1 = no visible blocks).  Omitted
  for larger or rotated JPEGs (the grid is lost by the shrink) and other formats.
`pixel_score` and `dct` of Cloudinary's beta are not provided.

``quality_score``: the weighted mean of the factors present (weights: focus 0.30, exposure 0.15,
noise 0.15, contrast 0.10, resolution 0.10, jpeg_quality 0.10, lighting 0.05, color_score 0.05;
renormalised over the factors present), rounded to 2 decimals.  Multi-page files: first page.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edge.analysis.jpeg import chroma_ratio, estimate_quality, read_jpeg_header

__all__ = ["SIDE", "WEIGHTS", "analyze_quality", "block_ratio", "focus_score", "laplacian_variance", "noise_sigma", "quality_factors"]

SIDE = 1024  # px, longer side of the copy focus and noise are measured on
SMALL = 256  # px, longer side of the copy the global statistics are measured on
WEIGHTS = {"focus": 0.30, "exposure": 0.15, "noise": 0.15, "contrast": 0.10, "resolution": 0.10,
           "jpeg_quality": 0.10, "lighting": 0.05, "color_score": 0.05}


def laplacian_variance(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of an (h, w) grey array (levels 0..255)."""
    g = grey.astype(np.float32)
    if g.shape[0] < 3 or g.shape[1] < 3:
        return 0.0
    lap = g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4.0 * g[1:-1, 1:-1]
    return float(lap.var())


def focus_score(variance: float) -> float:
    """Laplacian variance -> 0..1 by the logistic of the module docstring."""
    if variance <= 0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-2.5 * (math.log10(variance) - 2.0)))


def noise_sigma(grey: np.ndarray) -> float:
    """Immerkær's noise standard deviation (grey levels) of an (h, w) array."""
    g = grey.astype(np.float32)
    h, w = g.shape
    if h < 3 or w < 3:
        return 0.0
    c = g[1:-1, 1:-1]
    conv = (g[:-2, :-2] + g[:-2, 2:] + g[2:, :-2] + g[2:, 2:]
            - 2.0 * (g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]) + 4.0 * c)
    return float(math.sqrt(math.pi / 2) * np.abs(conv).sum() / (6.0 * (w - 2) * (h - 2)))


def block_ratio(grey: np.ndarray) -> float:
    """Wu & Yuen's ratio of mean absolute luma differences across 8-px block boundaries to those
    inside blocks (both directions) of an (h, w) array whose block grid starts at (0, 0);
    1.0 when there is nothing to compare."""
    g = grey.astype(np.float32)
    ratios = []
    for d in (np.abs(np.diff(g, axis=1)), np.abs(np.diff(g, axis=0)).T):
        n = d.shape[1]
        if n < 16:
            continue
        at = np.zeros(n, bool)
        at[7::8] = True  # difference between column 8k+7 and 8k+8
        inside = float(d[:, ~at].mean())
        ratios.append(float(d[:, at].mean()) / max(inside, 1e-3))
    return float(np.mean(ratios)) if ratios else 1.0


def _chroma_of(ctx: Any) -> tuple[float | None, float | None]:
    """(jpeg_quality 0..1 or None, chroma ratio or None) from the header."""
    fmt = ctx.header.format
    if fmt == "jpg":
        h = read_jpeg_header(ctx.data)
        if h is None:
            return None, None
        q = estimate_quality(h)
        return (q / 100 if q else None), chroma_ratio(h)
    if fmt == "webp":
        lossless = b"VP8L" in ctx.data[12:40]
        return None, 1.0 if lossless else 0.25
    if fmt in ("png", "gif", "tiff"):
        return None, 1.0
    return None, None


def _max3(a: np.ndarray) -> np.ndarray:
    return np.maximum(np.maximum(a[:, :, 0], a[:, :, 1]), a[:, :, 2])


def _min3(a: np.ndarray) -> np.ndarray:
    return np.minimum(np.minimum(a[:, :, 0], a[:, :, 1]), a[:, :, 2])


def quality_factors(rgb: np.ndarray, width: int, height: int, small: np.ndarray | None = None) -> dict[str, float]:
    """The pixel factors (focus, noise, contrast, exposure, saturation, color_score, lighting) of an
    (h, w, 3) uint8 analysis copy `rgb` (`small`: a smaller copy for the global statistics,
    default `rgb`), plus resolution from the original's `width` x `height` px."""
    f = rgb.astype(np.float32)
    grey = 0.299 * f[:, :, 0] + 0.587 * f[:, :, 1] + 0.114 * f[:, :, 2]  # ITU-R BT.601 luma
    s = rgb if small is None else small
    sf = s.astype(np.float32)
    sgrey = 0.299 * sf[:, :, 0] + 0.587 * sf[:, :, 1] + 0.114 * sf[:, :, 2]
    lum = sgrey / 255.0
    mean = float(lum.mean())
    clipped = float(((sgrey <= 3) | (sgrey >= 252)).mean())
    mx = _max3(s).astype(np.float32)
    sat = (mx - _min3(s)) / np.maximum(mx, 1.0)
    rg = sf[:, :, 0] - sf[:, :, 1]
    yb = 0.5 * (sf[:, :, 0] + sf[:, :, 1]) - sf[:, :, 2]
    colourfulness = float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
    if lum.shape[0] >= 4 and lum.shape[1] >= 4:
        bh, bw = lum.shape[0] // 4, lum.shape[1] // 4
        blocks = lum[: bh * 4, : bw * 4].reshape(4, bh, 4, bw).mean(axis=(1, 3))
    else:
        blocks = lum
    return {
        "focus": focus_score(laplacian_variance(grey)),
        "noise": 1.0 - min(1.0, noise_sigma(grey) / 12.0),
        "contrast": min(1.0, float(lum.std()) / 0.25),
        "exposure": 0.6 * (1.0 - 2.0 * abs(mean - 0.5)) + 0.4 * (1.0 - min(1.0, clipped / 0.2)),
        "saturation": min(1.0, float(sat.mean()) / 0.5),
        "color_score": min(1.0, colourfulness / 82.0),
        "lighting": 1.0 - min(1.0, float(blocks.std()) / 0.5),
        "resolution": min(1.0, width * height / (1920 * 1080)),
    }


def analyze_quality(ctx: Any) -> dict[str, Any]:
    """``{"quality_analysis": {...}, "quality_score": float}`` for an `ImageContext`."""
    factors = quality_factors(ctx.rgb(SIDE), ctx.width, ctx.height, ctx.rgb(SMALL))
    jq, chroma = _chroma_of(ctx)
    qa: dict[str, float] = {"focus": factors["focus"]}
    if jq is not None:
        qa["jpeg_quality"] = jq
        qa["jpeg_chroma"] = chroma
    for k in ("noise", "contrast", "exposure", "saturation", "color_score", "lighting", "resolution"):
        qa[k] = factors[k]
    if chroma is not None:
        qa["chroma_subsampling"] = chroma
    if jq is not None and ctx.header.orientation == 1 and max(ctx.width, ctx.height) <= SIDE:
        rgb = ctx.rgb(SIDE).astype(np.float32)
        grey = 0.299 * rgb[:, :, 0] + 0.587 * rgb[:, :, 1] + 0.114 * rgb[:, :, 2]
        qa["blockiness"] = 1.0 - min(1.0, max(0.0, block_ratio(grey) - 1.0) / 1.5)
    qa = {k: round(float(v), 2) for k, v in qa.items()}
    total = sum(WEIGHTS[k] for k in qa if k in WEIGHTS)
    score = sum(WEIGHTS[k] * qa[k] for k in qa if k in WEIGHTS) / total
    return {"quality_analysis": qa, "quality_score": round(score, 2)}
