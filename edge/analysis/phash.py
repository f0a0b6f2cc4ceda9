"""`phash` (upload-spec §3.2): 64-bit DCT perceptual hash by `imagehash.phash`.

Algorithm (imagehash 4.3, after Neal Krawetz, "Looks Like It", hackerfactor.com 2011): 32 x 32
grey image -> 2-D DCT-II -> the 8 x 8 lowest frequencies -> one bit per coefficient, set when it
is above their median.  Edge hands imagehash a 32 x 32 luminance copy made by libvips from the
call's one decode (aspect not kept, alpha flattened onto white), so imagehash's own resize is a
no-op.  Bits are read row-major, first bit most significant (imagehash's order), and emitted as
lowercase hex **without zero padding** (``format(h, "x")``, as Cloudinary's responses show:
15- and 16-character values).  Values are format-compatible with Cloudinary's, not
bit-identical (their resize is unpublished).
"""

from __future__ import annotations

from typing import Any

import imagehash
import numpy as np
from PIL import Image

try:  # imagehash.phash imports scipy.fftpack on first use (~100 ms): pay that at import time
    import scipy.fftpack  # noqa: F401
except ImportError:  # pragma: no cover - imagehash depends on scipy
    pass

__all__ = ["phash_int", "phash_hex", "phash_distance", "SIZE"]

SIZE = 32  # px, side of the grey image the DCT runs on (hash_size 8 x highfreq_factor 4)


def phash_int(grey: np.ndarray) -> int:
    """64-bit pHash of an (h, w) uint8 luminance array (any size; imagehash resizes to 32 x 32
    with Lanczos when it is not already)."""
    h = imagehash.phash(Image.fromarray(np.ascontiguousarray(grey, dtype=np.uint8), mode="L"))
    return int(str(h), 16)


def phash_hex(ctx: Any) -> str:
    """The `phash` field of an `ImageContext`: lowercase hex, no zero padding."""
    g = ctx.grey(SIZE)
    return format(phash_int(g.numpy().reshape(g.height, g.width)), "x")


def phash_distance(a: str | int, b: str | int) -> int:
    """Hamming distance (0..64) between two pHashes given as hex strings (padded or not) or
    ints: the number of differing bits.  Raises ValueError for a string that is not hex."""
    x = int(a, 16) if isinstance(a, str) else int(a)
    y = int(b, 16) if isinstance(b, str) else int(b)
    if not (0 <= x < 1 << 64 and 0 <= y < 1 << 64):
        raise ValueError("a pHash is a 64-bit value")
    return (x ^ y).bit_count()
