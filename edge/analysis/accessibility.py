"""`accessibility_analysis` (upload-spec §3.7): how much of an image survives colour-blindness.

Simulation: Machado, Oliveira & Fernandes 2009, "A Physiologically-based Model for Simulation of
Color Vision Deficiency", IEEE TVCG 15(6):1291-1298, the severity-1.0 matrices for protanopia,
deuteranopia and tritanopia, applied to linear RGB (sRGB decoded by libvips), clipped to 0..1.
Colour differences are CIE76 ΔE in CIELAB (D65, libvips).  Everything is measured on the 256 px
copy of the call's one decode (opaque pixels only) and its 32-colour histogram
(`edge.analysis.colors`); each score is the **worst** of the three deficiencies.

* ``distinct_edges``: over neighbouring pixel pairs (right and below) that form a visible edge in
  the original (ΔE >= 10), the share of edge contrast that remains:
  ``sum(min(ΔE_sim, ΔE)) / sum(ΔE)``.  1.0 = every edge as strong as before.
* ``distinct_colors``: over pairs of histogram colours that are distinct in the original
  (ΔE >= 10), weighted by the product of their shares, the share that stays distinct
  (ΔE_sim >= 10).  1.0 when the image has fewer than two distinct colours.
* ``most_indistinct_pair``: of those pairs (each colour >= 1 % of the image), the one that loses
  the largest part of its difference (smallest ΔE_sim / ΔE, under any of the three deficiencies),
  as the two original ``#RRGGBB`` colours; ``[]`` when no pair loses 10 % or more.
* ``colorblind_accessibility_score``: the mean of distinct_edges and distinct_colors.
Values are Edge's own definitions (Cloudinary's are unpublished); 2 decimals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvips

from edge.analysis.colors import SIDE, colors_of, to_lab

__all__ = ["MACHADO_2009", "simulate", "analyze_accessibility", "EDGE_DE", "COLOR_DE"]

#: Machado et al. 2009, severity 1.0, linear RGB -> linear RGB
MACHADO_2009 = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]], np.float32),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]], np.float32),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]], np.float32),
}
EDGE_DE = 10.0  # ΔE of a visible edge
COLOR_DE = 10.0  # ΔE of two distinct colours


def _linear(rgb: np.ndarray) -> np.ndarray:
    """(n, 3) sRGB 0..255 -> (n, 3) float32 linear RGB 0..1 (libvips scRGB)."""
    im = pyvips.Image.new_from_array(np.asarray(rgb, np.uint8).reshape(1, -1, 3)).copy(interpretation="srgb")
    return np.asarray(im.colourspace("scrgb").numpy(), np.float32).reshape(-1, 3)


def _lab_of_linear(lin: np.ndarray) -> np.ndarray:
    im = pyvips.Image.new_from_array(np.ascontiguousarray(lin, np.float32).reshape(1, -1, 3)).copy(interpretation="scrgb")
    return np.asarray(im.colourspace("lab").numpy(), np.float32).reshape(-1, 3)


def simulate(rgb: np.ndarray, deficiency: str) -> np.ndarray:
    """CIELAB (n, 3) of (n, 3) sRGB colours as seen with `deficiency` (``protanopia``,
    ``deuteranopia``, ``tritanopia``; KeyError otherwise)."""
    m = MACHADO_2009[deficiency]
    lin = np.clip(_linear(rgb) @ m.T, 0.0, 1.0)
    return _lab_of_linear(lin)


def _de(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a - b) ** 2).sum(axis=-1))


def _edges(rgb: np.ndarray, mask: np.ndarray) -> float:
    h, w = rgb.shape[:2]
    flat = rgb.reshape(-1, 3)
    lab = to_lab(flat).reshape(h, w, 3)
    pairs = []
    for a, b, ma, mb in (
        (lab[:, :-1], lab[:, 1:], mask[:, :-1], mask[:, 1:]),
        (lab[:-1, :], lab[1:, :], mask[:-1, :], mask[1:, :]),
    ):
        pairs.append((a, b, ma & mb))
    orig = [(_de(a, b), m) for a, b, m in pairs]
    visible = [(d >= EDGE_DE) & m for d, m in orig]
    total = sum(float(d[v].sum()) for (d, _), v in zip(orig, visible))
    if total <= 0:
        return 1.0
    worst = 1.0
    for name in MACHADO_2009:
        sim = simulate(flat, name).reshape(h, w, 3)
        kept = 0.0
        for (d, _), v, (sa, sb) in zip(orig, visible, ((sim[:, :-1], sim[:, 1:]), (sim[:-1, :], sim[1:, :]))):
            kept += float(np.minimum(_de(sa, sb)[v], d[v]).sum())
        worst = min(worst, kept / total)
    return worst


def _colors(colors: list[list[Any]]) -> tuple[float, list[str]]:
    if len(colors) < 2:
        return 1.0, []
    hexes = [c[0] for c in colors]
    share = np.array([c[1] for c in colors], np.float64) / 100.0
    rgb = np.array([[int(h[i:i + 2], 16) for i in (1, 3, 5)] for h in hexes], np.uint8)
    lab = to_lab(rgb)
    d0 = _de(lab[:, None, :], lab[None, :, :])
    iu = np.triu_indices(len(hexes), 1)
    distinct = d0[iu] >= COLOR_DE
    if not distinct.any():
        return 1.0, []
    weight = (share[:, None] * share[None, :])[iu][distinct]
    worst, best_pair, best_de = 1.0, [], None
    big = (share[iu[0]] >= 0.01) & (share[iu[1]] >= 0.01)
    for name in MACHADO_2009:
        sim = simulate(rgb, name)
        ds = _de(sim[:, None, :], sim[None, :, :])[iu]
        ok = ds[distinct] >= COLOR_DE
        worst = min(worst, float((weight * ok).sum() / weight.sum()))
        ratio = ds / np.maximum(d0[iu], 1e-6)
        cand = np.nonzero(distinct & big & (ratio < 0.9))[0]
        if cand.size:
            k = cand[np.argmin(ratio[cand])]
            if best_de is None or ratio[k] < best_de:
                best_de = float(ratio[k])
                best_pair = [hexes[iu[0][k]], hexes[iu[1][k]]]
    return worst, best_pair


def analyze_accessibility(ctx: Any) -> dict[str, Any]:
    """The `accessibility_analysis` object of an `ImageContext`:
    ``{"colorblind_accessibility_analysis": {"distinct_edges", "distinct_colors",
    "most_indistinct_pair"}, "colorblind_accessibility_score"}``."""
    px = ctx.array(SIDE)
    rgb = px[:, :, :3]
    mask = px[:, :, 3] >= 128 if px.shape[2] == 4 else np.ones(px.shape[:2], bool)
    colors = colors_of(ctx)
    edges = _edges(np.ascontiguousarray(rgb), mask)
    distinct, pair = _colors(colors)
    return {
        "colorblind_accessibility_analysis": {
            "distinct_edges": round(edges, 2),
            "distinct_colors": round(distinct, 2),
            "most_indistinct_pair": pair,
        },
        "colorblind_accessibility_score": round((edges + distinct) / 2, 2),
    }
