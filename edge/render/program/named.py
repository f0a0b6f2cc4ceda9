"""Named transformations (`t_<name>`, `t_a.b`): inlining the stored transformation strings
(url-spec §14).  `parse_transformation` reads a stored string with the URL parser."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Callable, Sequence

from edge.url.ast import Component, Condition, Param
from edge.url.errors import UrlError

__all__ = ["MAX_NAMED_DEPTH", "expand_named", "named_names", "parse_transformation"]

#: Deepest chain of named transformations referring to named transformations.  Cloudinary
#: does not publish its limit; 8 levels is far beyond any real use and stops cycles early.
MAX_NAMED_DEPTH = 8


def parse_transformation(text: str) -> tuple[Component, ...]:
    """Components of a stored transformation string (`c_fill,w_100/e_sepia`), through the URL
    parser (raises UrlError)."""
    from edge.url import parse

    return parse(f"/edge/image/upload/{text.strip('/')}/named.png").components


def named_names(param: Param) -> tuple[str, ...]:
    """The names of a `t_` param (`t_a.b` -> ('a', 'b')).  Raises UrlError when empty."""
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
        for name in named_names(t_param):
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
