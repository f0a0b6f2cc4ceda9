"""spec.py turns typed parameter values into plain numbers and refuses anything else with a
RenderError (400); expressions are resolved by the interpreter before a component runs."""

from __future__ import annotations

import pytest

from edge.render import RenderError, spec
from edge.url.ast import Expr, Length
from render_support import run


@pytest.mark.parametrize("value,expected", [
    (50.0, 50.0), (3, 3.0), ("12.5", 12.5), ((7.0,), 7.0), (Length(40.0, False, "40"), 40.0), (None, None),
])
def test_number_reads_the_spellings_of_a_number(value, expected):
    assert spec.number(value, "w") == expected


@pytest.mark.parametrize("value", ["abc", "nan", "inf", float("inf"), (1.0, 2.0), Expr(("iw",), "iw")])
def test_number_refuses_what_is_not_a_finite_number(value):
    with pytest.raises(RenderError) as err:
        spec.number(value, "w")
    assert err.value.status == 400 and "w" in str(err.value)


def test_length_scales_relative_values_by_the_reference():
    assert spec.length(Length(0.25, True, "0.25"), 400, "w") == 100.0
    assert spec.length(Length(30.0, False, "30"), 400, "w") == 30.0


@pytest.mark.parametrize("value,expected", [
    ("16:9", 16 / 9), (1.5, 1.5), ((4, 3), 4 / 3), (Length(1.0, False, "3:2"), 1.5),
])
def test_ratio_spellings(value, expected):
    assert spec.ratio(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["0:5", "5:0", "-1:2", "a:b", 0.0, -2.0, (1, 0)])
def test_ratio_refuses_non_positive_or_malformed_ratios(value):
    with pytest.raises(RenderError):
        spec.ratio(value)


def test_angles_keep_url_order():
    assert spec.angles(("hflip", 90.0)) == ["hflip", 90.0]
    assert spec.angles("-45") == [-45.0]


def test_auto_rotation_of_an_animation_after_a_flip_judges_one_frame():
    # 24 frames of 14 x 25 px scaled to 20 x 10: already landscape like the requested box,
    # so auto_right must not rotate, whether or not a flip came first
    plain = run("animated_tiny.gif", "c_scale,w_20,h_10,a_auto_right", ext="gif")
    flipped = run("animated_tiny.gif", "c_scale,w_20,h_10,a_vflip.auto_right", ext="gif")
    assert (plain.width, plain.height, plain.frames) == (flipped.width, flipped.height, flipped.frames) == (20, 10, 24)
