"""Neighbourhood filters shared by effects: distance to a mask and a median of any size.
"""

from __future__ import annotations

import pyvips

__all__ = ["distance_to", "median"]


_DISTANCE_MAX_SIDE = 1024

def distance_to(seeds: pyvips.Image) -> pyvips.Image:
    """Euclidean distance in px from every pixel to the nearest non-zero pixel of `seeds`
    (one band), as a float image of the same size (libvips `fill_nearest`).

    Masks longer than 1024 px are measured on a downsized copy and scaled back (precision is
    then the downsizing factor, in px), which bounds the cost on big images.  A mask with no
    seed gives a constant distance larger than the image diagonal.
    """
    w, h = seeds.width, seeds.height
    stats = seeds.stats()  # one pass for both: row 0 of `stats` holds min (col 0) and max (col 1)
    lo, hi = stats(0, 0)[0], stats(1, 0)[0]
    if hi == 0:
        return pyvips.Image.black(w, h) + float(w + h)
    if lo > 0:
        return pyvips.Image.black(w, h).cast("float")
    scale = min(1.0, _DISTANCE_MAX_SIDE / max(w, h))
    work = seeds if scale == 1.0 else (seeds.resize(scale, kernel="linear") > 0)
    _, extra = work.fill_nearest(distance=True)
    dist = extra["distance"]
    if scale < 1.0:
        dist = (dist / scale).resize(w / dist.width, vscale=h / dist.height, kernel="linear")
        if dist.width != w or dist.height != h:
            dist = dist.embed(0, 0, w, h, extend="copy")
    return dist

def median(image: pyvips.Image, size: int) -> pyvips.Image:
    """Per-band median over a `size` x `size` window (odd), for images of any size: edges are
    repeated so even an image smaller than the window works; same size out."""
    r = size // 2
    if r == 0:
        return image
    padded = image.embed(r, r, image.width + 2 * r, image.height + 2 * r, extend="copy")
    out = padded.median(size)
    if out.width == padded.width:
        return out.crop(r, r, image.width, image.height)
    return out.crop(0, 0, image.width, image.height)
