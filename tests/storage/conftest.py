"""Fixtures of the storage tests: the real SeaweedFS S3 server and the test photos."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from s3server import s3_server  # noqa: E402,F401  (re-exported fixture)

IMAGES = TESTS / "images"


@pytest.fixture()
def images() -> Path:
    """The directory of real test photos."""
    return IMAGES
