"""`colors`, `predominant`, `illustration_score`, `semi_transparent`, `grayscale` (upload-spec
§3.1, §3.5), from a 256 px copy of the original (`SIDE`).

Histogram and quantisation (numpy, no per-pixel Python):
1. opaque pixels only (alpha >= 128; a fully transparent image has no colours);
2. a 5-bit-per-channel histogram (32 768 bins), each bin remembering the mean RGB of its pixels;
3. when at most 32 bins are occupied they are the colours (so a flat image gives its exact colour
   at 100.0); otherwise a weighted k-means (k = 32, 12 Lloyd iterations, Euclidean distance in
   CIELAB, deterministic start from the most populous coarse 2-bit cells, stopping early when
   no bin changes cluster) over the bins;
4. each colour is the pixel-weighted mean RGB of its bins, as ``#RRGGBB`` (uppercase); shares are
   rounded to one decimal with the largest-remainder method so that they sum to exactly 100.0
   (in tenths: 1000); colours rounding to 0.0 are dropped; sorted by share, descending.

`predominant`: every histogram bin goes to the nearest palette colour by CIE76 ΔE (Euclidean in
CIELAB, D65, conversion by libvips), shares are summed per name, names under 0.5 % dropped, one
decimal, descending.  A palette name is represented by several prototype colours (the name and its
common light/dark variants); every prototype RGB value is the centroid of that name in the xkcd
colour survey (Randall Munroe, 2010, ~222 000 participants; https://xkcd.com/color/rgb/ ,
published CC0; the same values ship in matplotlib as ``XKCD_COLORS``), which reflects what people
call a colour better than the CSS named colours do.

* ``google``: Google's 12 dominant-colour names: black, blue, brown, gray, green, orange, pink,
  purple, red, teal, white, yellow.
* ``cloudinary``: a finer set of 20 (Cloudinary does not publish theirs; the names seen in real
  responses are a subset): black, gray, silver, white, red, maroon, orange, brown, yellow, olive,
  lime, green, teal, cyan, blue, lightblue, navy, purple, magenta, pink.

`illustration_score` (0..1, 1 = illustration/graphic, 0 = photograph) is a **heuristic**, not a
trained model: the mean of three cues measured on the 256 px copy,
* palette: ``min(1 - log(n95) / log(1500), 1 - log(l95) / log(160))`` clipped to 0..1, n95 = the
  fewest 5-bit colour bins and l95 the fewest 8-bit luminance levels holding 95 % of the pixels (a
  logo needs a handful, a photo hundreds to thousands of bins and most grey levels; the luminance
  term keeps grey photographs, which occupy few colour bins, from looking like graphics);
* flat share: the share of pixels whose largest 4-neighbour difference is <= 2 (out of 255),
  rescaled so 0.6 and above count fully (photos have sensor noise and texture, graphics flat fills);
* edge contrast: among non-flat pixels, the share with a difference >= 40 (graphics have few, hard
  edges; photos many soft gradients), rescaled so 0.5 and above count fully.

`semi_transparent`: the image has an alpha band with at least one pixel below 255.
`grayscale`: one-band (b-w) originals, or at most 0.1 % of pixels with chroma (max - min of R, G, B)
above 12/255 (JPEG chroma noise in grey photos stays below that).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvips

__all__ = [
    "SIDE", "GOOGLE", "CLOUDINARY", "analyze_colors", "histogram_colors", "predominant",
    "illustration_score", "is_semi_transparent", "is_grayscale", "to_lab", "percentages",
    "Histogram", "histogram_of", "colors_of",
]

SIDE = 256  # px, longer side of the copy colours are measured on
MAX_COLORS = 32
MIN_PREDOMINANT = 0.5  # percent

# xkcd colour survey centroids (https://xkcd.com/color/rgb/, CC0)
_XKCD = {
    "black": "000000", "almost black": "070d0d", "white": "ffffff", "ivory": "ffffcb",
    "pale grey": "fdfdfe", "grey": "929591", "light grey": "d8dcd6", "dark grey": "363737",
    "silver": "c5c9c7", "charcoal": "343837", "slate": "516572", "blue grey": "607c8e",
    "blue": "0343df", "light blue": "95d0fc", "sky blue": "75bbfd", "baby blue": "a2cffe",
    "dark blue": "00035b", "navy blue": "001146", "navy": "01153e", "royal blue": "0504aa",
    "steel blue": "5a7d9a", "denim blue": "3b5b92",
    "brown": "653700", "light brown": "ad8150", "dark brown": "341c02", "tan": "d1b26f",
    "beige": "e6daa6", "taupe": "b9a281", "khaki": "aaa662",
    "green": "15b01a", "light green": "96f97b", "dark green": "033500", "forest green": "06470c",
    "olive": "6e750e", "olive green": "677a04", "lime": "aaff32", "lime green": "89fe05",
    "yellow green": "c0fb2d", "sage": "87ae73", "moss green": "658b38",
    "orange": "f97306", "light orange": "fdaa48", "peach": "ffb07c", "burnt orange": "c04e01",
    "dark orange": "c65102",
    "pink": "ff81c0", "light pink": "ffd1df", "hot pink": "ff028d", "salmon": "ff796c",
    "rose": "cf6275", "mauve": "ae7181",
    "purple": "7e1e9c", "light purple": "bf77f6", "violet": "9a0eea", "lavender": "c79fef",
    "indigo": "380282", "dark purple": "35063e", "lilac": "cea2fd", "plum": "580f41",
    "magenta": "c20078", "fuchsia": "ed0dd9",
    "red": "e50000", "light red": "ff474c", "dark red": "840000", "maroon": "650021",
    "crimson": "8c000f", "brick red": "8f1402", "burgundy": "610023",
    "teal": "029386", "dark teal": "014d4e", "blue green": "137e6d", "turquoise": "06c2ac",
    "aqua": "13eac9", "cyan": "00ffff",
    "yellow": "ffff14", "light yellow": "fffe7a", "pale yellow": "ffff84", "mustard": "ceb301",
    "gold": "dbb40c", "dark yellow": "d5b60a",
}

#: palette name -> xkcd prototype names
GOOGLE: dict[str, tuple[str, ...]] = {
    "black": ("black", "almost black"),
    "blue": ("blue", "light blue", "sky blue", "baby blue", "dark blue", "navy blue", "royal blue",
             "steel blue", "denim blue"),
    "brown": ("brown", "light brown", "dark brown", "tan", "beige", "taupe", "khaki"),
    "gray": ("grey", "light grey", "dark grey", "silver", "charcoal", "slate", "blue grey"),
    "green": ("green", "light green", "dark green", "forest green", "olive", "olive green",
              "lime", "lime green", "yellow green", "sage", "moss green"),
    "orange": ("orange", "light orange", "peach", "burnt orange", "dark orange"),
    "pink": ("pink", "light pink", "hot pink", "salmon", "rose", "mauve"),
    "purple": ("purple", "light purple", "violet", "lavender", "indigo", "dark purple", "lilac",
               "plum", "magenta", "fuchsia"),
    "red": ("red", "light red", "dark red", "maroon", "crimson", "brick red", "burgundy"),
    "teal": ("teal", "dark teal", "blue green", "turquoise", "aqua", "cyan"),
    "white": ("white", "ivory", "pale grey"),
    "yellow": ("yellow", "light yellow", "pale yellow", "mustard", "gold", "dark yellow"),
}
CLOUDINARY: dict[str, tuple[str, ...]] = {
    "black": ("black", "almost black"),
    "gray": ("grey", "dark grey", "charcoal", "slate", "blue grey"),
    "silver": ("silver", "light grey"),
    "white": ("white", "ivory", "pale grey"),
    "red": ("red", "light red"),
    "maroon": ("maroon", "dark red", "crimson", "brick red", "burgundy"),
    "orange": ("orange", "light orange", "peach", "burnt orange", "dark orange"),
    "brown": ("brown", "light brown", "dark brown", "tan", "beige", "taupe"),
    "yellow": ("yellow", "light yellow", "pale yellow", "mustard", "gold", "dark yellow"),
    "olive": ("olive", "olive green", "khaki", "moss green"),
    "lime": ("lime", "lime green", "yellow green", "light green"),
    "green": ("green", "dark green", "forest green", "sage"),
    "teal": ("teal", "dark teal", "blue green"),
    "cyan": ("cyan", "turquoise", "aqua"),
    "blue": ("blue", "royal blue", "steel blue", "denim blue"),
    "lightblue": ("light blue", "sky blue", "baby blue"),
    "navy": ("navy", "navy blue", "dark blue"),
    "purple": ("purple", "light purple", "violet", "lavender", "indigo", "dark purple", "lilac", "plum"),
    "magenta": ("magenta", "fuchsia"),
    "pink": ("pink", "light pink", "hot pink", "salmon", "rose", "mauve"),
}


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """(n, 3) sRGB values 0..255 (any numeric dtype) -> (n, 3) float32 CIELAB (D65), converted
    by libvips (`colourspace("lab")`)."""
    rgb = np.asarray(rgb, dtype=np.float32).reshape(-1, 3)
    if rgb.shape[0] == 0:
        return np.zeros((0, 3), np.float32)
    im = pyvips.Image.new_from_array(rgb.reshape(1, -1, 3)).copy(interpretation="srgb")
    lab = im.colourspace("lab").numpy()
    return np.asarray(lab, dtype=np.float32).reshape(-1, 3)


def _palette(groups: dict[str, tuple[str, ...]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    names, owners, rgbs = list(groups), [], []
    for i, n in enumerate(names):
        for proto in groups[n]:
            h = _XKCD[proto]
            rgbs.append([int(h[k:k + 2], 16) for k in (0, 2, 4)])
            owners.append(i)
    return names, np.array(owners), to_lab(np.array(rgbs, np.float32))


_PALETTES: dict[str, Any] = {}


def _palette_of(kind: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    if kind not in _PALETTES:
        _PALETTES[kind] = _palette(GOOGLE if kind == "google" else CLOUDINARY)
    return _PALETTES[kind]


class Histogram:
    """Occupied 5-bit RGB bins of the opaque pixels: `counts` (n,) int, `mean` (n, 3) float
    mean RGB 0..255 of each bin's pixels, `lab` (n, 3) CIELAB of `mean`, `total` pixels."""

    def __init__(self, pixels: np.ndarray) -> None:
        px = pixels.reshape(-1, pixels.shape[-1])
        if px.shape[1] == 4:
            px = px[px[:, 3] >= 128]
        px = px[:, :3]
        self.total = int(px.shape[0])
        idx = ((px[:, 0].astype(np.int32) >> 3) << 10) | ((px[:, 1].astype(np.int32) >> 3) << 5) | (px[:, 2] >> 3)
        counts = np.bincount(idx, minlength=32768)
        occ = np.nonzero(counts)[0]
        sums = np.stack([np.bincount(idx, weights=px[:, c], minlength=32768)[occ] for c in range(3)], axis=1)
        self.bins = occ
        self.counts = counts[occ]
        self.mean = sums / np.maximum(self.counts, 1)[:, None]
        self.lab = to_lab(self.mean)


def percentages(counts: np.ndarray) -> np.ndarray:
    """Shares in tenths of a percent (ints) summing to exactly 1000 (largest remainder)."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.size == 0 or counts.sum() <= 0:
        return np.zeros(counts.shape, np.int64)
    exact = counts * 1000.0 / counts.sum()
    tenths = np.floor(exact).astype(np.int64)
    rest = 1000 - int(tenths.sum())
    if rest > 0:
        order = np.argsort(-(exact - tenths), kind="stable")
        tenths[order[:rest]] += 1
    return tenths


def _kmeans(h: Histogram, k: int, iterations: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Weighted k-means over the bins (CIELAB): (labels (n,), number of clusters)."""
    w = h.counts.astype(np.float64)
    coarse = ((h.bins >> 13) << 4) | (((h.bins >> 8) & 3) << 2) | ((h.bins >> 3) & 3)  # 2 bits/channel
    cw = np.bincount(coarse, weights=w, minlength=64)
    seeds = [c for c in np.argsort(-cw, kind="stable") if cw[c] > 0][:k]
    centres = np.stack([np.average(h.lab[coarse == c], axis=0, weights=w[coarse == c]) for c in seeds])
    if len(seeds) < k:  # few coarse cells: add the most populous bins not yet used as seeds
        extra = h.lab[np.argsort(-w, kind="stable")[: k - len(seeds)]]
        centres = np.concatenate([centres, extra])
    x = h.lab.astype(np.float64)
    labels = np.full(len(w), -1, np.int64)
    k = len(centres)
    for _ in range(iterations):
        new = _nearest(x, centres)
        if np.array_equal(new, labels):
            break
        labels = new
        cnt = np.bincount(labels, weights=w, minlength=k)
        sums = np.stack([np.bincount(labels, weights=w * x[:, c], minlength=k) for c in range(3)], axis=1)
        centres = np.where(cnt[:, None] > 0, sums / np.maximum(cnt, 1e-9)[:, None], centres)
    return labels, k


def _nearest(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre (squared Euclidean) for each row of (n, 3) `x`: |c|^2 - 2 x.c
    as three outer products (no BLAS call: its thread start-up costs more than the maths)."""
    d = (centres * centres).sum(axis=1)[None, :]
    for c in range(3):
        d = d - 2.0 * np.multiply.outer(x[:, c], centres[:, c])
    return d.argmin(axis=1)


def histogram_colors(h: Histogram, max_colors: int = MAX_COLORS) -> list[list[Any]]:
    """Up to `max_colors` ``["#RRGGBB", percent]`` pairs (percent one decimal, descending,
    summing to 100.0); [] when there are no opaque pixels."""
    if h.total == 0:
        return []
    if len(h.counts) <= max_colors:
        labels, k = np.arange(len(h.counts)), len(h.counts)
    else:
        labels, k = _kmeans(h, max_colors)
    w = h.counts.astype(np.float64)
    cnt = np.bincount(labels, weights=w, minlength=k)
    rgb = np.stack([np.bincount(labels, weights=w * h.mean[:, c], minlength=k) for c in range(3)], axis=1)
    merged: dict[str, float] = {}
    for i in np.nonzero(cnt)[0]:
        r, g, b = np.clip(np.rint(rgb[i] / cnt[i]), 0, 255).astype(int)
        hexa = f"#{r:02X}{g:02X}{b:02X}"
        merged[hexa] = merged.get(hexa, 0.0) + float(cnt[i])
    names = list(merged)
    tenths = percentages(np.array([merged[n] for n in names]))
    pairs = [(n, int(t)) for n, t in zip(names, tenths) if t > 0]
    pairs.sort(key=lambda p: (-p[1], p[0]))
    return [[n, t / 10] for n, t in pairs]


def predominant(h: Histogram, kind: str = "google") -> list[list[Any]]:
    """``[[name, percent], ...]`` over palette `kind` (``google`` or ``cloudinary``): nearest
    prototype by CIE76 ΔE per histogram bin, shares per name (one decimal), names under 0.5 %
    dropped, descending."""
    if h.total == 0:
        return []
    names, owners, lab = _palette_of(kind)
    who = owners[_nearest(h.lab.astype(np.float64), lab.astype(np.float64))]
    share = np.bincount(who, weights=h.counts.astype(np.float64), minlength=len(names)) * 100.0 / h.total
    out = [[names[i], round(float(share[i]), 1)] for i in range(len(names)) if share[i] >= MIN_PREDOMINANT]
    out.sort(key=lambda p: (-p[1], p[0]))
    return out


def illustration_score(rgb: np.ndarray, h: Histogram) -> float:
    """Heuristic 0..1 (module docstring): mean of the palette, flat-share and edge-contrast
    cues on an (h, w, 3) uint8 array and its histogram."""
    if h.total == 0 or rgb.shape[0] < 2 or rgb.shape[1] < 2:
        return 0.0
    c = np.sort(h.counts)[::-1].cumsum()
    n95 = int(np.searchsorted(c, 0.95 * h.total) + 1)
    a = rgb.astype(np.int16)
    i32 = rgb.astype(np.int32)
    luma = (i32[:, :, 0] * 77 + i32[:, :, 1] * 150 + i32[:, :, 2] * 29) >> 8  # BT.601, 8 bits
    lc = np.sort(np.bincount(luma.ravel(), minlength=256))[::-1].cumsum()
    l95 = int(np.searchsorted(lc, 0.95 * lc[-1]) + 1)
    palette = float(np.clip(min(1.0 - np.log(n95) / np.log(1500.0), 1.0 - np.log(l95) / np.log(160.0)), 0.0, 1.0))
    ax, ay = np.abs(np.diff(a, axis=1)), np.abs(np.diff(a, axis=0))
    dx = np.maximum(np.maximum(ax[:, :, 0], ax[:, :, 1]), ax[:, :, 2])
    dy = np.maximum(np.maximum(ay[:, :, 0], ay[:, :, 1]), ay[:, :, 2])
    d = np.zeros(rgb.shape[:2], np.int16)
    d[:, :-1] = dx
    d[:, 1:] = np.maximum(d[:, 1:], dx)
    d[:-1, :] = np.maximum(d[:-1, :], dy)
    d[1:, :] = np.maximum(d[1:, :], dy)
    flat = float((d <= 2).mean())
    busy = d > 2
    hard = float((d[busy] >= 40).mean()) if busy.any() else 1.0
    score = (palette + min(1.0, flat / 0.6) + min(1.0, hard / 0.5)) / 3.0
    return round(score, 2)


def is_semi_transparent(pixels: np.ndarray) -> bool:
    """True when `pixels` (h, w, 4) has any alpha below 255; False without an alpha band."""
    return pixels.ndim == 3 and pixels.shape[2] == 4 and bool((pixels[:, :, 3] < 255).any())


def is_grayscale(pixels: np.ndarray, *, one_band: bool = False) -> bool:
    """True for one-band originals, or when at most 0.1 % of the opaque pixels have chroma
    (max - min of R, G, B) above 12."""
    if one_band:
        return True
    px = pixels.reshape(-1, pixels.shape[-1])
    if px.shape[1] == 4:
        px = px[px[:, 3] >= 128]
    if px.shape[0] == 0:
        return True
    rgb = px[:, :3]
    chroma = np.maximum(np.maximum(rgb[:, 0], rgb[:, 1]), rgb[:, 2]).astype(np.int16) - np.minimum(np.minimum(rgb[:, 0], rgb[:, 1]), rgb[:, 2])
    return bool((chroma > 12).mean() <= 0.001)


def histogram_of(ctx: Any) -> Histogram:
    """The `Histogram` of an `ImageContext`'s 256 px copy, made once per call."""
    h = ctx.cache.get("histogram")
    if h is None:
        h = ctx.cache["histogram"] = Histogram(ctx.array(SIDE))
    return h


def colors_of(ctx: Any) -> list[list[Any]]:
    """The `colors` list of an `ImageContext`, made once per call."""
    c = ctx.cache.get("colors")
    if c is None:
        c = ctx.cache["colors"] = histogram_colors(histogram_of(ctx))
    return c


def analyze_colors(ctx: Any) -> dict[str, Any]:
    """The five colour fields of an `ImageContext` (upload-spec §3.1, §3.5):
    ``{"colors", "predominant": {"google", "cloudinary"}, "illustration_score",
    "semi_transparent", "grayscale"}``."""
    pixels = ctx.array(SIDE)
    h = histogram_of(ctx)
    colors = colors_of(ctx)
    return {
        "colors": colors,
        "predominant": {"google": predominant(h, "google"), "cloudinary": predominant(h, "cloudinary")},
        "illustration_score": illustration_score(ctx.rgb(SIDE), h),
        "semi_transparent": is_semi_transparent(pixels),
        "grayscale": is_grayscale(pixels, one_band=ctx.one_band),
    }
