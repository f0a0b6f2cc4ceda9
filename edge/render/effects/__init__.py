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

Register with ``@register("sepia", args=(Number("level", 80, 1, 100),))`` in a module of this
package: the declared arguments (`edge.render.effects.args`) are read and range-checked before
the effect runs and passed to it as keyword arguments (``def sepia(image, effect, ctx, *,
level)``); `check_arguments(effect)` refuses bad ones before any pixel work (the render calls
it on the whole chain, `edge.render.cost.check_effects`), and `table()` lists every effect with
its arguments (README "What Edge renders").  An effect registered without `args` reads its own
free-form arguments.  `lookup(name)` imports every module of the package once and returns the
registered function (``fn(image, effect, ctx)``), or None for an unknown name.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from edge.render.focus import FocusProvider
from edge.url.ast import Component, Effect

from .args import Arg, describe, read

__all__ = ["EffectContext", "EffectFn", "register", "lookup", "names", "arguments", "check_arguments", "table"]


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


#: a registered effect: ``fn(image, effect, ctx) -> image``, with the attributes `whole_animation`
#: (bool) and `args` (its declared arguments, or None) set by `register`.
EffectFn = Callable[[Any, Effect, EffectContext], Any]

_REGISTRY: dict[str, EffectFn] = {}
#: effect name -> its declared arguments (None: the effect reads its own arguments).
_ARGUMENTS: dict[str, tuple[Arg, ...] | None] = {}
#: names Edge parses but refuses (`available=False`).
_UNAVAILABLE: set[str] = set()
_loaded = False


def register(
    name: str, *aliases: str, args: Sequence[Arg] | None = None, whole_animation: bool = False,
    available: bool = True,
) -> Callable[[Callable[..., Any]], EffectFn]:
    """Decorator: register `fn` under the URL effect `name` (and `aliases`).  Raises
    RuntimeError when a name is already taken by another function (a programming error).

    With `args`, the registered function is ``call(image, effect, ctx)`` that reads the
    declared arguments (`edge.render.effects.args.read`, UrlError 400 when bad) and calls
    ``fn(image, effect, ctx, **values)``; the decorator returns that function (so the module
    attribute keeps the three-argument contract).  Without `args`, `fn` itself.

    By default the effects step applies `fn` to each frame of an animation; with
    `whole_animation=True` it gets the whole stacked animation once (`page-height` set) and
    returns an image of its own (e.g. `e_zoompan`, which makes an animation from a still).
    `available=False` marks a name Edge parses but refuses with a reason (edge/render/effects/
    unavailable.py), for `table`."""
    spec = tuple(args) if args is not None else None

    def deco(fn: Callable[..., Any]) -> EffectFn:
        if spec is None:
            call = fn
        else:

            @functools.wraps(fn)
            def call(image: Any, effect: Effect, ctx: EffectContext) -> Any:
                return fn(image, effect, ctx, **read(effect, spec))

        call.whole_animation = whole_animation  # type: ignore[attr-defined]
        call.args = spec  # type: ignore[attr-defined]
        for n in (name, *aliases):
            if n in _REGISTRY and _REGISTRY[n] is not call:
                raise RuntimeError(f"effect {n!r} registered twice")
            _REGISTRY[n] = call
            _ARGUMENTS[n] = spec
            if not available:
                _UNAVAILABLE.add(n)
        return call

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


def arguments(name: str) -> tuple[Arg, ...] | None:
    """The declared arguments of effect `name`, or None (unknown, or it reads its own)."""
    _load_all()
    return _ARGUMENTS.get(name)


def check_arguments(effect: Effect) -> None:
    """Refuse (UrlError, 400) an effect whose declared arguments are out of range, before any
    pixel work.  Effects without declarations, unknown names (the effects step answers those)
    and arguments holding a variable (`e_blur:$amount`, known only once resolved) pass."""
    spec = arguments(effect.name)
    if spec is None or any("$" in a for a in effect.args) or any("$" in v for _, v in effect.options):
        return
    read(effect, spec)


def table(*, available: bool = True) -> list[tuple[str, str]]:
    """The effects Edge runs (`available`; with False those it refuses with a reason), sorted
    by name, each with its arguments: (name, `edge.render.effects.args.describe` text)."""
    _load_all()
    return [(n, describe(_ARGUMENTS.get(n))) for n in sorted(_REGISTRY) if (n not in _UNAVAILABLE) == available]
