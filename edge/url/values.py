"""Typed value parsers for every transformation key of the spec (§5), keyed by URL key.

`PARSERS[key](text) -> value` returns the typed value of one `key_value` token or raises
UrlError naming the key.  Keys and value shapes:

* `w` Length | AutoWidth;  `h`, `x`, `y` Length (Expr inside for `iw_div_2`);
* `ar`, `z`, `dpr`, `o` float | Expr (`dpr` also 'auto');  `q` Quality;  `f` str;  `c` str;
* `g` Gravity;  `e` Effect;  `fl` tuple[Flag, ...];  `a` tuple[float | Expr | str, ...];
* `r` tuple[float | Expr, ...] or 'max';  `b` Background;  `bo` Border;  `co` Color;
* `l`/`u` Layer;  `t` tuple[str, ...];  `if` Condition;  `$name` Variable;
* `d` str (default image public ID with `/`);  `dl` int ms;  `dn` int dpi | 'idn';
* `pg`, `cs`, `fn`, `p`, `bl` and the video keys (`so eo du fps vc ac af br vs sp ki dr`): str.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from .ast import AutoWidth, Background, Border, Condition, Length, Quality, Variable, Flag
from .colors import parse_color
from .effects import parse_effect
from .errors import UrlError
from .escape import unescape
from .expr import parse_expr
from .formats import AUTO_FORMATS, FORMATS
from .gravity import parse_gravity
from .layers import parse_layer
from .numeric import is_number, ratio, to_float, to_int

__all__ = ["PARSERS", "KEYS", "CROP_MODES", "FLAGS", "VARIABLE_NAME", "parse_value", "parse_variable"]

CROP_MODES = frozenset(
    "scale fit limit mfit fill lfill pad lpad mpad fill_pad crop thumb auto auto_pad imagga_scale imagga_crop".split()
)
FLAGS = frozenset(
    """
    layer_apply relative region_relative no_overflow text_disallow_overflow text_no_trim tiled
    cutter replace_image splice alternate attachment streaming_attachment keep_iptc
    keep_attribution strip_profile force_strip force_icc progressive lossy png8 png24 png32
    any_format preserve_transparency tiff8_lzw group4 ignore_mask_channels awebp apng animated
    ignore_aspect_ratio getinfo clip clip_evenodd rasterize sanitize draco c2pa immutable_cache
    original mono no_stream hlsv3 keep_dar truncate_ts waveform
    """.split()
)
ANGLE_MODES = frozenset({"auto_right", "auto_left", "hflip", "vflip", "ignore"})
COLOR_SPACES = frozenset("srgb tinysrgb cmyk no_cmyk keep_cmyk srgb:truecolor copy".split())
_INT = re.compile(r"-?\d+\Z")
_UINT = re.compile(r"\d+\Z")
_REL = re.compile(r"-?(\d+\.\d*|\.\d+)\Z")
_RATIO = re.compile(r"(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)\Z")
_BORDER = re.compile(r"(\d+)px_solid_(.+)\Z")
#: a user variable: `$`, a letter, then letters and digits (spec §12).
VARIABLE_NAME = re.compile(r"\$[A-Za-z][A-Za-z0-9]*\Z")
_NAME = re.compile(r"[A-Za-z0-9$][A-Za-z0-9_\-$]*\Z")


def _bad(key: str, text: str) -> UrlError:
    return UrlError(f"Invalid value for {key}: {text}")


def _number_or_expr(key: str, text: str, *, lo: float | None = None, hi: float | None = None) -> Any:
    if is_number(text):
        value = to_float(text, key)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise _bad(key, text)
        return value
    return parse_expr(text, where=key)


def _length(key: str, text: str, *, signed: bool) -> Length:
    if _INT.match(text):
        value: float = to_int(text, key)
        relative = False
    elif _REL.match(text):
        value = to_float(text, key)
        relative = True
    else:
        return Length(parse_expr(text, where=key), False, text)
    if not signed and value <= 0:
        raise _bad(key, text)
    return Length(value, relative, text)


def _width(text: str) -> Any:
    if text == "auto" or text.startswith("auto:"):
        breakpoints = None
        nums: list[int | None] = []
        for part in text.split(":")[1:]:
            if part.startswith("breakpoints") or part == "json":
                breakpoints = part if breakpoints is None else f"{breakpoints}:{part}"
            elif _UINT.match(part):
                nums.append(to_int(part, "w"))
            else:
                raise _bad("w", text)
        if breakpoints is not None:  # breakpoints take the place of the step
            nums.insert(0, None)
        if len(nums) > 2:
            raise _bad("w", text)
        step, fallback = (*nums, None, None)[:2]
        return AutoWidth(step, fallback, breakpoints, text)
    return _length("w", text, signed=False)


def _aspect_ratio(text: str) -> Any:
    m = _RATIO.match(text)
    value = ratio(m.group(1), m.group(2), "ar") if m else _number_or_expr("ar", text)
    if isinstance(value, float) and value <= 0:
        raise _bad("ar", text)
    return value


def _dpr(text: str) -> Any:
    if text == "auto":
        return "auto"
    value = _number_or_expr("dpr", text)
    if isinstance(value, float) and not 0 < value <= 10:
        raise _bad("dpr", text)
    return value


def _zoom(text: str) -> Any:
    value = _number_or_expr("z", text)
    if isinstance(value, float) and value <= 0:
        raise _bad("z", text)
    return value


#: `q_jpegmini[:0|1|2]` (JPEGmini add-on: 0 best, 1 high, 2 medium quality) -> the q_auto level
#: Edge's own perceptual search uses in its place (Edge has no JPEGmini; it is approximated).
JPEGMINI_LEVELS = {"": "best", "0": "best", "1": "good", "2": "eco"}


def _quality(text: str) -> Quality:
    parts = text.split(":")
    head = parts[0]
    if head == "jpegmini":
        mode = parts[1] if len(parts) == 2 else ""
        if len(parts) > 2 or mode not in JPEGMINI_LEVELS or (len(parts) == 2 and not mode):
            raise _bad("q", text)
        return Quality(text=text, auto_level=JPEGMINI_LEVELS[mode], jpegmini=int(mode or 0))
    if head == "auto":
        level = None
        sensitive = False
        for part in parts[1:]:
            if part in ("best", "good", "eco", "low") and level is None and not sensitive:
                level = part
            elif part == "sensitive" and not sensitive:
                sensitive = True
            else:
                raise _bad("q", text)
        return Quality(text=text, auto_level=level or "good", sensitive=sensitive)
    chroma = None
    if len(parts) == 2 and parts[1] in ("420", "444"):
        chroma = parts[1]
    elif len(parts) == 2 and parts[1].startswith("qmax_") and _UINT.match(parts[1][5:]):
        pass
    elif len(parts) != 1:
        raise _bad("q", text)
    if _UINT.match(head):
        level = to_int(head, "q")
        if not 1 <= level <= 100:
            raise _bad("q", text)
        return Quality(text=text, level=float(level), chroma=chroma)
    if is_number(head):
        raise _bad("q", text)
    return Quality(text=text, level=parse_expr(head, where="q"), chroma=chroma)


def _format(text: str) -> str:
    if text.lower() in FORMATS or text in AUTO_FORMATS:
        return text.lower()
    raise _bad("f", text)


def _crop(text: str) -> str:
    if text in CROP_MODES:
        return text
    raise _bad("c", text)


def _flags(text: str) -> tuple[Flag, ...]:
    flags = []
    for item in text.split("."):
        name, sep, arg = item.partition(":")
        if name not in FLAGS:
            raise UrlError(f"Invalid flag: {name}")
        flags.append(Flag(name, arg if sep else None))
    return tuple(flags)


def _angle(text: str) -> tuple[Any, ...]:
    items: list[Any] = []
    for part in text.split("."):
        if part in ANGLE_MODES:
            items.append(part)
        elif is_number(part):
            items.append(to_float(part, "a"))
        else:
            items.append(parse_expr(part, where="a"))
    return tuple(items)


def _radius(text: str) -> Any:
    if text == "max":
        return "max"
    parts = text.split(":")
    if len(parts) > 4:
        raise _bad("r", text)
    return tuple(_number_or_expr("r", p, lo=0) for p in parts)


def _background(text: str) -> Background:
    if text == "auto" or text.startswith("auto:"):
        return Background(text=text, auto=text[5:])
    if text.startswith(("gen_fill", "blurred")):
        return Background(text=text, special=text)
    return Background(text=text, color=parse_color(text, key="b"))


def _border(text: str) -> Border:
    m = _BORDER.match(text)
    if not m:
        raise _bad("bo", text)
    return Border(to_int(m.group(1), "bo"), parse_color(m.group(2), key="bo"), text)


def _opacity(text: str) -> Any:
    return _number_or_expr("o", text, lo=0, hi=100)


_NAME_DECODED = re.compile(r"[^/,.\x00-\x1f\x7f]+\Z")


def _named(text: str) -> tuple[str, ...]:
    """`t_a.b` -> ('a', 'b'); percent-escapes in a name are decoded (`t_my%20preset` ->
    'my preset'; the canonical text keeps them as written)."""
    names = tuple(text.split("."))
    if all(_NAME.match(n) for n in names):
        return names
    decoded = tuple(unescape(n, "t name") for n in names)
    if not all(_NAME_DECODED.match(n) for n in decoded):
        raise _bad("t", text)
    return decoded


def _condition(text: str) -> Condition:
    if text == "else":
        return Condition(kind="else", text=text)
    if text == "end":
        return Condition(kind="end", text=text)
    return Condition(kind="if", text=text, expr=parse_expr(text, where="if"))


def _default_image(text: str) -> str:
    """`d_folder:avatar.png` -> 'folder/avatar.png' (folders with `:`, or `%2F` decoded)."""
    if not text or "/" in text:
        raise _bad("d", text)
    public_id = unescape(text, "d public ID").replace(":", "/")
    if public_id.startswith("/") or public_id.endswith("/") or "//" in public_id:
        raise _bad("d", text)
    return public_id


def _delay(text: str) -> int:
    if not _UINT.match(text):
        raise _bad("dl", text)
    return to_int(text, "dl")


def _density(text: str) -> Any:
    if text == "idn":
        return text
    dpi = to_int(text, "dn") if _UINT.match(text) else 0
    if not 1 <= dpi <= 10000:
        raise _bad("dn", text)
    return dpi


def _color_space(text: str) -> str:
    if text in COLOR_SPACES or text.startswith("icc:"):
        return text
    raise _bad("cs", text)


def _text(key: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text:
            raise _bad(key, text)
        return text

    return parse


def parse_variable(name: str, text: str) -> Variable:
    """Parse `$name_value`: number -> float, `!str!` -> str with bangs, else Expr/lookups.

    Raises UrlError for a name that is not `VARIABLE_NAME` or a malformed value.
    """
    if not VARIABLE_NAME.match(name):
        raise UrlError(f"Invalid variable name: {name}")
    if text.startswith("!") and text.endswith("!") and len(text) >= 2:
        return Variable(name, text, text)
    if is_number(text):
        return Variable(name, to_float(text, name), text)
    return Variable(name, parse_expr(text, where=name), text)


PARSERS: dict[str, Callable[[str], Any]] = {
    "w": _width,
    "h": lambda t: _length("h", t, signed=False),
    "x": lambda t: _length("x", t, signed=True),
    "y": lambda t: _length("y", t, signed=True),
    "z": _zoom,
    "ar": _aspect_ratio,
    "dpr": _dpr,
    "q": _quality,
    "f": _format,
    "c": _crop,
    "g": parse_gravity,
    "e": parse_effect,
    "fl": _flags,
    "a": _angle,
    "r": _radius,
    "b": _background,
    "bo": _border,
    "co": lambda t: parse_color(t, key="co"),
    "o": _opacity,
    "l": lambda t: parse_layer(t, underlay=False),
    "u": lambda t: parse_layer(t, underlay=True),
    "t": _named,
    "if": _condition,
    "d": _default_image,
    "dl": _delay,
    "dn": _density,
    "pg": _text("pg"),
    "cs": _color_space,
    "fn": _text("fn"),
    "p": _text("p"),
    "bl": _text("bl"),
}
for _k in ("so", "eo", "du", "fps", "vc", "ac", "af", "br", "vs", "sp", "ki", "dr"):
    PARSERS[_k] = _text(_k)

#: every recognised transformation key (variables `$name` are handled separately).
KEYS = frozenset(PARSERS)


def parse_value(key: str, text: str) -> Any:
    """Parse the value `text` of key `key`; raise UrlError for unknown keys or bad values."""
    if key.startswith("$"):
        return parse_variable(key, text)
    parser = PARSERS.get(key)
    if parser is None:
        raise UrlError(f"Invalid transformation parameter: {key}")
    if text == "" and key != "if":
        raise _bad(key, text)
    return parser(text)
