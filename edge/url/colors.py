"""Colour values of the URL (`b_`, `co_`, border colour): names, `rgb:<hex>`, `transparent`.

Named colours are the CSS/X11 names as known to Pillow's `ImageColor.colormap` (the same
table Cloudinary's docs use), plus `transparent` and `none` (both RGBA 0,0,0,0).
"""

from __future__ import annotations

import functools
import re

from PIL import ImageColor

from .ast import Color
from .errors import UrlError

__all__ = ["parse_color"]

_HEX = re.compile(r"[0-9A-Fa-f]+\Z")


@functools.lru_cache(maxsize=1024)
def parse_color(text: str, *, key: str = "co") -> Color:
    """Parse a colour value into `Color(r, g, b, a)` (channels 0..255).

    Accepts `rgb:` + 3, 4, 6 or 8 hex digits (`rgb:f00`, `rgb:ff000080`), a bare 3/6-digit
    hex after `#` (already rewritten by the SDK, accepted anyway), a colour name, `transparent`,
    `none`.  Raises UrlError ("Invalid value for <key>: <text>") otherwise.
    """
    low = text.lower()
    if low in ("transparent", "none"):
        return Color(0, 0, 0, 0, text)
    hex_part = None
    if low.startswith("rgb:"):
        hex_part = text[4:]
    elif low.startswith("#"):
        hex_part = text[1:]
    if hex_part is not None:
        if not _HEX.match(hex_part) or len(hex_part) not in (3, 4, 6, 8):
            raise UrlError(f"Invalid value for {key}: {text}")
        if len(hex_part) in (3, 4):
            hex_part = "".join(c * 2 for c in hex_part)
        r, g, b = (int(hex_part[i : i + 2], 16) for i in (0, 2, 4))
        a = int(hex_part[6:8], 16) if len(hex_part) == 8 else 255
        return Color(r, g, b, a, text)
    if low in ImageColor.colormap:
        rgb = ImageColor.getrgb(low)
        return Color(rgb[0], rgb[1], rgb[2], 255, text)
    raise UrlError(f"Invalid value for {key}: {text}")
