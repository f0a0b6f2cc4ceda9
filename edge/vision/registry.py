"""The model manifest and one lazily created onnxruntime session per model per process.

`models/manifest.toml` (repository root, or `$EDGE_MODELS_DIR`) lists every model Edge runs:
name (`coco`, `faces`, `text`, `saliency`), version, task, input shape, source package, path,
licence and sha256.  `REGISTRY.session(name)` builds the `onnxruntime.InferenceSession` on first
use (thread-safe: one lock per model, so two threads never load the same file twice) and reuses
it for the life of the process; `InferenceSession.run` itself is thread-safe.

Timing: every `run` of a session handed out is timed; `observe_inference(fn)` registers
`fn(model_name, seconds)` (edge.server.metrics feeds its per-model histogram from it).

Threads: `intra_op_num_threads` = `$EDGE_VISION_THREADS` or the CPU count (2 on the reference
machine), one inter-op thread, sequential execution (the models are small CNNs).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
import time
from typing import Any, Callable

from edge.vision.locks import KeyedLocks

__all__ = ["ModelSpec", "ModelRegistry", "REGISTRY", "models_dir", "manifest", "observe_inference"]

#: Inference observers: fn(model name, wall seconds of one `session.run`).
_OBSERVERS: list[Callable[[str, float], None]] = []


def observe_inference(fn: Callable[[str, float], None]) -> Callable[[], None]:
    """Call `fn(model_name, seconds)` after every model run (in the thread that ran it; `fn`
    must be quick and must not raise).  Returns a function that unregisters `fn`."""
    _OBSERVERS.append(fn)

    def remove() -> None:
        if fn in _OBSERVERS:
            _OBSERVERS.remove(fn)

    return remove


class TimedSession:
    """An `onnxruntime.InferenceSession` whose `run` reports its duration to the observers;
    every other attribute is the session's own."""

    def __init__(self, name: str, session: Any) -> None:
        self.name = name
        self.session = session

    def run(self, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self.session.run(*args, **kwargs)
        finally:
            seconds = time.perf_counter() - t0
            for fn in list(_OBSERVERS):
                fn(self.name, seconds)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.session, attr)


def models_dir() -> Path:
    """Folder holding `manifest.toml` and the `.onnx` files: `$EDGE_MODELS_DIR`, else the
    repository's `models/` (two levels above this package)."""
    env = os.environ.get("EDGE_MODELS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "models"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One manifest entry.  `input` is the tensor shape (-1 = dynamic); `path` is absolute."""

    name: str
    version: str
    task: str
    file_model: str
    labels: str
    input: tuple[int, ...]
    source: str
    source_file: str
    path: Path
    license: str
    sha256: str


@lru_cache(maxsize=4)
def _load_manifest(folder: str) -> dict[str, ModelSpec]:
    data = tomllib.loads((Path(folder) / "manifest.toml").read_text())
    out: dict[str, ModelSpec] = {}
    for e in data["model"]:
        out[e["name"]] = ModelSpec(
            name=e["name"], version=e["version"], task=e["task"], file_model=e["file_model"],
            labels=e["labels"], input=tuple(e["input"]), source=e["source"],
            source_file=e["source_file"], path=Path(folder) / e["path"], license=e["license"],
            sha256=e["sha256"],
        )
    return out


def manifest() -> dict[str, ModelSpec]:
    """Model name -> `ModelSpec`, read once from `models_dir()/manifest.toml`.
    Raises FileNotFoundError when the manifest is missing."""
    return _load_manifest(str(models_dir()))


class ModelRegistry:
    """Lazily created, process-wide onnxruntime sessions, one per model name."""

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads
        self._sessions: dict[str, Any] = {}
        self._loading = KeyedLocks()

    def threads(self) -> int:
        """intra-op threads for every session (`$EDGE_VISION_THREADS` or the CPU count)."""
        if self._threads:
            return self._threads
        env = os.environ.get("EDGE_VISION_THREADS")
        return int(env) if env else max(1, os.cpu_count() or 1)

    def session(self, name: str) -> Any:
        """The `onnxruntime.InferenceSession` of model `name`, wrapped in a `TimedSession`
        (KeyError for an unknown name)."""
        s = self._sessions.get(name)
        if s is not None:
            return s
        with self._loading.hold(name):
            s = self._sessions.get(name)
            if s is None:
                import onnxruntime as ort

                spec = manifest()[name]
                opts = ort.SessionOptions()
                opts.intra_op_num_threads = self.threads()
                opts.inter_op_num_threads = 1
                opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                opts.log_severity_level = 3
                s = TimedSession(name, ort.InferenceSession(str(spec.path), opts, providers=["CPUExecutionProvider"]))
                self._sessions[name] = s
        return s

    def loaded(self) -> frozenset[str]:
        """Names of the models whose session exists already."""
        return frozenset(self._sessions)


REGISTRY = ModelRegistry()
"""The module-level shared registry every detector uses."""
