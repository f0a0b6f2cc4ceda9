"""Expressions of a transformation chain: the environment they read and their evaluation.

Semantics (Cloudinary, "User-defined variables and arithmetic transformations" and
"Conditional transformations"): operators ``add sub mul div mod pow`` on numbers, comparisons
``eq ne lt gt lte gte`` on numbers (``eq``/``ne`` also on strings), ``in``/``nin`` for a
`:`-separated list of strings against `tags` (or another list), ``and``/``or``; standard
precedence pow > mul/div/mod > add/sub > comparisons > and > or, left-associative except pow.
The parser and evaluator are `edge.url.expr`; this module supplies the image side.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Union

from edge.url import expr as _url_expr
from edge.url.ast import Expr
from edge.url.errors import UrlError

from ..errors import RenderError
from .state import ImageState

__all__ = ["Value", "environment", "evaluate", "as_number", "truth"]

Value = Union[float, str, tuple, bool]


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


def as_number(value: Value, expr: Expr) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        number = float(value)
        if not math.isfinite(number):
            raise RenderError(f"Invalid result of {expr.text} (division by zero?)")
        return number
    if isinstance(value, str):
        try:
            return as_number(float(value), expr)
        except ValueError:
            pass
    raise UrlError(f"Invalid expression {expr.text}: {value!r} is not a number")


def truth(value: Value) -> bool:
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
