"""The window placement that keeps the most named area (edge/render/placement.py, issue 15)."""

from __future__ import annotations

import numpy as np
import pytest

from edge.render.placement import POWER, best_window, window_value


def _brute(width, height, cw, ch, boxes, weights, step=1.0):
    """Best value over every position on a `step` px grid (the reference for the exact search)."""
    xs = np.arange(0, max(0, width - cw) + 1e-9, step)[:, None, None]
    ys = np.arange(0, max(0, height - ch) + 1e-9, step)[None, :, None]
    b, w = np.asarray(boxes, float), np.asarray(weights, float)
    ox = np.clip(np.minimum(xs + cw, b[:, 0] + b[:, 2]) - np.maximum(xs, b[:, 0]), 0, None) / b[:, 2]
    oy = np.clip(np.minimum(ys + ch, b[:, 1] + b[:, 3]) - np.maximum(ys, b[:, 1]), 0, None) / b[:, 3]
    return float(((ox * oy) ** POWER * w * b[:, 2] * b[:, 3]).sum(-1).max())


def test_two_people_at_the_ends_keep_the_larger_one_whole():
    # a 1300 x 400 panorama, a 400 x 400 window: centring on the union (x=400) cuts both people
    small, large = (40, 50, 200, 300), (900, 40, 260, 340)
    x, y = best_window(1300, 400, 400, 400, [small, large], [0.9, 0.9])
    assert y == 0
    assert x <= large[0] and x + 400 >= large[0] + large[2]  # the larger person is whole
    # and centred where the window has room to spare (as plain focus centring would)
    assert x == pytest.approx(large[0] + large[2] / 2 - 200)


def test_weights_decide_between_equal_boxes():
    a, b = (0, 0, 100, 100), (500, 0, 100, 100)
    assert best_window(600, 100, 200, 100, [a, b], [0.2, 0.9])[0] >= 400
    assert best_window(600, 100, 200, 100, [a, b], [0.9, 0.2])[0] <= 100


def test_cluster_beats_a_lone_box():
    # three boxes near the left fit one window together; a slightly larger lone box on the right
    cluster = [(20, 10, 90, 90), (130, 10, 90, 90), (240, 10, 90, 90)]
    lone = (800, 0, 120, 120)
    x, _ = best_window(1000, 120, 350, 120, cluster + [lone], [1.0] * 4)
    assert x <= 20 and x + 350 >= 330


def test_equals_the_brute_force_optimum():
    rng = np.random.default_rng(15)
    for _ in range(40):
        width, height = rng.integers(200, 400, size=2)
        cw, ch = int(rng.integers(50, width)), int(rng.integers(50, height))
        n = int(rng.integers(1, 5))
        boxes = [(float(rng.integers(0, width - 20)), float(rng.integers(0, height - 20)),
                  float(rng.integers(10, 120)), float(rng.integers(10, 120))) for _ in range(n)]
        weights = list(rng.uniform(0.1, 1.0, n))
        x, y = best_window(width, height, cw, ch, boxes, weights)
        assert 0 <= x <= width - cw and 0 <= y <= height - ch
        got = window_value(x, y, cw, ch, boxes, weights)
        assert got >= _brute(width, height, cw, ch, boxes, weights, step=2.0) - 1e-6


def test_window_as_large_as_the_image_and_degenerate_input():
    assert best_window(300, 200, 300, 200, [(10, 10, 50, 50)], [1.0]) == (0.0, 0.0)
    assert best_window(300, 200, 100, 200, [], []) == (100.0, 0.0)  # nothing named: centred
    assert best_window(300, 200, 100, 200, [(0, 0, 10, 10)], [0.0]) == (100.0, 0.0)
    with pytest.raises(ValueError):
        best_window(300, 200, 100, 200, [(0, 0, 10, 10)], [1.0, 2.0])
    with pytest.raises(ValueError):
        best_window(300, 200, 100, 200, [(0, 0, 10, 10)], [-1.0])


def test_box_larger_than_the_window_keeps_its_most_weighted_part():
    # one huge box and a small one inside it: the window covers the small one too
    x, _ = best_window(1000, 100, 200, 100, [(0, 0, 1000, 100), (700, 20, 50, 50)], [1.0, 1.0])
    assert x <= 700 and x + 200 >= 750
