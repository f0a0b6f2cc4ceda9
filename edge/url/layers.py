"""Layer values (`l_`, `u_`), spec §11: image, text, fetch, private/authenticated, other.

Text content is split from the raw (still percent-encoded) URL and decoded twice, because the
SDK double-encodes `,` and `/` (`%252C`) so that they survive the first decode.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from urllib.parse import unquote

from .ast import Layer, TextStyle
from .errors import UrlError
from .escape import unescape
from .formats import split_format
from .numeric import to_float, to_int

__all__ = ["parse_layer", "parse_text_style", "decode_text"]

_INT = re.compile(r"\d+\Z")
_NUM = re.compile(r"-?\d+(\.\d+)?\Z")
_WEIGHTS = frozenset("normal bold thin light extralight ultralight semibold demibold extrabold ultrabold black heavy medium book".split())
#: numeric font weights (CSS: 100 thin .. 900 black), e.g. `Arial_56_600`.
_NUMERIC_WEIGHTS = frozenset(str(n) for n in range(100, 1000, 100))
_STYLES = frozenset({"italic", "oblique"})
_DECORATIONS = frozenset({"underline", "strikethrough"})
_ALIGNS = frozenset({"left", "center", "right", "end", "start", "justify"})
_OTHER_KINDS = ("video", "audio", "subtitles", "lut")


def decode_text(raw: str, *, key: str = "l") -> str:
    """Decode layer text: percent-decode twice (raw -> `%2C` -> `,`); UTF-8 strictly.

    Raises UrlError for bytes that are not UTF-8.
    """
    once = unescape(raw, f"{key} text")
    return unescape(once, f"{key} text") if "%" in once else once


@functools.lru_cache(maxsize=1024)
def parse_text_style(text: str, *, key: str = "l") -> TextStyle | None:
    """Parse `<font>_<size>[_<weight>][_<style>][_<decoration>][_<align>][_stroke]
    [_letter_spacing_<n>][_line_spacing_<n>][_antialias_<v>][_hinting_<v>]`.

    Weights are names (`bold`, `light`, ...) or CSS numbers `100`..`900`; `style_<v>` /
    `weight_<v>` spell font_style/font_weight out; spacings may be negative (px); the font may
    be a Google font (`Roboto@google`).

    Returns None for a `$variable` style.  Raises UrlError without a font size.
    """
    if text.startswith("$"):
        return None
    tokens = unquote(text).split("_")
    size_at = next((i for i, t in enumerate(tokens) if i > 0 and _INT.match(t)), None)
    if size_at is None:
        raise UrlError(f"Invalid value for {key}: text style needs <font>_<size>: {text}")
    font = "_".join(tokens[:size_at])
    size = to_int(tokens[size_at], key)
    weight = style = decoration = align = None
    letter = line = None
    extras: list[str] = []
    rest = tokens[size_at + 1 :]
    i = 0
    while i < len(rest):
        t = rest[i]
        pair = "_".join(rest[i : i + 2])
        if pair in ("letter_spacing", "line_spacing") and i + 2 < len(rest) and _NUM.match(rest[i + 2]):
            if pair == "letter_spacing":
                letter = to_float(rest[i + 2], key)
            else:
                line = to_float(rest[i + 2], key)
            i += 3
            continue
        if t in ("antialias", "hinting", "style", "weight") and i + 1 < len(rest):
            # `antialias_<v>`, `hinting_<v>`; `style_<v>`/`weight_<v>` spell font_style /
            # font_weight out (`_style_light`, `_style_italic`)
            if t == "style" and rest[i + 1] in _STYLES:
                style = rest[i + 1]
            elif t in ("style", "weight") and (rest[i + 1] in _WEIGHTS or rest[i + 1] in _NUMERIC_WEIGHTS):
                weight = rest[i + 1]
            elif t in ("style", "weight") and rest[i + 1] != "normal":
                raise UrlError(f"Invalid value for {key}: unknown text style token {pair}")
            elif t in ("antialias", "hinting"):
                extras.append(pair)
            i += 2
            continue
        if t == "stroke" and i + 1 < len(rest) and rest[i + 1] == "bo" and i + 4 < len(rest):
            extras.append("_".join(rest[i : i + 5]))  # url-gen `stroke_bo_<w>px_solid_<color>`
            i += 5
            continue
        if t in _WEIGHTS or t in _NUMERIC_WEIGHTS:
            weight = t
        elif t in _STYLES:
            style = t
        elif t in _DECORATIONS:
            decoration = t
        elif t in _ALIGNS:
            align = t
        elif t == "stroke":
            extras.append(t)
        else:
            raise UrlError(f"Invalid value for {key}: unknown text style token {t}")
        i += 1
    return TextStyle(font, size, weight, style, decoration, align, letter, line, tuple(extras), text)


@functools.lru_cache(maxsize=2048)
def parse_layer(text: str, *, underlay: bool = False) -> Layer:
    """Parse an `l_`/`u_` value into a `Layer` (see `edge.url.ast.Layer` for the kinds).

    Image public IDs use `:` for `/` (`docs:logo` -> `docs/logo`); a trailing known extension is
    the layer's format.  `fetch:<base64url>` is decoded (padding `=` optional, also written
    `%3D`; the standard alphabet's `+`/`/` accepted).  Raises UrlError if malformed.
    """
    key = "u" if underlay else "l"
    if not text:
        raise UrlError(f"Invalid value for {key}: empty")
    head, sep, rest = text.partition(":")
    if head == "text" and sep:
        style_text, sep2, content = rest.partition(":")
        if not sep2:
            raise UrlError(f"Invalid value for {key}: text layer needs text:<style>:<text>")
        style = parse_text_style(style_text, key=key)
        return Layer(kind="text", text=text, underlay=underlay, style=style, content=decode_text(content, key=key))
    if head == "fetch" and sep:
        try:
            b64 = unquote(rest)  # padding is often sent percent-encoded (`%3D`)
            b64 = b64.rstrip("=").replace("+", "-").replace("/", "_")  # standard alphabet too
            url = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).decode("utf-8")
        except (binascii.Error, ValueError):
            raise UrlError(f"Invalid value for {key}: fetch URL is not base64url") from None
        return Layer(kind="fetch", text=text, underlay=underlay, url=url)
    if head in _OTHER_KINDS and sep:
        return Layer(kind="other", text=text, underlay=underlay, public_id=rest)
    kind = "image"
    if head in ("private", "authenticated", "upload") and sep:
        kind = head if head != "upload" else "image"
        text_id = rest
    else:
        text_id = text
    if text_id.startswith("$"):
        return Layer(kind=kind, text=text, underlay=underlay, public_id=text_id)
    public_id = unescape(text_id.replace(":", "/"), f"{key} public ID")
    if not public_id or public_id.startswith("/") or public_id.endswith("/") or "//" in public_id:
        raise UrlError(f"Invalid value for {key}: {text}")
    public_id, fmt = split_format(public_id)
    return Layer(kind=kind, text=text, underlay=underlay, public_id=public_id, format=fmt)
