"""One transformation component (`w_400,c_fill,g_auto`) -> `Component`, cached.

Parameter order inside a component does not matter (spec §3); the parsed `Component` keeps its
params in the official SDK's order (spec §16): `if_` first, then variable definitions in the
order written, then every other `key_value` sorted by key.  Duplicate keys are merged: `fl`
flags are joined (first occurrence order, repeats dropped), any other key keeps its last value.
"""

from __future__ import annotations

import functools
import re

from .ast import Component, Flag, Param, Variable
from .errors import UrlError
from .values import VARIABLE_NAME, parse_value

__all__ = ["parse_component", "looks_like_component"]

_SHAPED = re.compile(r"[a-z]{1,3}_")


def looks_like_component(segment: str) -> bool:
    """True if `segment` is meant as a transformation component (spec §2 `looks_like_component`).

    A segment is a component when any of its `,`-tokens is `$<var>...` or starts with the
    shape of a key (1-3 lower-case letters then `_`, which covers every key of the spec).
    Parsing then reports unknown keys or bad values as UrlError instead of silently taking the
    segment as a folder of the public ID.
    """
    if not segment:
        return False
    for token in segment.split(","):
        if token.startswith("$") or _SHAPED.match(token):
            return True
    return False


def _sort_key(param: Param) -> tuple[int, str]:
    if param.key == "if":
        return (0, "")
    if param.key.startswith("$"):
        return (1, "")
    return (2, param.key + "_")


@functools.lru_cache(maxsize=8192)
def parse_component(text: str) -> Component:
    """Parse one component's raw text into a `Component` with typed params in SDK order.

    One empty trailing parameter is ignored (`c_scale,w_500,`).  Raises UrlError naming the
    parameter at fault (unknown key, bad value, empty token elsewhere).
    """
    params: dict[str, Param] = {}
    flags: list[Flag] = []
    tokens = text.split(",")
    if len(tokens) > 1 and not tokens[-1]:
        tokens.pop()  # an empty trailing parameter (`c_scale,w_500,`), as live sites send
    for token in tokens:
        if not token:
            raise UrlError("Empty transformation parameter")
        if token.startswith("$"):
            name, sep, value_text = token.partition("_")
            if not sep:
                if not VARIABLE_NAME.match(name):
                    raise UrlError(f"Invalid variable name: {name}")
                params.pop(name, None)
                params[name] = Param(name, Variable(name, None, ""), "")
                continue
            value = parse_value(name, value_text)
            params.pop(name, None)  # a redefinition moves to its new position
            params[name] = Param(name, value, value_text)
            continue
        key, sep, value_text = token.partition("_")
        if not sep:
            raise UrlError(f"Invalid transformation parameter: {token}")
        value = parse_value(key, value_text)
        if key == "fl":
            for flag in value:
                if flag not in flags:
                    flags.append(flag)
            continue
        params[key] = Param(key, value, value_text)
    if flags:
        params["fl"] = Param("fl", tuple(flags), ".".join(f.text for f in flags))
    ordered = sorted(params.values(), key=_sort_key)  # stable: variables keep written order
    return Component(params=tuple(ordered))
