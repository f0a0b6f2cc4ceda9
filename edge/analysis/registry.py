"""The plug-in seam for model-backed analyses: detection, categorization and OCR.

The built-in semantic data (colours, pHash, metadata, faces, quality, accessibility) lives in
this package and needs no registration.  Model-backed add-ons register here, from their own
modules (`edge.analysis.detection`, `.tagging`, `.ocr`, imported lazily by `load_plugins()` the
first time a name is looked up), so the pixel and model code never edit each other's files:

    from edge.analysis.registry import register

    def run_coco(ctx, request, name):            # ctx: edge.analysis.image.ImageContext
        found = ...                              # ctx.frame(), ctx.image(side), ctx.focus ...
        return {"info": {"detection": {"object_detection": {"status": "complete",
                 "data": {name: {...}}}}},
                "_labels": [Label("dog", 0.91, name)]}

    register("detection", "coco", run_coco, side=1024, auto_tag=True)
    register("detection", "coco_v2", run_coco, side=1024)

An analyzer is ``run(ctx, request, name) -> dict``: `name` is the wire name requested (or the
operator alias's requested name for categorization, e.g. ``imagga_tagging`` when mapped to
``edge_tagging``), the dict a *partial upload response*.  `analyze()` deep-merges the partial
results in request order (dicts merge key by key, lists concatenate).  The reserved key
``"_labels"`` (a list of `Label`) is removed from the response and feeds `auto_tagging`: the
tags are chosen by the tag merger (`set_tag_merger`; default `default_merge`: every label whose
confidence >= threshold, best first, each once) and returned as ``tags`` (automatic tags only;
the caller merges them with the user's tags).  `side` is the longest side in px the analyzer
reads (0: the original), so the one decode is planned large enough.  `auto_tag=True` marks the
models run when `auto_tagging` is requested with no detection/categorization model named.

Operators add analyzers without editing Edge with the `analyzers` setting (`--analyzers`,
`EDGE_ANALYZERS`): comma-separated `package.module:callable`, each called once at startup as
`callable(settings)` (see `edge.seams`) and returning one `Analyzer` (an object with `kind`,
`name`, `run`, `side`, `auto_tag`; an `Entry` is one) or an iterable of them; `load_configured`
registers them.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal, Protocol, Sequence, runtime_checkable

from edge.seams import SeamError, build, missing_members

#: What an analyzer receives: at run time an `edge.analysis.image.ImageContext` and an
#: `edge.analysis.request.AnalysisRequest`.  Named loosely here because the request parser
#: imports this registry (to check analyzer names and thresholds); importing it back would make
#: the two modules a cycle (tests/test_layout.py).
ImageContext = Any
AnalysisRequest = Any

__all__ = [
    "Kind", "Label", "Analyzer", "AnalyzerRun", "Entry", "register", "register_analyzer",
    "load_configured", "unregister", "supported", "lookup",
    "entries", "auto_tag_entries", "load_plugins", "PLUGINS", "default_threshold",
    "set_default_threshold", "set_tag_merger", "tag_merger", "default_merge", "DEFAULT_THRESHOLD",
]

Kind = Literal["detection", "categorization", "ocr"]
KINDS = ("detection", "categorization", "ocr")

#: Modules imported by `load_plugins()` (a module that does not exist yet is skipped).
PLUGINS = ("edge.analysis.detection", "edge.analysis.tagging", "edge.analysis.ocr")

DEFAULT_THRESHOLD = 0.5
"""Confidence used for ``auto_tagging=default`` until a plug-in sets its own (0..1)."""


@dataclass(frozen=True, slots=True)
class Label:
    """A candidate automatic tag: `tag` text, `confidence` 0..1, `model` that produced it
    (wire name such as ``coco_v2`` or ``edge_tagging``)."""

    tag: str
    confidence: float
    model: str


#: The function of an analyzer: ``run(ctx, request, name) -> partial upload response``.
AnalyzerRun = Callable[["ImageContext", "AnalysisRequest", str], dict[str, Any]]
TagMerger = Callable[[Sequence[Label], float, "ImageContext", "AnalysisRequest"], list[str]]


@runtime_checkable
class Analyzer(Protocol):
    """One model-backed analysis as the registry holds it: `kind` (``detection``,
    ``categorization``, ``ocr``), wire `name` (``coco_v2``), `run(ctx, request, name) -> dict`
    (see the module docs), `side`: longest side in px it reads (0 = the original),
    `auto_tag`: runs for a bare `auto_tagging`."""

    kind: str
    name: str
    side: int
    auto_tag: bool

    def run(self, ctx: "ImageContext", request: "AnalysisRequest", name: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Entry:
    """One registered analyzer (an `Analyzer`): `kind`, wire `name`, `run`, `side` px it
    needs (0 = original), `auto_tag` (runs for a bare `auto_tagging`)."""

    kind: str
    name: str
    run: AnalyzerRun
    side: int = 1024
    auto_tag: bool = False


_lock = threading.RLock()
_entries: dict[tuple[str, str], Entry] = {}
_loaded = False
_threshold = DEFAULT_THRESHOLD


def default_merge(labels: Sequence[Label], threshold: float, ctx: Any = None, request: Any = None) -> list[str]:
    """Tags of every label with confidence >= `threshold`, highest confidence first, each tag
    once (case-sensitive)."""
    best: dict[str, float] = {}
    for lab in labels:
        if lab.confidence >= threshold and lab.confidence > best.get(lab.tag, -1.0):
            best[lab.tag] = lab.confidence
    return [t for t, _ in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))]


_merger: TagMerger = default_merge


def register(kind: Kind, name: str, run: AnalyzerRun, *, side: int = 1024, auto_tag: bool = False) -> None:
    """Make model `name` of `kind` (``detection``, ``categorization``, ``ocr``) available;
    re-registering a name replaces it.  Raises ValueError for an unknown kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown analysis kind {kind!r}")
    with _lock:
        _entries[(kind, name)] = Entry(kind, name, run, side, auto_tag)


def register_analyzer(analyzer: Analyzer) -> None:
    """`register` an `Analyzer` object (its `kind`, `name`, `run`, `side`, `auto_tag`).
    Raises ValueError for an unknown kind."""
    register(analyzer.kind, analyzer.name, analyzer.run,  # type: ignore[arg-type]
             side=int(analyzer.side), auto_tag=bool(analyzer.auto_tag))


def load_configured(specs: str, settings: Any = None) -> list[Entry]:
    """Register the analyzers of the `analyzers` setting: comma-separated
    `package.module:callable`, each called as `callable(settings)` and returning an `Analyzer`
    or an iterable of them.  Returns the entries registered, in order.  Raises
    `edge.seams.SeamError` (a ValueError) naming the spec for an import failure, a missing
    member or an unknown kind."""
    added: list[Entry] = []
    for spec in filter(None, (s.strip() for s in specs.split(","))):
        made = build(spec, "analyzers", settings)
        found: Iterable[Any] = [made] if not missing_members(made, Analyzer) else made
        if isinstance(found, (str, bytes)) or not isinstance(found, Iterable):
            raise SeamError(f"analyzers: {spec!r} returned a {type(made).__name__}, not an Analyzer "
                            f"(kind, name, run, side, auto_tag) or an iterable of them")
        for analyzer in list(found):
            missing = missing_members(analyzer, Analyzer)
            if missing:
                raise SeamError(f"analyzers: {spec!r} gave a {type(analyzer).__name__} without "
                                f"{', '.join(missing)} (members of Analyzer)")
            try:
                register_analyzer(analyzer)
            except ValueError as exc:
                raise SeamError(f"analyzers: {spec!r}: {exc}") from exc
            added.append(lookup(analyzer.kind, analyzer.name))  # type: ignore[arg-type]
    return added


def unregister(kind: Kind, name: str) -> None:
    """Remove a registration (tests)."""
    with _lock:
        _entries.pop((kind, name), None)


def load_plugins() -> None:
    """Import the `PLUGINS` modules once (they call `register`).  A plug-in module that does
    not exist is skipped; any other import error propagates."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        for mod in PLUGINS:
            try:
                importlib.import_module(mod)
            except ModuleNotFoundError as exc:
                if exc.name != mod:
                    raise
        _loaded = True


def lookup(kind: str, name: str) -> Entry | None:
    """The analyzer registered for (`kind`, `name`), or None."""
    load_plugins()
    return _entries.get((kind, name))


def supported(kind: str, name: str) -> bool:
    """True when Edge can run model `name` of `kind`."""
    return lookup(kind, name) is not None


def entries(kind: str | None = None) -> list[Entry]:
    """Every registered analyzer (of `kind`), in registration order."""
    load_plugins()
    return [e for e in _entries.values() if kind is None or e.kind == kind]


def offered(kind: str | None = None) -> list[str]:
    """Names of the registered analysis models (of `kind`: ``detection``, ``categorization``,
    ``ocr``), sorted."""
    return sorted({e.name for e in entries(kind)})


def unsupported_message(kind: str, name: str, wire: str | None = None) -> str:
    """Client-facing 400 message for a model Edge does not have, listing what it offers
    (`wire`: the parameter's name in the message, default `kind`)."""
    return f"Edge does not support {wire or kind} model '{name}'; available: {', '.join(offered(kind)) or 'none'}"


def auto_tag_entries() -> list[Entry]:
    """Analyzers run for ``auto_tagging`` when no model is named."""
    return [e for e in entries() if e.auto_tag]


def default_threshold() -> float:
    """The confidence ``auto_tagging=default`` stands for."""
    load_plugins()
    return _threshold


def set_default_threshold(value: float) -> None:
    """Set the ``auto_tagging=default`` confidence (0..1; ValueError otherwise)."""
    global _threshold
    if not 0.0 <= value <= 1.0:
        raise ValueError("threshold must be within 0..1")
    _threshold = float(value)


def set_tag_merger(fn: TagMerger) -> None:
    """Replace the function that turns collected `Label`s into automatic tags:
    ``fn(labels, threshold, ctx, request) -> list[str]`` (e.g. hypernyms, face -> person)."""
    global _merger
    _merger = fn


def tag_merger() -> TagMerger:
    """The current tag merger (see `set_tag_merger`)."""
    load_plugins()
    return _merger
