"""Fixtures for the vision tests: the real photos of tests/images, a fresh provider, a byte store,
a spy on the real ONNX sessions."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pyvips
import pytest

IMAGES = Path(__file__).resolve().parents[1] / "images"


@pytest.fixture(scope="session")
def photo():
    """`photo(name)` -> the pyvips.Image of tests/images/<name> (sRGB, loaded into memory)."""
    cache: dict[str, pyvips.Image] = {}

    def load(name: str) -> pyvips.Image:
        if name not in cache:
            im = pyvips.Image.new_from_file(str(IMAGES / name))
            if im.interpretation != "srgb":
                im = im.colourspace("srgb")
            cache[name] = im.copy_memory()
        return cache[name]

    return load


@pytest.fixture
def focus():
    """An uncached VisionFocus (no public_id)."""
    from edge.vision import VisionFocus

    return VisionFocus()


class DictStore:
    """A byte store (get/put) in a dict, counting calls."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.gets = 0
        self.puts = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            self.gets += 1
            return self.data.get(key)

    def put(self, key: str, data: bytes) -> None:
        assert isinstance(data, bytes)
        with self._lock:
            self.puts += 1
            self.data[key] = data


@pytest.fixture
def store() -> DictStore:
    return DictStore()


class OnnxRuns(Counter):
    """`InferenceSession.run` calls per model name; `delay` (s) is slept inside every run, to
    widen the window in which concurrent callers overlap."""

    delay = 0.0


@pytest.fixture
def onnx_runs(monkeypatch) -> OnnxRuns:
    """Counts `InferenceSession.run` calls per model (the real sessions of
    `edge.vision.REGISTRY`, spied)."""
    from edge.vision import REGISTRY

    counts = OnnxRuns()
    lock = threading.Lock()
    for name in ("coco", "faces", "text", "saliency"):
        session = REGISTRY.session(name)
        real = session.run

        def run(*args, _real=real, _name=name, **kwargs):
            with lock:
                counts[_name] += 1
            time.sleep(counts.delay)
            return _real(*args, **kwargs)

        monkeypatch.setattr(session, "run", run)
    return counts
