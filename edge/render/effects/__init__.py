"""The effect registry: one small module per `e_<name>` effect, each registering itself.

Contract (shared by every effect module):
* An effect is a function ``fn(image, effect, ctx) -> image``.
* `image` is a `pyvips.Image` in sRGB, 8-bit (`uchar`), 3 bands, or 4 with alpha last; the
  pipeline guarantees this before effects run, and an effect returns the same convention
  (it may add an alpha band).
* `effect` is the parsed `edge.url.ast.Effect` (`name`, `args`, `options`).
* `ctx` is an `EffectContext`: the component the effect stands in (for its `co_`, `x`, `y`,
  `w`, `h`, `g_` qualifiers) and the optional `FocusProvider` (faces, objects, text).
* Bad arguments raise `edge.url.UrlError` (HTTP 400) through the helpers in `args.py`;
  anything the effect cannot do raises `edge.render.errors.RenderError`.

Register with ``@register("sepia")`` in a module of this package; `lookup(name)` imports every
module of the package once and returns the function, or None for an unknown name.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

from edge.render.focus import FocusProvider
from edge.url.ast import Component, Effect

__all__ = ["EffectContext", "EffectFn", "register", "lookup", "names"]


@dataclass(frozen=True)
class EffectContext:
    """What an effect may read besides its own arguments.

    * `component`: the transformation component holding the `e_` parameter.
    * `focus`: the `FocusProvider` to ask about this image (faces, objects, text, saliency),
      or None when the render has none (effects needing one then do nothing or raise
      RenderError, as each documents).
    * `variables`: user variables in scope (`$name` -> value), for expressions.
    """

    component: Component
    focus: FocusProvider | None = None
    variables: dict[str, Any] | None = None


EffectFn = Callable[[Any, Effect, EffectContext], Any]

_REGISTRY: dict[str, EffectFn] = {}
_loaded = False


def register(name: str, *aliases: str, whole_animation: bool = False) -> Callable[[EffectFn], EffectFn]:
    """Decorator: register `fn` under the URL effect `name` (and `aliases`).  Raises
    RuntimeError when a name is already taken by another function (a programming error).

    By default the effects step applies `fn` to each frame of an animation; with
    `whole_animation=True` it gets the whole stacked animation once (`page-height` set) and
    returns an image of its own (e.g. `e_zoompan`, which makes an animation from a still)."""

    def deco(fn: EffectFn) -> EffectFn:
        fn.whole_animation = whole_animation  # type: ignore[attr-defined]
        for n in (name, *aliases):
            if n in _REGISTRY and _REGISTRY[n] is not fn:
                raise RuntimeError(f"effect {n!r} registered twice")
            _REGISTRY[n] = fn
        return fn

    return deco


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    _loaded = True


def lookup(name: str) -> EffectFn | None:
    """The effect function registered for `name`, or None when Edge has no such effect."""
    _load_all()
    return _REGISTRY.get(name)


def names() -> frozenset[str]:
    """Every registered effect name."""
    _load_all()
    return frozenset(_REGISTRY)
