"""Expressions of the delivery URL (`iw_div_2`, `w_gt_1000_and_h_lt_5`): parse and evaluate.

Syntax (spec §8, §12): operands joined by `_<op>_`.  Operands are numbers (`2`, `0.5`, `-3`),
ratios (`16:9`, turned into the float 16/9), image characteristics (`w h iw ih ar iar tar fc pc
cp ils px py du idu tags`), user variables (`$name`), quoted strings (`!text!`, kept with the
bangs) and lookups (`ctx:!key!`, `md:!key!`, `ref:!id!`).  Operators: `or and eq ne lt gt lte
gte in nin add sub mul div mod pow`, and the postfix conversions `to_i`, `to_f`.  Parsing uses the LALR grammar `grammar/delivery_url.lark`
(start `expr`); evaluation is a small precedence climber over the token tuple.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Mapping, Union

from lark import Token, Tree
from lark.exceptions import LarkError

from .ast import Expr
from .errors import UrlError
from .grammar import value_parser
from .numeric import is_number, ratio, to_float

__all__ = ["parse_expr", "evaluate", "OPERATORS", "CONVERSIONS"]

Value = Union[float, bool, str]

#: operator -> binding power (higher binds tighter); standard precedence.
OPERATORS: dict[str, int] = {
    "or": 1,
    "and": 2,
    "eq": 3, "ne": 3, "lt": 3, "gt": 3, "lte": 3, "gte": 3, "in": 3, "nin": 3,
    "add": 4, "sub": 4,
    "mul": 5, "div": 5, "mod": 5,
    "pow": 6,
}

_SIMPLE_OPERAND = re.compile(
    r"(?:-?(?:\d+\.?\d*|\.\d+)|\d+(?:\.\d+)?:\d+(?:\.\d+)?|\$[A-Za-z][A-Za-z0-9]*"
    r"|iw|ih|iar|ar|tar|fc|pc|cp|ils|px|py|idu|du|w|h|tags|ctx|md)\Z"
)


def _leaves(tree: Tree | Token, out: list) -> None:
    if isinstance(tree, Token):
        out.append(tree)
        return
    for child in tree.children:
        _leaves(child, out)


@functools.lru_cache(maxsize=4096)
def parse_expr(text: str, *, where: str = "expression") -> Expr:
    """Parse an expression in URL form into an `Expr` (tokens: floats for numbers and ratios,
    operator names without underscores, other operands as text).

    Raises UrlError ("Invalid expression for <where>: <text>") on a syntax error, ("Invalid
    value for <where>: ...") for a number or ratio that is not finite (`1:0`).
    """
    if not text:
        raise UrlError(f"Invalid expression for {where}: empty")
    fast = _fast_tokens(text, where)
    if fast is not None:
        return Expr(tokens=fast, text=text)
    try:
        tree = value_parser().parse(text, start="expr")
    except LarkError:
        raise UrlError(f"Invalid expression for {where}: {text}") from None
    leaves: list[Token] = []
    _leaves(tree, leaves)
    tokens: list[Union[str, float]] = []
    for tok in leaves:
        kind = tok.type
        if kind == "NUMBER":
            tokens.append(to_float(tok, where))
        elif kind == "RATIO":
            tokens.append(ratio(*tok.split(":"), where))
        elif kind in ("OR", "AND", "CMP_OP", "SUM_OP", "PROD_OP", "POW", "CONV"):
            tokens.append(str(tok).strip("_"))
        else:
            tokens.append(str(tok))
    return Expr(tokens=tuple(tokens), text=text)


def _fast_tokens(text: str, where: str = "expression") -> tuple[Union[str, float], ...] | None:
    """Tokenise a plain expression (no `!strings!` or lookups) with string ops: operands and
    operators alternate on `_`.  Returns None when the grammar is needed (or for any doubt);
    raises UrlError for a number or ratio that is not finite, as the grammar path does."""
    if "!" in text:
        return None
    parts = text.split("_")
    if len(parts) % 2 == 0:
        return None
    out: list[Union[str, float]] = []
    for i, part in enumerate(parts):
        if i % 2:
            if part not in OPERATORS:
                return None
            out.append(part)
        elif not _SIMPLE_OPERAND.match(part):
            return None
        elif ":" in part:
            out.append(ratio(*part.split(":"), where))
        elif is_number(part):
            out.append(to_float(part, where))
        else:
            out.append(part)
    return tuple(out)


def _operand(token: Union[str, float], variables: Mapping[str, Union[float, str]]) -> Value:
    if isinstance(token, float):
        return token
    if token.startswith("!") and token.endswith("!") and len(token) >= 2:
        return token[1:-1]
    if token in variables:
        return variables[token]
    if token.startswith("$") and token[1:] in variables:
        return variables[token[1:]]
    raise KeyError(token)


#: postfix conversions (`ctx:!w!_to_i`, `$a_to_f`): applied to the operand just before them.
CONVERSIONS = frozenset({"to_i", "to_f"})


def _convert(op: str, value: Value) -> float:
    """`to_i`: the value as a whole number (truncated toward zero, as Cloudinary's `to_i`),
    `to_f`: as a float.  Raises ValueError for a string that is not a number."""
    number = float(value)  # type: ignore[arg-type]
    return float(math.trunc(number)) if op == "to_i" and math.isfinite(number) else number


def _apply(op: str, a: Value, b: Value) -> Value:
    if op == "or":
        return bool(a) or bool(b)
    if op == "and":
        return bool(a) and bool(b)
    if op == "eq":
        return a == b
    if op == "ne":
        return a != b
    if op in ("in", "nin"):
        items = b if isinstance(b, (list, tuple, set, frozenset)) else str(b).split(":")
        inside = all(x in items for x in str(a).split(":")) if isinstance(a, str) else a in items
        return inside if op == "in" else not inside
    x, y = float(a), float(b)  # type: ignore[arg-type]
    if op == "lt":
        return x < y
    if op == "gt":
        return x > y
    if op == "lte":
        return x <= y
    if op == "gte":
        return x >= y
    if op == "add":
        return x + y
    if op == "sub":
        return x - y
    if op == "mul":
        return x * y
    if op == "div":
        return x / y if y != 0 else math.inf
    if op == "mod":
        return math.fmod(x, y) if y != 0 else math.nan
    if op == "pow":
        try:
            return math.pow(x, y)  # real result or ValueError (no complex numbers)
        except OverflowError:
            return math.inf
    raise ValueError(op)


def evaluate(expr: Expr, variables: Mapping[str, Union[float, str]]) -> Value:
    """Evaluate `expr` with `variables` (characteristics such as `iw`, `fc`, lookups such as
    `ctx:!key!`, and user variables under `$name` or `name`).

    Standard precedence (pow > mul/div/mod > add/sub > comparisons > and > or), left
    associative.  Division by zero gives `inf`, `mod` by zero `nan`, an overflowing `pow`
    `inf`.  Returns a float, bool or str.  Raises KeyError for an operand missing from
    `variables`; ValueError or TypeError for an arithmetic or ordering operator applied to a
    string or sequence (`!a!_lt_3`) and for a `pow` without a real result (`-8_pow_0.5`).
    """
    tokens = expr.tokens
    pos = 0

    def parse(min_power: int) -> Value:
        nonlocal pos
        left = _operand(tokens[pos], variables)
        pos += 1
        if pos < len(tokens) and tokens[pos] in CONVERSIONS:
            left = _convert(tokens[pos], left)
            pos += 1
        while pos < len(tokens):
            op = tokens[pos]
            power = OPERATORS.get(op) if isinstance(op, str) else None
            if power is None or power < min_power:
                break
            pos += 1
            right = parse(power + 1)
            left = _apply(op, left, right)
        return left

    return parse(0)
