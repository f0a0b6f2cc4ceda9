"""Fixtures for the component interpreter and layer tests (tests/render/program); helpers live in
`_program_support.py`."""

from __future__ import annotations

from typing import Any

import pyvips
import pytest

from _program_support import MiniPipeline, load, local_composite, local_place, local_render_text


@pytest.fixture
def ops() -> dict[str, Any]:
    """text_renderer/compositor/placer keyword arguments for apply_layer: the effects
    engineer's `edge.render.ops.blend`/`text` when present, else the local pyvips versions."""
    try:
        from edge.render.ops.blend import composite, place
    except ImportError:
        composite, place = local_composite, local_place
    try:
        from edge.render.ops.text import render_text
    except ImportError:
        render_text = local_render_text
    return {"text_renderer": render_text, "compositor": composite, "placer": place}


@pytest.fixture
def mini(ops) -> MiniPipeline:
    """A mini pipeline whose layer sources are real photos."""
    return MiniPipeline(ops, {"hopper": "tiny_hopper_128.jpg", "coffee": "coffee.png", "cat": "cat_chelsea.png"})


@pytest.fixture(scope="session")
def cat() -> pyvips.Image:
    """Landscape photo, 451 x 300."""
    return load("cat_chelsea.png")


@pytest.fixture(scope="session")
def portrait() -> pyvips.Image:
    """Portrait photo, 290 x 442."""
    return load("png16_rgb_sample.png")
