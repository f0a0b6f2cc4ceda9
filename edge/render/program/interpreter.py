"""The component interpreter: conditionals and user variables (url-spec §12).

A transformation chain is a small program.  `run(items, state, apply)` walks it without
knowing how a component is rendered: `if_<cond>` blocks (`if_else`, `if_end`, nestable),
per-component `if_<cond>`, `$name_<value>` definitions; each surviving component goes,
resolved (`edge.render.program.resolve`), to the caller's `apply`.  Layer blocks
(`edge.render.layers.LayerBlock`) pass through as one item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Callable, Sequence

from edge.url.ast import Component, Condition, Expr, Param, Variable
from edge.url.errors import UrlError

from ..errors import RenderError
from ..layers.blocks import LayerBlock
from .expressions import as_number, environment, evaluate, truth
from .resolve import resolve, resolve_keys
from .state import ImageState

__all__ = ["run", "Apply"]

#: `apply(item, variables) -> ImageState`: renders one item (a resolved Component or a
#: LayerBlock) and returns the state after it.
Apply = Callable[[Any, Mapping[str, Any]], ImageState]


def _variable_value(value: Any, env: Mapping[str, Any]) -> Any:
    """Value of a `$name_<value>` definition, evaluated when defined (eagerly)."""
    if isinstance(value, Expr):
        result = evaluate(value, env)
        return result if isinstance(result, (str, tuple)) else as_number(result, value)
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
    return truth(evaluate(cond.expr, environment(state, variables, faces=faces)))


@dataclass
class _Frame:
    parent_active: bool
    taken: bool
    in_else: bool = False

    @property
    def active(self) -> bool:
        return self.parent_active and (not self.taken if self.in_else else self.taken)


def run(items: Sequence[Any], state: ImageState, apply: Apply) -> ImageState:
    """Interpret a chain and return the final state (with the variables defined by the chain).

    `items` are `Component`s, or the output of `edge.render.layers.structure` (Components and
    `LayerBlock`s).  For each item that runs, `apply(item, variables)` is called and must
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

    def execute(item: Any) -> None:
        nonlocal state
        if isinstance(item, LayerBlock):
            opener: Component = item.open
            guard = opener.get("if")
            if guard is not None and guard.kind == "if" and not _condition(guard, state, variables, faces):
                return
            _define([p for p in opener.params if p.key.startswith("$")], state, variables, faces)
            env = environment(state, variables, faces=faces)
            if item.apply is not None:
                item = replace(item, apply=resolve(item.apply, env))
            else:  # legacy one-component form: its x/y place the layer on the base
                item = replace(item, open=resolve_keys(opener, ("x", "y"), env))
            state = apply(item, MappingProxyType(dict(variables)))
            return
        defs = [p for p in item.params if p.key.startswith("$")]
        if defs:
            _define(defs, state, variables, faces)
        rest = tuple(p for p in item.params if not p.key.startswith("$") and p.key != "if")
        if not rest:
            return
        resolved = resolve(Component(rest), environment(state, variables, faces=faces))
        state = apply(resolved, MappingProxyType(dict(variables)))

    for item in items:
        if isinstance(item, LayerBlock):
            if active():
                execute(item)
            continue
        cond = item.get("if")
        if not isinstance(cond, Condition):
            if active():
                execute(item)
            continue
        others = tuple(p for p in item.params if p.key != "if")
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
