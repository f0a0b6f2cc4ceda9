"""Fixtures for the analysis tests: the real photos of tests/images as bytes, flat test images
made with libvips, and the analysis entry point."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyvips
import pytest

IMAGES = Path(__file__).resolve().parents[1] / "images"


@pytest.fixture(scope="session")
def image_bytes():
    """`image_bytes(name)` -> the bytes of tests/images/<name>."""
    cache: dict[str, bytes] = {}

    def load(name: str) -> bytes:
        if name not in cache:
            cache[name] = (IMAGES / name).read_bytes()
        return cache[name]

    return load


@pytest.fixture(scope="session")
def flat_image():
    """`flat_image(rgb or rgba, width=64, height=48, fmt=".png")` -> encoded bytes of one flat
    colour made with libvips (PNG keeps the colour exact)."""

    def make(colour, width: int = 64, height: int = 48, fmt: str = ".png") -> bytes:
        a = np.empty((height, width, len(colour)), np.uint8)
        a[:, :] = colour
        im = pyvips.Image.new_from_array(a).copy(interpretation="srgb")
        return im.write_to_buffer(fmt)

    return make


@pytest.fixture(scope="session")
def analyze_with():
    """`analyze_with(data, **flags)` -> `edge.analysis.analyze` with an AnalysisRequest built
    from the upload wire form of `flags` (True -> "1")."""
    from edge.analysis import AnalysisRequest, analyze

    def run(data: bytes, **flags):
        params = {k: ("1" if v is True else "0" if v is False else v) for k, v in flags.items()}
        return analyze(data, AnalysisRequest.from_params(params))

    return run
