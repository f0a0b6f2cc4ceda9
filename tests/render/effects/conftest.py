"""Fixtures for effect, text and blend tests: small copies of the real photos in tests/images."""

from __future__ import annotations

import pyvips
import pytest

from fx_support import load


@pytest.fixture(scope="session")
def coffee() -> pyvips.Image:
    return load("coffee.png")


@pytest.fixture(scope="session")
def hats() -> pyvips.Image:
    return load("kodim03_hats.png")


@pytest.fixture(scope="session")
def grey_photo() -> pyvips.Image:
    """The grayscale cameraman photo as 3-band sRGB (R == G == B)."""
    return load("gray_cameraman.png", 256)


@pytest.fixture(scope="session")
def concert() -> pyvips.Image:
    """A dark, low-key grayscale concert photo as 3-band sRGB."""
    return load("gray_concert.jpg")


@pytest.fixture(scope="session")
def bird() -> pyvips.Image:
    """A photo with a real alpha band (RGBA)."""
    return load("alpha_bird_rgba.png")


@pytest.fixture(scope="session")
def cap() -> pyvips.Image:
    """A product cut-out (RGBA, transparent background)."""
    return load("product_cap_transparent.png", 256)


@pytest.fixture(scope="session")
def sneakers() -> pyvips.Image:
    """A product on a white background (RGB)."""
    return load("product_sneakers_white_bg.jpg")
