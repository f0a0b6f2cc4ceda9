"""bench/soak.py's pieces that decide its verdict (issue 16): the RSS slope and the request mix
(the 10-minute run itself is not part of the test suite; its figures are in the README)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from soak import MIX, PHOTOS, _path, prime_paths, slope_fit, slope_mb_per_min  # noqa: E402

from edge.url import parse  # noqa: E402


def test_the_slope_is_megabytes_per_minute_and_needs_three_samples() -> None:
    assert slope_mb_per_min([(0, 100.0), (60, 110.0), (120, 120.0)]) == pytest.approx(10.0)
    assert slope_mb_per_min([(0, 300.0), (5, 300.0), (10, 300.0)]) == 0.0
    assert slope_mb_per_min([(0, 300.0), (30, 290.0), (60, 280.0)]) == pytest.approx(-20.0)
    assert slope_mb_per_min([(0, 1.0), (5, 2.0)]) is None
    assert slope_mb_per_min([(5, 1.0), (5, 2.0), (5, 3.0)]) is None  # no time spread
    assert slope_fit([(0, 100.0), (60, 110.0), (120, 120.0)]) == (pytest.approx(10.0), 0.0)  # a line: no error
    noisy = slope_fit([(t, 300.0 + (40 if (t // 5) % 2 else -40)) for t in range(0, 60, 5)])
    assert noisy is not None and abs(noisy[0]) < 2 * noisy[1]  # swings, no trend: the error covers the slope


def test_cold_vision_and_layer_requests_never_repeat_and_hits_do() -> None:
    for kind in ("cold", "vision", "layers"):
        paths = [_path(kind, i) for i in range(2000)]
        assert len(set(paths)) == len(paths), kind
    assert len({_path("hit", i) for i in range(2000)}) == 24
    assert MIX.count("cold") == MIX.count("hit") == 7 and MIX.count("vision") == MIX.count("layers") == 3


def test_every_soak_url_is_a_valid_delivery_url_of_a_photo_in_its_origin() -> None:
    soak = {_path(kind, i) for kind in ("cold", "hit", "vision", "layers") for i in range(2000)}
    assert not soak & set(prime_paths())  # priming never answers a soak request from a cache
    for kind in ("cold", "hit", "vision", "layers"):
        for i in range(40):
            req = parse(_path(kind, i), cloud_name="demo")
            assert req.public_id.split("/", 1)[1] in PHOTOS
            assert req.components, kind
