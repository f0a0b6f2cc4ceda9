"""Text rendering for `l_text:` layers, with the bundled DejaVu Sans font.

`render_text` lays text out with Pango through libvips `text` (`fontfile=` loads the bundled
font, so output does not depend on the host's fonts) and returns an RGBA image: the glyph
coverage becomes the alpha band of a solid colour.  Any font family a URL names (`Arial`,
`Roboto@google`, ...) is drawn with DejaVu Sans (Edge ships one open family); weight and
style pick the Bold / Oblique faces.  Sizes are px (libvips renders at 72 dpi, where Pango's
points equal pixels).  Style tokens kept in `TextStyle.extras` (`stroke`, `antialias_*`,
`hinting_*`) are not rendered: the glyphs are always antialiased and unstroked.  Licence of the
font: `edge/render/fonts/LICENSE-DejaVu.txt`.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from pathlib import Path

import pyvips

from edge.render.errors import LimitError, RenderError
from edge.url.ast import Color, TextStyle

__all__ = ["FAMILY", "MAX_SIZE", "MAX_CHARS", "font_file", "markup", "render_text"]

FAMILY = "DejaVu Sans"
MAX_SIZE = 1000
"""Largest font size (px) accepted; bigger sizes are a 413 LimitError."""
MAX_CHARS = 10000
"""Longest text (characters) accepted; longer text is a 413 LimitError."""

_BOLD = frozenset({"bold", "semibold", "demibold", "extrabold", "ultrabold", "black", "heavy", "600", "700", "800", "900"})
_FACES = {
    (False, False): "DejaVuSans.ttf",
    (True, False): "DejaVuSans-Bold.ttf",
    (False, True): "DejaVuSans-Oblique.ttf",
    (True, True): "DejaVuSans-BoldOblique.ttf",
}
_ALIGN = {"left": "low", "start": "low", "center": "centre", "centre": "centre", "right": "high", "end": "high"}


def font_file(bold: bool, italic: bool) -> Path:
    """Path of the bundled DejaVu Sans face for the weight/style."""
    return Path(str(resources.files("edge.render") / "fonts" / _FACES[(bold, italic)]))


def markup(content: str, style: TextStyle) -> str:
    """Pango markup for `content` (escaped) with the style's decoration and letter spacing
    (Pango units: 1/1024 pt)."""
    attrs = []
    if style.decoration == "underline":
        attrs.append('underline="single"')
    elif style.decoration == "strikethrough":
        attrs.append('strikethrough="true"')
    if style.letter_spacing:
        attrs.append(f'letter_spacing="{int(round(style.letter_spacing * 1024))}"')
    body = escape(content, quote=False)
    return f"<span {' '.join(attrs)}>{body}</span>" if attrs else body


def _blank(content: str, style: TextStyle, kwargs: dict) -> pyvips.Image:
    """A fully transparent box for whitespace-only text: one line height per line, the width
    of the longest line at DejaVu Sans' space advance (0.318 em)."""
    height = pyvips.Image.text("Xg", **{k: v for k, v in kwargs.items() if k in ("font", "fontfile", "dpi")}).height
    lines = content.split("\n")
    width = max(1, round(max(len(line) for line in lines) * 0.318 * style.size))
    return pyvips.Image.black(width, height * len(lines), bands=4).copy(interpretation="srgb")


def render_text(content: str, style: TextStyle, color: Color, *, width: int | None = None) -> pyvips.Image:
    """Render `content` as an RGBA sRGB uchar image tightly around the ink's layout box.

    * `style`: size (px), weight (bold family -> bold face), style `italic` (oblique face),
      decoration `underline`/`strikethrough`, align `left|center|right|justify`,
      `letter_spacing` (px between characters), `line_spacing` (extra px between lines).
    * `color`: fill colour; its alpha scales the glyph coverage.
    * `width`: wrap lines at this many px (word wrap), or None for no wrapping.
    Whitespace-only text gives a transparent box.  Raises RenderError for empty text, a
    non-positive size or text Pango cannot lay out, LimitError (413) for a size above
    `MAX_SIZE`, text longer than `MAX_CHARS` or a layout wider than Cairo's 32767 px.
    """
    if not content:
        raise RenderError("Text layer has no text")
    if style.size <= 0:
        raise RenderError(f"Invalid font size: {style.size}")
    if style.size > MAX_SIZE:
        raise LimitError(f"Font size {style.size} exceeds the limit of {MAX_SIZE}")
    if len(content) > MAX_CHARS:
        raise LimitError(f"Text of {len(content)} characters exceeds the limit of {MAX_CHARS}")
    bold = (style.weight or "").lower() in _BOLD
    italic = (style.style or "").lower() in ("italic", "oblique")
    desc = f"{FAMILY}{' Bold' if bold else ''}{' Oblique' if italic else ''} {style.size}"
    kwargs: dict = {"font": desc, "fontfile": str(font_file(bold, italic)), "dpi": 72}
    align = (style.align or "").lower()
    if align == "justify":
        kwargs["justify"] = True
    elif align in _ALIGN:
        kwargs["align"] = _ALIGN[align]
    if width is not None:
        if width < 1:
            raise RenderError(f"Invalid text width: {width}")
        kwargs["width"] = int(width)
    if style.line_spacing:
        kwargs["spacing"] = int(round(style.line_spacing))
    if not content.strip():
        return _blank(content, style, kwargs)
    try:
        mask = pyvips.Image.text(markup(content, style), **kwargs)
    except pyvips.Error as exc:
        detail = [line.strip() for line in str(exc).splitlines() if line.strip()][-1]
        if "too big" in detail:
            raise LimitError("Text layer too large to render") from None
        raise RenderError(f"Cannot render text: {detail}") from None
    alpha = (mask.cast("float") * (color.a / 255.0) + 0.5).cast("uchar") if color.a < 255 else mask
    rgb = (pyvips.Image.black(mask.width, mask.height, bands=3) + [color.r, color.g, color.b]).cast("uchar")
    return rgb.bandjoin(alpha).copy(interpretation="srgb")
