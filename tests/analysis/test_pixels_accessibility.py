"""accessibility_analysis: Machado 2009 simulation on flat red/green vs red/blue images, a grey
photo, real photos."""

from __future__ import annotations

import numpy as np
import pyvips
import pytest

from edge.analysis.accessibility import MACHADO_2009, simulate


def _halves(left, right):
    a = np.zeros((60, 120, 3), np.uint8)
    a[:, :60] = left
    a[:, 60:] = right
    return pyvips.Image.new_from_array(a).copy(interpretation="srgb").pngsave_buffer()


def _acc(analyze_with, data):
    return analyze_with(data, accessibility_analysis=True)["accessibility_analysis"]


def test_red_green_collapses_red_blue_does_not(analyze_with):
    rg = _acc(analyze_with, _halves((200, 40, 40), (40, 160, 40)))
    rb = _acc(analyze_with, _halves((200, 40, 40), (40, 40, 200)))
    assert rg["colorblind_accessibility_score"] < 0.3
    assert rb["colorblind_accessibility_score"] > 0.8
    assert sorted(rg["colorblind_accessibility_analysis"]["most_indistinct_pair"]) == ["#28A028", "#C82828"]
    assert rg["colorblind_accessibility_analysis"]["distinct_colors"] == 0.0


def test_grey_photo_is_fully_accessible(image_bytes, analyze_with):
    acc = _acc(analyze_with, image_bytes("gray_cameraman.png"))
    assert acc == {"colorblind_accessibility_analysis": {"distinct_edges": 1.0, "distinct_colors": 1.0,
                                                          "most_indistinct_pair": []},
                   "colorblind_accessibility_score": 1.0}


@pytest.mark.parametrize("name", ["landscape_aitzgorri.jpg", "alpha_bird_rgba.png", "kodim03_hats.png"])
def test_real_photos_scores_in_range(image_bytes, analyze_with, name):
    acc = _acc(analyze_with, image_bytes(name))
    cba = acc["colorblind_accessibility_analysis"]
    for v in (cba["distinct_edges"], cba["distinct_colors"], acc["colorblind_accessibility_score"]):
        assert 0.0 <= v <= 1.0
    assert len(cba["most_indistinct_pair"]) in (0, 2)
    assert acc["colorblind_accessibility_score"] == pytest.approx(
        (cba["distinct_edges"] + cba["distinct_colors"]) / 2, abs=0.011)


def test_machado_matrices_keep_white_and_grey():
    # each row of the severity-1.0 matrices sums to 1, so achromatic colours are unchanged
    for m in MACHADO_2009.values():
        assert np.allclose(m.sum(axis=1), 1.0, atol=1e-3)
    grey = np.array([[0, 0, 0], [128, 128, 128], [255, 255, 255]], np.uint8)
    for name in MACHADO_2009:
        lab = simulate(grey, name)
        assert np.allclose(lab[:, 1:], 0, atol=0.5)
