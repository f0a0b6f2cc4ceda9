"""Read the parameters of one transformation component as typed render values.

The URL layer gives each `Param.value` a typed value (Length, Gravity, Quality, Effect, flags);
this module is the single place that turns them into plain numbers for the render steps, and
evaluates expressions (`w_iw_div_2`) through `edge.url.expr.evaluate` against the image
characteristics of the component's input.  It accepts a few equivalent spellings of a value
(a number, its text, a one-element tuple) so the render engine does not depend on parser
details beyond `edge/url/ast.py`.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from edge.url.ast import Color, Component, Expr, Length
from edge.url.expr import evaluate, parse_expr

from .errors import RenderError

__all__ = ["number", "length", "ratio", "text", "crop_mode", "flags", "color", "angles"]


def _eval(value: Any, variables: Mapping[str, Any], key: str) -> float:
    try:
        result = evaluate(value, variables)
    except KeyError as exc:
        raise RenderError(f"Invalid value for {key}: unknown operand {exc.args[0]}") from None
    if isinstance(result, bool):
        return float(result)
    try:
        out = float(result)
    except (TypeError, ValueError):
        raise RenderError(f"Invalid value for {key}: {value}") from None
    if not math.isfinite(out):
        raise RenderError(f"Invalid value for {key}: {value}")
    return out


def number(value: Any, variables: Mapping[str, Any], key: str) -> float | None:
    """A plain number from a float/int, numeric text, `Expr` or `Length` (pixels); None when
    absent.  Raises RenderError for a value that is not numeric."""
    if value is None:
        return None
    if isinstance(value, Length):
        return number(value.value, variables, key)
    if isinstance(value, Expr):
        return _eval(value, variables, key)
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (tuple, list)) and len(value) == 1:
        return number(value[0], variables, key)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            try:
                return _eval(parse_expr(value, where=key), variables, key)
            except RenderError:
                raise
            except Exception:
                raise RenderError(f"Invalid value for {key}: {value}") from None
    raise RenderError(f"Invalid value for {key}: {value}")


def length(value: Any, reference: float, variables: Mapping[str, Any], key: str) -> float | None:
    """A width/height/offset in px: relative `Length`s (`w_0.5`) are multiplied by
    `reference` (px); expressions are evaluated; None when absent."""
    if value is None:
        return None
    if isinstance(value, Length) and value.relative:
        n = number(value.value, variables, key)
        return None if n is None else n * reference
    if isinstance(value, str) and "." in value:
        try:
            return float(value) * reference
        except ValueError:
            pass
    return number(value, variables, key)


def ratio(value: Any, variables: Mapping[str, Any]) -> float | None:
    """`ar_16:9`, `ar_1.5`, `ar_1` or an expression as width/height; None when absent."""
    if value is None:
        return None
    if isinstance(value, str) and ":" in value:
        a, _, b = value.partition(":")
        try:
            return float(a) / float(b)
        except (ValueError, ZeroDivisionError):
            raise RenderError(f"Invalid value for ar: {value}") from None
    if isinstance(value, Length):
        if isinstance(value.text, str) and ":" in value.text:
            return ratio(value.text, variables)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return float(value[0]) / float(value[1])
    out = number(value, variables, "ar")
    if out is not None and out <= 0:
        raise RenderError(f"Invalid value for ar: {value}")
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


def angles(value: Any, variables: Mapping[str, Any]) -> list[float | str]:
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
            n = number(item, variables, "a")
            if n is not None:
                out.append(n)
    return out
