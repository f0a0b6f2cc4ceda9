"""Argument helpers shared by effect modules: typed, range-checked, with Cloudinary defaults.

Every helper raises `edge.url.UrlError` (HTTP 400) with a message naming the effect, e.g.
``Invalid value for e_sepia: 500 (expected 1..100)``.
"""

from __future__ import annotations

from edge.url.ast import Effect
from edge.url.errors import UrlError

__all__ = ["parse_number", "number", "integer", "choice", "option_number"]


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
