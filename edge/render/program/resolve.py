"""Resolution of a component: every expression replaced by its value (`w_iw_div_2`,
`w_$w_mul_2`, `e_blur:$amount`, `q_$q`, `$(name)` in text layers)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Sequence

from edge.url import expr as _url_expr
from edge.url import layers as _url_layers
from edge.url.ast import Border, Component, Effect, Expr, Layer, Length, Param, Quality
from edge.url.errors import UrlError

from .expressions import as_number, evaluate

__all__ = ["resolve", "resolve_keys", "fmt"]


def fmt(value: float) -> str:
    """URL spelling of a number: `200`, `0.5`, `1.333333`."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _px(value: float) -> int:
    """Round half up to whole pixels (Cloudinary rounds computed sizes)."""
    return int(math.floor(value + 0.5))


def _resolve_length(length: Length, env: Mapping[str, Any]) -> Length:
    if not isinstance(length.value, Expr):
        return length
    px = _px(as_number(evaluate(length.value, env), length.value))
    return Length(px, False, str(px))


def _resolve_arg(arg: str, env: Mapping[str, Any]) -> str:
    """An effect argument holding a variable (`$amount`, `$a_mul_2`) -> its value's text.
    An argument that is not an expression (`from_$a;to_b` options) is left as written."""
    if "$" not in arg:
        return arg
    try:
        expr = _url_expr.parse_expr(arg, where="e")
    except UrlError:
        return arg
    value = evaluate(expr, env)
    return value if isinstance(value, str) else fmt(as_number(value, expr))


def _resolve_effect(effect: Effect, env: Mapping[str, Any]) -> Effect:
    name = effect.name
    if name.startswith("$"):
        name = str(evaluate(name, env))
    args = tuple(_resolve_arg(a, env) for a in effect.args)
    options = tuple((k, _resolve_arg(v, env)) for k, v in effect.options)
    if (name, args, options) == (effect.name, effect.args, effect.options):
        return effect
    text = ":".join((name, *args))
    return Effect(name, args, text, options)


def _interpolate(text: str, env: Mapping[str, Any]) -> str:
    """Replace `$(name)` by the variable's value (text layers, url-spec §12)."""
    if "$(" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        start = text.find("$(", i)
        end = text.find(")", start + 2) if start >= 0 else -1
        if start < 0 or end < 0:
            out.append(text[i:])
            break
        out.append(text[i:start])
        key = "$" + text[start + 2 : end]
        if key not in env:
            raise UrlError(f"Undefined variable {key} in text")
        value = env[key]
        out.append(value if isinstance(value, str) else fmt(as_number(value, Expr((key,), key))))
        i = end + 1
    return "".join(out)


#: separators of the params whose value is a tuple of numbers/expressions (`a_90.hflip`, `r_10:$r`).
_TUPLE_SEPARATORS = {"a": ".", "r": ":"}


def _scalar(value: Expr, env: Mapping[str, Any]) -> tuple[Any, str]:
    result = evaluate(value, env)
    if isinstance(result, str):
        return result, result
    number = as_number(result, value)
    return number, fmt(number)


def _resolve_text_layer(layer: Layer, env: Mapping[str, Any]) -> Layer:
    style = layer.style
    if style is None and layer.text.startswith("text:$"):
        name = layer.text.split(":")[1]
        if name not in env:
            raise UrlError(f"Undefined variable {name} in l_text")
        value = env[name]
        style = _url_layers.parse_text_style(value if isinstance(value, str) else fmt(value), key="l")
    content = _interpolate(layer.content, env) if layer.content else layer.content
    if style is layer.style and content == layer.content:
        return layer
    return replace(layer, style=style, content=content)


def _resolve_value(key: str, value: Any, text: str, env: Mapping[str, Any]) -> tuple[Any, str]:
    if isinstance(value, Expr):
        return _scalar(value, env)
    if isinstance(value, Length):
        new = _resolve_length(value, env)
        return new, new.text
    if isinstance(value, Effect):
        new = _resolve_effect(value, env)
        return new, new.text
    if isinstance(value, Quality) and isinstance(value.level, Expr):
        level = as_number(evaluate(value.level, env), value.level)
        new_text = fmt(level) + (f":{value.chroma}" if value.chroma else "")
        return replace(value, level=level, text=new_text), new_text
    if isinstance(value, Border) and isinstance(value.width, Expr):
        px = _px(as_number(evaluate(value.width, env), value.width))
        new_text = f"{px}px_solid_{value.color.text}"
        return Border(px, value.color, new_text), new_text
    if isinstance(value, Layer) and value.kind == "text":
        return _resolve_text_layer(value, env), text
    if isinstance(value, tuple) and any(isinstance(v, Expr) for v in value):
        items = [_scalar(v, env) if isinstance(v, Expr) else (v, fmt(v) if isinstance(v, float) else str(v)) for v in value]
        sep = _TUPLE_SEPARATORS.get(key, ":")
        return tuple(v for v, _ in items), sep.join(t for _, t in items)
    return value, text


def resolve(component: Component, env: Mapping[str, Any]) -> Component:
    """`component` with every expression replaced by its value in `env` (see `environment`).

    * `Length` holding an Expr (`w_iw_div_2`, `h_$h`) -> `Length(px, relative=False)` with
      the value rounded half-up to whole pixels and `text` its integer spelling.
    * A param whose value is an Expr (`a`, `ar`, `o`, `r`, `z`, `dpr`, ...) -> float (or str
      for a string variable), `Param.text` its URL spelling (`_fmt`).
    * `Effect`: a `$var` name (`e_$efname:100`) and `$`-bearing arguments (`e_blur:$amount`,
      `e_blur:$a_mul_2`) are replaced; `Effect.text` rebuilt.
    * `Quality` with an Expr level -> a numeric level; `Border` with an Expr width (Cloudinary
      allows `bo_$size_solid_red`) -> whole px.
    * Tuples of numbers/expressions (`a_$angle.hflip`, `r_$r:20`) -> each Expr evaluated,
      text re-joined with the key's separator (`.` for `a`, `:` for `r`).
    * Text layers: `$(name)` in the content is interpolated; a `$style` text style is looked
      up and parsed (`$style_!Arial_12!`).
    * `if` and `$name` params are returned unchanged (the interpreter handles them).
    Raises UrlError for an undefined variable or malformed expression, RenderError (400) for a
    division by zero.
    """
    changed = False
    params: list[Param] = []
    for p in component.params:
        if p.key == "if" or p.key.startswith("$"):
            params.append(p)
            continue
        value, text = _resolve_value(p.key, p.value, p.text, env)
        if value is p.value and text == p.text:
            params.append(p)
        else:
            params.append(Param(p.key, value, text))
            changed = True
    return Component(tuple(params)) if changed else component


def resolve_keys(component: Component, keys: Sequence[str], env: Mapping[str, Any]) -> Component:
    """`component` with only the params named in `keys` resolved."""
    params = []
    for p in component.params:
        if p.key in keys:
            value, text = _resolve_value(p.key, p.value, p.text, env)
            p = Param(p.key, value, text) if (value is not p.value or text != p.text) else p
        params.append(p)
    return Component(tuple(params))
