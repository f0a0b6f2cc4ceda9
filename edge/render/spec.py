"""Read the parameters of one transformation component as typed render values.

The URL layer gives each `Param.value` a typed value (Length, Gravity, Quality, Effect, flags);
this module is the single place that turns them into plain numbers for the render steps.  It
accepts a few equivalent spellings of a value (a number, its text, a one-element tuple) so
the render engine does not depend on parser details beyond `edge/url/ast.py`.

Expressions (`w_iw_div_2`, `$x`) never reach these helpers: the component interpreter
(`edge.render.program.resolve`) replaces them by numbers before a component runs, so an
`Expr` here is a RenderError, not a second evaluator with its own idea of `w`/`h`.
"""

from __future__ import annotations

import math
from typing import Any

from edge.url.ast import Color, Component, Expr, Length

from .errors import RenderError

__all__ = ["number", "length", "ratio", "text", "crop_mode", "flags", "color", "angles"]


def number(value: Any, key: str) -> float | None:
    """A plain finite number from a float/int, numeric text, a `Length` (its px value) or a
    one-element tuple; None when absent.  Raises RenderError for a value that is not
    numeric (including an expression left unresolved)."""
    if value is None:
        return None
    if isinstance(value, Length):
        return number(value.value, key)
    if isinstance(value, Expr):
        raise RenderError(f"Unresolved expression in {key}: {value.text}")
    if isinstance(value, (tuple, list)) and len(value) == 1:
        return number(value[0], key)
    if isinstance(value, (bool, int, float, str)):
        try:
            out = float(value)
        except ValueError:
            raise RenderError(f"Invalid value for {key}: {value}") from None
        if math.isfinite(out):
            return out
    raise RenderError(f"Invalid value for {key}: {value}")


def length(value: Any, reference: float, key: str) -> float | None:
    """A width/height/offset in px: relative `Length`s (`w_0.5`) are multiplied by
    `reference` (px); None when absent.  Raises RenderError for a non-numeric value."""
    if value is None:
        return None
    if isinstance(value, Length) and value.relative:
        n = number(value.value, key)
        return None if n is None else n * reference
    if isinstance(value, str) and "." in value:
        try:
            return float(value) * reference
        except ValueError:
            pass
    return number(value, key)


def ratio(value: Any) -> float | None:
    """`ar_16:9`, `ar_1.5`, `ar_1` (or a `(16, 9)` pair) as width/height; None when absent.
    Raises RenderError for a ratio that is not a positive finite number."""
    if value is None:
        return None
    shown = value.text if isinstance(value, Length) else value
    if isinstance(value, Length) and ":" in value.text:
        value = value.text
    if isinstance(value, str) and ":" in value:
        value = tuple(value.split(":", 1))
    try:
        if isinstance(value, (tuple, list)) and len(value) == 2:
            out = number(value[0], "ar") / number(value[1], "ar")
        else:
            out = number(value, "ar")
    except ZeroDivisionError:
        out = None
    if out is None or not math.isfinite(out) or out <= 0:
        raise RenderError(f"Invalid value for ar: {shown}")
    return out


def text(value: Any) -> str | None:
    """The URL text of a simple keyword value (`c_fill` -> 'fill')."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    for attr in ("text", "name", "value"):
        v = getattr(value, attr, None)
        if isinstance(v, str):
            return v
    return str(value)


def crop_mode(component: Component) -> str | None:
    """The `c_` crop mode of the component, or None."""
    return text(component.get("c"))


def flags(component: Component) -> dict[str, str | None]:
    """`fl_` flags of the component: name -> argument (None without one)."""
    value = component.get("fl", ())
    if isinstance(value, str):
        return {f.partition(":")[0]: (f.partition(":")[2] or None) for f in value.split(".")}
    out: dict[str, str | None] = {}
    for f in value if isinstance(value, (tuple, list, frozenset, set)) else (value,):
        name = getattr(f, "name", None) or str(f)
        out[name] = getattr(f, "arg", None)
    return out


def color(value: Any) -> Color | None:
    """A `Color` from a Color, a Background/Border holding one, or None."""
    if value is None:
        return None
    if isinstance(value, Color):
        return value
    inner = getattr(value, "color", None)
    return inner if isinstance(inner, Color) else None


def angles(value: Any) -> list[float | str]:
    """`a_` as a list of steps: numbers (degrees, clockwise) and keywords (`hflip`, `vflip`,
    `auto_right`, `auto_left`, `ignore`), in URL order (`a_hflip.45`)."""
    if value is None:
        return []
    items: list[Any]
    if isinstance(value, (tuple, list)):
        items = list(value)
    elif isinstance(value, str):
        items = value.split(".") if not value.replace(".", "", 1).lstrip("-").isdigit() else [value]
    else:
        items = [value]
    out: list[float | str] = []
    for item in items:
        t = item if isinstance(item, str) else None
        if t in {"hflip", "vflip", "auto_right", "auto_left", "ignore"}:
            out.append(t)
        else:
            n = number(item, "a")
            if n is not None:
                out.append(n)
    return out
