"""The one form of every configurable seam: a location string or `package.module:callable`.

Each seam setting of `edge serve` (`origin`, `cache`, `focus`, `catalogue`, `analyzers`) takes
either one of its built-in location strings (`./media`, `s3://bucket/prefix`, `none`,
`vision`, `sqlite:///path.db`, `postgresql://...`) or an import path
`package.module:callable` naming a callable of your own.  Edge calls it once at startup, in
every worker process, as

    callable(settings) -> object

with the `edge.server.settings.Settings` of the process (read any field you need; the
settings are frozen), and checks the object against the seam's protocol before the first
request, so a bad plug-in stops `edge serve` with a message instead of failing requests:

| seam | protocol the returned object satisfies |
|---|---|
| origin | `edge.storage.Origin` and `edge.storage.WritableOrigin` |
| cache | `edge.storage.ByteStore` |
| focus | a focus factory `(public_id, version) -> FocusProvider | None` (callable) |
| catalogue | `edge.assets.catalogue.Catalogue` |
| analyzers | `edge.analysis.registry.Analyzer`, or an iterable of them |

An import path is dotted identifiers, one colon, then an attribute (dotted for a nested one):
`mycompany.edge_plugins:make_origin`.  Location strings never match that form (they hold a
`/`, or are a bare word such as `none`); a directory literally named like an import path is
written `./name:attr`.  (Design after thumbor's loader/storage/detector families, which are
chosen by dotted module names in its configuration.)

This module imports nothing else of Edge, so every layer may use it.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, Callable

__all__ = ["SeamError", "is_import_path", "load_callable", "build", "missing_members"]

_IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")


class SeamError(ValueError):
    """A seam setting that cannot be honoured: an import path that does not import, a
    callable that raises, or an object that lacks members of the seam's protocol.  The
    message starts with the seam's name (`origin: ...`), fit for `edge serve: <message>`."""


def is_import_path(spec: str) -> bool:
    """True when `spec` has the `package.module:callable` form (no `/`, exactly one `:`)."""
    return bool(_IMPORT_PATH.match(spec))


def load_callable(spec: str, seam: str) -> Callable[..., Any]:
    """Import `package.module:attr[.attr]` and return the callable it names.

    Raises `SeamError` when `spec` is not an import path, the module cannot be imported, the
    attribute is missing or is not callable."""
    if not is_import_path(spec):
        raise SeamError(f"{seam}: {spec!r} is not of the form package.module:callable")
    module_name, _, attr_path = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise SeamError(f"{seam}: cannot import {module_name!r} of {spec!r}: {exc}") from exc
    for part in attr_path.split("."):
        if not hasattr(target, part):
            raise SeamError(f"{seam}: module {module_name!r} has no attribute {attr_path!r}")
        target = getattr(target, part)
    if not callable(target):
        raise SeamError(f"{seam}: {spec!r} is a {type(target).__name__}, not a callable")
    return target


def missing_members(obj: Any, *protocols: type) -> list[str]:
    """Names of the members (methods and attributes) that `protocols` declare and `obj`
    lacks, sorted; [] when `obj` has every one."""
    wanted: set[str] = set()
    for proto in protocols:
        for klass in proto.__mro__:
            if klass in (object,) or klass.__name__ in ("Protocol", "Generic"):
                continue
            wanted.update(n for n in vars(klass) if not n.startswith("_"))
            wanted.update(n for n in getattr(klass, "__annotations__", {}) if not n.startswith("_"))
    return sorted(n for n in wanted if not hasattr(obj, n))


def build(spec: str, seam: str, settings: Any, *protocols: type) -> Any:
    """`load_callable(spec, seam)(settings)`, checked to have every member of `protocols`.

    Raises `SeamError` for an import failure, an exception raised by the callable (chained),
    or missing protocol members (named in the message)."""
    factory = load_callable(spec, seam)
    try:
        obj = factory(settings)
    except Exception as exc:  # noqa: BLE001 - any plug-in failure is a startup error
        raise SeamError(f"{seam}: {spec!r} raised {type(exc).__name__}: {exc}") from exc
    missing = missing_members(obj, *protocols)
    if missing:
        names = " + ".join(p.__name__ for p in protocols)
        raise SeamError(f"{seam}: {spec!r} returned a {type(obj).__name__} without {', '.join(missing)} "
                        f"(members of {names})")
    return obj
