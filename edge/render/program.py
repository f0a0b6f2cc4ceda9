"""The component interpreter: named transformations, conditionals and user variables.

A transformation chain is a small program (url-spec §12, §14).  This module runs it without
knowing how a component is rendered: the pipeline passes an `apply` callback, and this module
decides *which* components run, in which order, with every expression replaced by a number.

* `expand_named` inlines `t_<name>` (and `t_a.b`) from the stored named transformations.
* `run` walks the chain: `if_<cond>` blocks (`if_else`, `if_end`, nestable), per-component
  `if_<cond>`, `$name_<value>` definitions, and hands each surviving component, resolved, to
  `apply`.  Layer blocks (`edge.render.layers.LayerBlock`) pass through as one step.
* `resolve` replaces every expression (`w_iw_div_2`, `w_$w_mul_2`, `e_blur:$amount`,
  `q_$q`, `$(name)` in text layers) by its value.
* `environment` builds the read-only mapping of image characteristics and variables that
  expressions are evaluated against (`fc` computed lazily, only when an expression reads it).

Expression semantics (Cloudinary, "User-defined variables and arithmetic transformations" and
"Conditional transformations"): operators ``add sub mul div mod pow`` on numbers, comparisons
``eq ne lt gt lte gte`` on numbers (``eq``/``ne`` also on strings), ``in``/``nin`` for a
`:`-separated list of strings against `tags` (or another list), ``and``/``or``; standard
precedence pow > mul/div/mod > add/sub > comparisons > and > or, left-associative except pow.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Callable, Sequence, Union

from edge.render.errors import RenderError
from edge.render.layers import LayerBlock
from edge.url import expr as _url_expr
from edge.url import layers as _url_layers
from edge.url.ast import Border, Component, Condition, Effect, Expr, Layer, Length, Param, Quality, Variable
from edge.url.errors import UrlError

__all__ = [
    "ImageState",
    "expand_named",
    "environment",
    "evaluate",
    "resolve",
    "run",
    "MAX_NAMED_DEPTH",
]

#: Deepest chain of named transformations referring to named transformations.  Cloudinary
#: does not publish its limit; 8 levels is far beyond any real use and stops cycles early.
MAX_NAMED_DEPTH = 8

Value = Union[float, str, tuple, bool]
Apply = Callable[[Any, Mapping[str, Any]], "ImageState"]


# --------------------------------------------------------------------------------------------
# Image state


@dataclass(frozen=True)
class ImageState:
    """What conditions and expressions may read about the image being transformed.

    * `width`, `height`: size of the CURRENT image in px (`w`, `h`; `ar` = width / height).
    * `initial_width`, `initial_height`: size of the source before any component, px
      (`iw`, `ih`; `iar` = their ratio).
    * `page_count`: frames/pages of the source (`pc`), 1 for a still image.
    * `face_count`: a zero-argument callable returning the number of faces (`fc`); it is only
      called when an expression reads `fc` (face detection is expensive), or None when no face
      detector is available (reading `fc` then raises RenderError).
    * `tags`: the asset's tags (`if_!sale!_in_tags`).
    * `context`: the asset's contextual metadata (`ctx:!key!`), str -> str.
    * `metadata`: structured metadata (`md:!key!`), str -> value.
    * `variables`: user variables in scope, keyed with the `$` (`$foo` -> 100.0 or 'text').
    * `image`: an opaque payload for the caller (typically the current `pyvips.Image`); the
      interpreter never reads it.
    """

    width: int
    height: int
    initial_width: int
    initial_height: int
    page_count: int = 1
    face_count: Callable[[], int] | None = None
    tags: tuple[str, ...] = ()
    context: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)
    image: Any = None

    @classmethod
    def of(cls, image: Any, **kwargs: Any) -> "ImageState":
        """The initial state of `image` (anything with `.width`/`.height`, e.g. pyvips.Image;
        an animation's frame height from `page-height`): current and initial size both taken
        from it, `page_count` from `n-pages`; `kwargs` set the other fields."""
        width, height = _size(image)
        kwargs.setdefault("page_count", _int_field(image, "n-pages", 1))
        return cls(width, height, width, height, image=image, **kwargs)

    def advanced(self, image: Any) -> "ImageState":
        """This state after a component produced `image`: same initial size, tags, context,
        variables and face counter; current size from `image` (frame height for an
        animation)."""
        width, height = _size(image)
        return replace(self, width=width, height=height, image=image)


def _int_field(image: Any, name: str, default: int) -> int:
    try:
        if image.get_typeof(name):
            return max(1, int(image.get(name)))
    except Exception:  # noqa: BLE001 - not a pyvips image
        pass
    return default


def _size(image: Any) -> tuple[int, int]:
    """(width, height) in px; the height of one frame for a pyvips animation strip."""
    return int(image.width), min(int(image.height), _int_field(image, "page-height", int(image.height)))


# --------------------------------------------------------------------------------------------
# Named transformations


def _named_names(param: Param) -> tuple[str, ...]:
    value = param.value
    if isinstance(value, str):
        names = value.split(".")
    elif isinstance(value, (tuple, list)):
        names = [str(getattr(v, "name", v)) for v in value]
    else:
        names = param.text.split(".")
    names = [n for n in names if n]
    if not names:
        raise UrlError("Invalid value for t: empty named transformation")
    return tuple(names)


def _end_component() -> Component:
    return Component((Param("if", Condition("end", "end"), "end"),))


def expand_named(
    components: Sequence[Component],
    named: Mapping[str, str],
    parse_transformation: Callable[[str], tuple[Component, ...]],
    *,
    _depth: int = 0,
    _path: tuple[str, ...] = (),
) -> tuple[Component, ...]:
    """Inline every `t_<name>` (and `t_a.b`: `a` then `b`) with the stored transformation.

    * `named`: name -> stored transformation string (`c_fill,w_100/e_sepia`).
    * `parse_transformation`: parses such a string into components (e.g. the URL parser's
      transformation entry point); its result is expanded again, so named transformations may
      use named transformations, up to `MAX_NAMED_DEPTH` levels.
    * A `t_` mixed with other params in one component (allowed, url-spec §14): the named
      components come FIRST, then a component with the remaining params.  Exceptions keep
      the meaning of the component: a per-component `if_<cond>` guards the whole expansion
      (it becomes an `if_` block ending after the remaining params), and `$var` definitions of
      the component are made before the expansion, so the stored transformation can read them.
    Raises UrlError ``Unknown named transformation: <name>`` and, for a cycle or nesting
    deeper than `MAX_NAMED_DEPTH`, ``Named transformation nesting too deep: a -> b -> a``.
    """
    out: list[Component] = []
    for comp in components:
        t_param = next((p for p in comp.params if p.key == "t"), None)
        if t_param is None:
            out.append(comp)
            continue
        guard = next((p for p in comp.params if p.key == "if"), None)
        var_params = tuple(p for p in comp.params if p.key.startswith("$"))
        rest = tuple(p for p in comp.params if p.key != "t" and p.key != "if" and not p.key.startswith("$"))
        if guard is not None:  # if_<cond> guards the expansion; if_else/if_end switch first
            out.append(Component((guard,)))
        if var_params:
            out.append(Component(var_params))
        for name in _named_names(t_param):
            if name in _path or _depth >= MAX_NAMED_DEPTH:
                chain = " -> ".join((*_path, name))
                raise UrlError(f"Named transformation nesting too deep: {chain}")
            if name not in named:
                raise UrlError(f"Unknown named transformation: {name}")
            inner = tuple(parse_transformation(named[name]))
            out.extend(
                expand_named(inner, named, parse_transformation, _depth=_depth + 1, _path=(*_path, name))
            )
        if rest:
            out.append(Component(rest))
        if guard is not None and guard.value.kind == "if":
            out.append(_end_component())
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Expressions

_CHARACTERISTICS = frozenset({"w", "h", "ar", "iw", "ih", "iar", "pc", "fc", "cp", "tags", "px", "py"})
_UNSUPPORTED = frozenset({"tar", "ils", "du", "idu"})


def _ratio(w: float, h: float) -> float:
    return w / h if h else 0.0


#: image characteristics read straight off the state (`cp` is always the first page and
#: `px`/`py` are 0: Edge has no page geometry yet).
_STATE_READERS: dict[str, Callable[["ImageState"], float]] = {
    "w": lambda s: float(s.width),
    "h": lambda s: float(s.height),
    "ar": lambda s: _ratio(s.width, s.height),
    "iw": lambda s: float(s.initial_width),
    "ih": lambda s: float(s.initial_height),
    "iar": lambda s: _ratio(s.initial_width, s.initial_height),
    "pc": lambda s: float(s.page_count),
    "cp": lambda s: 1.0,
    "px": lambda s: 0.0,
    "py": lambda s: 0.0,
}


class _Environment(Mapping[str, Any]):
    """Characteristics of an `ImageState` plus its variables; `fc` is computed on first read."""

    def __init__(self, state: ImageState, variables: Mapping[str, Any], faces: dict | None = None) -> None:
        self._state = state
        self._variables = variables
        self._faces = {} if faces is None else faces  # face_count callable -> count (shared by a run)

    def _characteristic(self, key: str) -> Any:
        s = self._state
        simple = _STATE_READERS.get(key)
        if simple is not None:
            return simple(s)
        if key == "tags":
            return tuple(s.tags)
        if key == "fc":
            if s.face_count is None:
                raise RenderError("Face count (fc) is not available on this server")
            if s.face_count not in self._faces:
                self._faces[s.face_count] = int(s.face_count())
            return float(self._faces[s.face_count])
        raise KeyError(key)

    def __getitem__(self, key: str) -> Any:
        if key.startswith("$"):
            return self._variables[key]
        if key.startswith("ctx:"):
            return str(self._state.context.get(_unquote(key[4:]), ""))
        if key.startswith("md:"):
            return self._state.metadata.get(_unquote(key[3:]), "")
        return self._characteristic(key)

    def __iter__(self) -> Iterator[str]:
        yield from sorted(_CHARACTERISTICS)
        yield from self._variables

    def __len__(self) -> int:
        return len(_CHARACTERISTICS) + len(self._variables)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key.startswith("$"):
            return key in self._variables
        return key in _CHARACTERISTICS or key.startswith(("ctx:", "md:"))


def environment(
    state: ImageState, variables: Mapping[str, Any] | None = None, *, faces: dict | None = None
) -> Mapping[str, Any]:
    """The read-only mapping expressions are evaluated against.

    Keys: characteristics `w h ar iw ih iar pc cp px py` (floats, px or ratios), `tags`
    (tuple of str), `fc` (float, computed lazily through `state.face_count`, memoised in
    `faces` when given, so one run detects faces at most once), `ctx:!key!` and `md:!key!`
    (str; '' when absent), and user variables `$name` (from `variables`, default
    `state.variables`).
    """
    return _Environment(state, state.variables if variables is None else variables, faces)


def _unquote(text: str) -> str:
    if len(text) >= 2 and text.startswith("!") and text.endswith("!"):
        return text[1:-1]
    return text


def _number(value: Value, expr: Expr) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        number = float(value)
        if not math.isfinite(number):
            raise RenderError(f"Invalid result of {expr.text} (division by zero?)")
        return number
    if isinstance(value, str):
        try:
            return _number(float(value), expr)
        except ValueError:
            pass
    raise UrlError(f"Invalid expression {expr.text}: {value!r} is not a number")


def _truth(value: Value) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


def evaluate(expr: Expr | float | str, env: Mapping[str, Any]) -> Value:
    """Value of `expr` against `env` (see `environment`): a float, a str (`!text!` operands
    without the bangs, `ctx:` values), a bool (conditions) or a tuple (`tags`).

    Delegates to `edge.url.expr.evaluate` (one evaluator for the whole project) and turns its
    errors into HTTP errors: UrlError for an undefined variable, an unknown operand or a
    number/string mismatch; RenderError (400) for a characteristic Edge cannot compute (`tar`,
    `ils`, `du`, or `fc` without a face detector).  A division by zero gives inf/nan there;
    `resolve` rejects non-finite numbers with RenderError.  A plain number is returned as a
    float, a str operand (`$name`, `!text!`, `ctx:!key!`) is evaluated as a one-token
    expression.
    """
    if isinstance(expr, bool):
        return expr
    if isinstance(expr, (int, float)):
        return float(expr)
    if isinstance(expr, str):
        expr = Expr((expr,), expr)
    try:
        return _url_expr.evaluate(expr, env)
    except KeyError as exc:
        token = str(exc.args[0]) if exc.args else "?"
        if token.startswith("$"):
            raise UrlError(f"Undefined variable {token} in {expr.text}") from None
        if token.startswith("ref:"):
            raise RenderError(f"Asset reference variables are not supported: {token}") from None
        if token in _UNSUPPORTED:
            raise RenderError(f"Unsupported characteristic {token} in {expr.text}") from None
        raise UrlError(f"Invalid expression {expr.text}: unknown operand {token}") from None
    except (ValueError, TypeError, IndexError, OverflowError):
        raise UrlError(f"Invalid expression {expr.text}") from None


# --------------------------------------------------------------------------------------------
# Resolution of expressions inside a component


def _fmt(value: float) -> str:
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
    px = _px(_number(evaluate(length.value, env), length.value))
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
    return value if isinstance(value, str) else _fmt(_number(value, expr))


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
        out.append(value if isinstance(value, str) else _fmt(_number(value, Expr((key,), key))))
        i = end + 1
    return "".join(out)


#: separators of the params whose value is a tuple of numbers/expressions (`a_90.hflip`, `r_10:$r`).
_TUPLE_SEPARATORS = {"a": ".", "r": ":"}


def _scalar(value: Expr, env: Mapping[str, Any]) -> tuple[Any, str]:
    result = evaluate(value, env)
    if isinstance(result, str):
        return result, result
    number = _number(result, value)
    return number, _fmt(number)


def _resolve_text_layer(layer: Layer, env: Mapping[str, Any]) -> Layer:
    style = layer.style
    if style is None and layer.text.startswith("text:$"):
        name = layer.text.split(":")[1]
        if name not in env:
            raise UrlError(f"Undefined variable {name} in l_text")
        value = env[name]
        style = _url_layers.parse_text_style(value if isinstance(value, str) else _fmt(value), key="l")
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
        level = _number(evaluate(value.level, env), value.level)
        new_text = _fmt(level) + (f":{value.chroma}" if value.chroma else "")
        return replace(value, level=level, text=new_text), new_text
    if isinstance(value, Border) and isinstance(value.width, Expr):
        px = _px(_number(evaluate(value.width, env), value.width))
        new_text = f"{px}px_solid_{value.color.text}"
        return Border(px, value.color, new_text), new_text
    if isinstance(value, Layer) and value.kind == "text":
        return _resolve_text_layer(value, env), text
    if isinstance(value, tuple) and any(isinstance(v, Expr) for v in value):
        items = [_scalar(v, env) if isinstance(v, Expr) else (v, _fmt(v) if isinstance(v, float) else str(v)) for v in value]
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


def _resolve_keys(component: Component, keys: Sequence[str], env: Mapping[str, Any]) -> Component:
    """`component` with only the params named in `keys` resolved."""
    params = []
    for p in component.params:
        if p.key in keys:
            value, text = _resolve_value(p.key, p.value, p.text, env)
            p = Param(p.key, value, text) if (value is not p.value or text != p.text) else p
        params.append(p)
    return Component(tuple(params))


# --------------------------------------------------------------------------------------------
# The interpreter


def _variable_value(value: Any, env: Mapping[str, Any]) -> Any:
    """Value of a `$name_<value>` definition, evaluated when defined (eagerly)."""
    if isinstance(value, Expr):
        result = evaluate(value, env)
        return result if isinstance(result, (str, tuple)) else _number(result, value)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        if value.startswith("ref:"):
            raise RenderError(f"Asset reference variables are not supported: {value}")
        if value.startswith(("!", "$", "ctx:", "md:")):
            return evaluate(value, env)
        try:
            return float(value)
        except ValueError:
            return value  # a bare word: the parser already removed the bangs
    if isinstance(value, (tuple, list)):
        return tuple(value)
    raise UrlError(f"Invalid variable value: {value!r}")


def _define(params: Sequence[Param], state: ImageState, variables: dict[str, Any], faces: dict) -> None:
    for p in params:
        raw = p.value.value if isinstance(p.value, Variable) else p.value
        if raw is None:  # `$name` alone: a reference, not a definition
            continue
        variables[p.key] = _variable_value(raw, environment(state, variables, faces=faces))


def _condition(cond: Condition, state: ImageState, variables: Mapping[str, Any], faces: dict) -> bool:
    if cond.expr is None:
        raise UrlError(f"Invalid condition: if_{cond.text}")
    return _truth(evaluate(cond.expr, environment(state, variables, faces=faces)))


@dataclass
class _Frame:
    parent_active: bool
    taken: bool
    in_else: bool = False

    @property
    def active(self) -> bool:
        return self.parent_active and (not self.taken if self.in_else else self.taken)


def run(steps: Sequence[Any], state: ImageState, apply: Apply) -> ImageState:
    """Interpret a chain and return the final state (with the variables defined by the chain).

    `steps` are `Component`s, or the output of `edge.render.layers.structure` (Components and
    `LayerBlock`s).  For each step that runs, `apply(step, variables)` is called and must
    return the new `ImageState` (typically ``state.advanced(new_image)``; the callback keeps
    the current state in its closure, since the interpreter only changes it through `apply`).
    `variables` is a read-only mapping `$name` -> value of the variables in scope (to pass to
    `EffectContext.variables` or a nested `run` for a layer body).

    * `if_<cond>` alone in a component opens a block closed by `if_end`, with an optional
      `if_else`; blocks nest.  A component holding `if_else`/`if_end` together with other
      params: the branch switch/close happens first, then the remaining params run as a
      component of the new branch / after the block.
    * `if_<cond>` together with other params guards that component only.  Conditions read the
      CURRENT state (after every earlier component).
    * `$name_<value>` params define variables (in their order, before the component's other
      params resolve, evaluated eagerly); a component holding only definitions calls nothing.
    * Every other component is passed through `resolve` before `apply`.
    * A `LayerBlock`: a `if_` in its opening component guards the whole layer; `$` definitions
      there are made first; its `apply` component (placement) is resolved against the base
      state; its opening component and body are passed unresolved (they belong to the layer
      image, whose own `run` resolves them).
    An `if_` block left open at the end of the chain is closed there, as Cloudinary does.
    Raises UrlError for `if_else`/`if_end` without `if_` or a second `if_else`.
    """
    variables: dict[str, Any] = dict(state.variables)
    faces: dict = {}  # face_count callable -> count: faces are detected at most once per run
    stack: list[_Frame] = []

    def active() -> bool:
        return stack[-1].active if stack else True

    def execute(step: Any) -> None:
        nonlocal state
        if isinstance(step, LayerBlock):
            opener: Component = step.open
            guard = opener.get("if")
            if guard is not None and guard.kind == "if" and not _condition(guard, state, variables, faces):
                return
            _define([p for p in opener.params if p.key.startswith("$")], state, variables, faces)
            env = environment(state, variables, faces=faces)
            if step.apply is not None:
                step = replace(step, apply=resolve(step.apply, env))
            else:  # legacy one-component form: its x/y place the layer on the base
                step = replace(step, open=_resolve_keys(opener, ("x", "y"), env))
            state = apply(step, MappingProxyType(dict(variables)))
            return
        defs = [p for p in step.params if p.key.startswith("$")]
        if defs:
            _define(defs, state, variables, faces)
        rest = tuple(p for p in step.params if not p.key.startswith("$") and p.key != "if")
        if not rest:
            return
        resolved = resolve(Component(rest), environment(state, variables, faces=faces))
        state = apply(resolved, MappingProxyType(dict(variables)))

    for step in steps:
        if isinstance(step, LayerBlock):
            if active():
                execute(step)
            continue
        cond = step.get("if")
        if not isinstance(cond, Condition):
            if active():
                execute(step)
            continue
        others = tuple(p for p in step.params if p.key != "if")
        if cond.kind == "if":
            if not others:
                parent = active()
                stack.append(_Frame(parent, parent and _condition(cond, state, variables, faces)))
            elif active() and _condition(cond, state, variables, faces):
                execute(Component(others))
            continue
        if not stack:
            raise UrlError(f"if_{cond.kind} without a matching if_")
        if cond.kind == "else":
            if stack[-1].in_else:
                raise UrlError("Second if_else in one if_ block")
            stack[-1].in_else = True
        elif cond.kind == "end":
            stack.pop()
        else:
            raise UrlError(f"Invalid condition: if_{cond.text}")
        if others and active():
            execute(Component(others))
    # an `if_` block still open here ends with the chain (Cloudinary closes it implicitly)
    return replace(state, variables=MappingProxyType(variables))
