"""Effect arguments: declared (`Arg`, `Number`, `Integer`, `Choice`), read and range-checked
with Cloudinary defaults.

An effect declares its arguments in its `@register(..., args=(Number("level", 80, 1, 100),))`
(as thumbor's `@filter_method(BaseFilter.Number, ...)`): the registry reads them with `read`
before the effect runs and passes them as keyword arguments, `check_arguments` refuses a bad
value before any pixel work, and `describe` lists them (README, `edge.render.effects.table`).
Effects whose arguments have a free form (colour lists, corner points, `auto` words) read
them with the helpers below themselves.

Every helper raises `edge.url.UrlError` (HTTP 400) with a message naming the effect, e.g.
``Invalid value for e_sepia: 500 (expected 1..100)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from edge.url.ast import Effect
from edge.url.colors import parse_color as parse_url_color
from edge.url.errors import UrlError

__all__ = [
    "parse_color", "parse_number", "number", "integer", "choice", "option_number",
    "Arg", "Number", "Integer", "Choice", "read", "describe",
]


def parse_color(effect: Effect, text: str) -> tuple[int, int, int, int]:
    """An effect's colour argument as RGBA 0..255: anything `edge.url.colors.parse_color`
    accepts (`red`, `rgb:ff0000`, `#f00`, `transparent`) plus the bare hex Cloudinary allows in
    effect arguments (`e_replace_color:maroon:80:2b38aa`).  Raises UrlError naming the effect.
    """
    t = text.strip()
    if len(t) in (3, 4, 6, 8) and all(c in "0123456789abcdefABCDEF" for c in t):
        t = "rgb:" + t
    c = parse_url_color(t, key=f"e_{effect.name}")
    return (c.r, c.g, c.b, c.a)


def parse_number(effect: Effect, text: str, lo: float, hi: float) -> float:
    """`text` (an argument or option value of `effect`) as a float in [lo, hi]; NaN and
    infinities are out of range."""
    try:
        value = float(text)
    except ValueError:
        raise UrlError(f"Invalid value for e_{effect.name}: {text}") from None
    if not (lo <= value <= hi):
        raise UrlError(f"Invalid value for e_{effect.name}: {text} (expected {lo:g}..{hi:g})")
    return value


def number(effect: Effect, index: int, default: float, lo: float, hi: float) -> float:
    """The `index`-th positional argument as a float in [lo, hi], or `default` when absent/empty."""
    if index >= len(effect.args) or effect.args[index] == "":
        return default
    return parse_number(effect, effect.args[index], lo, hi)


def integer(effect: Effect, index: int, default: int, lo: int, hi: int) -> int:
    """The `index`-th positional argument as an int in [lo, hi], or `default`."""
    value = number(effect, index, default, lo, hi)
    if value != int(value):
        raise UrlError(f"Invalid value for e_{effect.name}: {effect.args[index]} (expected an integer)")
    return int(value)


def choice(effect: Effect, index: int, default: str, allowed: frozenset[str] | set[str]) -> str:
    """The `index`-th positional argument, which must be one of `allowed`, or `default`."""
    if index >= len(effect.args) or effect.args[index] == "":
        return default
    value = effect.args[index]
    if value not in allowed:
        raise UrlError(f"Invalid value for e_{effect.name}: {value}")
    return value


def option_number(effect: Effect, key: str, default: float, lo: float, hi: float) -> float:
    """A `key_value` option (`azimuth_215`) as a float in [lo, hi], or `default`."""
    text = effect.option(key)
    if text is None or text == "":
        return default
    return parse_number(effect, text, lo, hi)


# --------------------------------------------------------------------------------------------
# Declared arguments


@dataclass(frozen=True, slots=True)
class Arg:
    """One declared argument of an effect.

    `name` (the keyword the effect receives, and the option key when `option`), `kind`
    (`number`: float, `integer`: int, `choice`: one of `choices`), `default` (when absent or
    empty), `lo`..`hi` (inclusive range of numbers), `option` (a `key_value` option such as
    `azimuth_215` instead of the next positional argument)."""

    name: str
    kind: str
    default: Any
    lo: float | None = None
    hi: float | None = None
    choices: frozenset[str] = frozenset()
    option: bool = False

    def read(self, effect: Effect, index: int) -> Any:
        """The value of this argument in `effect` (positional argument `index` unless an
        option).  Raises UrlError (400) as the helpers above do."""
        if self.option:
            value = option_number(effect, self.name, self.default, self.lo, self.hi)
            return int(value) if self.kind == "integer" else value
        if self.kind == "choice":
            return choice(effect, index, self.default, self.choices)
        if self.kind == "integer":
            return integer(effect, index, self.default, int(self.lo), int(self.hi))
        return number(effect, index, self.default, self.lo, self.hi)

    def describe(self) -> str:
        """`level 1..100 (80)`, `condition: deuteranopia|protanopia|... (deuteranopia)`,
        `azimuth_<0..360> (215)`."""
        if self.kind == "choice":
            return f"{self.name}: {'|'.join(sorted(self.choices))} ({self.default})"
        span = f"{self.lo:g}..{self.hi:g}"
        return f"{self.name}_<{span}> ({self.default:g})" if self.option else f"{self.name} {span} ({self.default:g})"


def Number(name: str, default: float, lo: float, hi: float, *, option: bool = False) -> Arg:  # noqa: N802
    """A float argument in [lo, hi] (an option `name_<value>` with `option=True`)."""
    return Arg(name, "number", default, lo, hi, option=option)


def Integer(name: str, default: int, lo: int, hi: int, *, option: bool = False) -> Arg:  # noqa: N802
    """An int argument in [lo, hi]."""
    return Arg(name, "integer", default, lo, hi, option=option)


def Choice(name: str, default: str, choices: frozenset[str] | set[str]) -> Arg:  # noqa: N802
    """A word argument, one of `choices`."""
    return Arg(name, "choice", default, choices=frozenset(choices))


def read(effect: Effect, spec: Sequence[Arg]) -> dict[str, Any]:
    """Every argument of `spec` read from `effect`: positional ones in order (extra positional
    arguments are ignored, as before declarations), options by name.  Returns name -> value.
    Raises UrlError (400) for a value out of range or not allowed."""
    values: dict[str, Any] = {}
    index = 0
    for arg in spec:
        values[arg.name] = arg.read(effect, index)
        if not arg.option:
            index += 1
    return values


def describe(spec: Sequence[Arg] | None) -> str:
    """The arguments of `spec` in URL order, `:`-joined (`level 1..100 (80)`); for an effect
    that reads its own free-form arguments (`spec` None) `free-form`."""
    if spec is None:
        return "free-form"
    return ":".join(a.describe() for a in spec) or "no arguments"
