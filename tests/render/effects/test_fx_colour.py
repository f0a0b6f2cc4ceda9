"""Colour effects: tint, replace_color, simulate/assist_colorblind and the art filters."""

from __future__ import annotations

import numpy as np
import pytest

from edge.render.effects.art import FILTERS
from edge.render.effects.colorblind import simulate
from edge.render.effects.tint import parse_tint
from edge.url.ast import Effect
from edge.url.errors import UrlError
from fx_support import arr, run


def _red_hat(image) -> np.ndarray:
    a = arr(image)
    return (a[..., 0] > 170) & (a[..., 1] < 90) & (a[..., 2] < 90)


def _green_hat(image) -> np.ndarray:
    a = arr(image)
    return (a[..., 1] > 110) & (a[..., 0] < 90) & (a[..., 2] < 90)


def test_tint_default_is_red_and_keeps_shading(grey_photo):
    out = arr(run("tint", grey_photo))
    src = arr(grey_photo)[..., 0]
    mid = (src > 60) & (src < 200)
    assert (out[mid, 0] > out[mid, 1] + 10).mean() > 0.95
    # luminance order is kept: brighter source pixels stay brighter on average
    assert np.corrcoef(src.ravel(), out[..., 0].ravel())[0, 1] > 0.9


def test_tint_gradient_positions_and_equalize(grey_photo):
    out = arr(run("tint", grey_photo, "100", "blue", "yellow"))
    src = arr(grey_photo)[..., 0]
    dark, light = src < 40, src > 215
    assert out[dark, 2].mean() > out[dark, 0].mean() + 100  # shadows blue
    assert out[light, 0].mean() > out[light, 2].mean() + 100  # highlights yellow
    eq = arr(run("tint", grey_photo, "equalize", "100", "blue", "yellow"))
    assert not np.array_equal(eq, out)


def test_parse_tint_arguments():
    eff = Effect("tint", ("equalize", "80", "red", "blue", "20p", "yellow"), "")
    equalize, amount, stops = parse_tint(eff)
    assert equalize and amount == 80
    assert stops == [((255, 0, 0), None), ((0, 0, 255), 20.0), ((255, 255, 0), None)]
    for bad in [("120",), ("50", "notacolour"), ("50", "20p"), ("50", "red", "150p"), ("50",) + ("red",) * 11]:
        with pytest.raises(UrlError):
            parse_tint(Effect("tint", bad, ""))


def test_replace_color_red_hat_to_blue(hats):
    red = _red_hat(hats)
    assert red.sum() > 200
    out = arr(run("replace_color", hats, "blue", "40", "rgb:c8371d"))  # the hat's mean red
    src = arr(hats)
    assert (out[red, 2] > out[red, 0]).mean() > 0.9
    sky = (src[..., 2] > src[..., 0] + 20) & (src[..., 1] < 200)  # bluish sky, far from red
    assert np.abs(out[sky] - src[sky]).max() <= 2


def test_replace_color_default_source_is_prominent_colour(coffee):
    out = arr(run("replace_color", coffee, "green"))
    src = arr(coffee)
    changed = np.abs(out - src).sum(axis=2) > 30
    assert changed.mean() > 0.1
    assert (out[changed, 1] > src[changed, 1]).mean() > 0.9


def test_replace_color_requires_target(hats):
    with pytest.raises(UrlError):
        run("replace_color", hats)
    with pytest.raises(UrlError):
        run("replace_color", hats, "blue", "101")


def test_simulate_deuteranopia_confuses_red_and_green(hats):
    red, green = _red_hat(hats), _green_hat(hats)
    assert red.sum() > 100 and green.sum() > 100
    src = arr(hats)
    out = arr(run("simulate_colorblind", hats))
    before = np.abs(src[red].mean(axis=0) - src[green].mean(axis=0))
    after = np.abs(out[red].mean(axis=0) - out[green].mean(axis=0))
    # hue difference (red - green channel contrast) collapses
    assert abs((out[red, 0] - out[red, 1]).mean() - (out[green, 0] - out[green, 1]).mean()) < 0.5 * abs(
        (src[red, 0] - src[red, 1]).mean() - (src[green, 0] - src[green, 1]).mean()
    )
    assert after.sum() < before.sum()


@pytest.mark.parametrize("condition", ["protanopia", "tritanopia", "deuteranomaly", "protanomaly", "tritanomaly", "cone_monochromacy"])
def test_simulate_conditions_change_colours(hats, condition):
    out = arr(run("simulate_colorblind", hats, condition))
    assert np.abs(out - arr(hats)).mean() > 2


def test_simulate_rod_monochromacy_is_grey(hats):
    out = arr(run("simulate_colorblind", hats, "rod_monochromacy"))
    assert np.abs(out[..., 0] - out[..., 2]).max() <= 1


def test_assist_colorblind_stripes_only_red_and_green(hats):
    out = arr(run("assist_colorblind", hats, "80"))
    src = arr(hats)
    red = _red_hat(hats)
    changed = np.abs(out - src).sum(axis=2) > 0
    assert 0.2 < changed[red].mean() < 0.8  # stripes: some pixels darkened, some not
    neutral = np.abs(src[..., 0] - src[..., 1]) + np.abs(src[..., 1] - src[..., 2]) < 10
    assert not changed[neutral].any()
    weak = arr(run("assist_colorblind", hats, "1"))
    assert np.abs(weak - src).sum() < np.abs(out - src).sum()


def test_assist_colorblind_xray_shifts_red_green_information(hats):
    out_image = run("assist_colorblind", hats, "xray")
    out, src = arr(out_image), arr(hats)
    red, green = _red_hat(hats), _green_hat(hats)
    assert np.abs(out[red] - src[red]).mean() > 10
    neutral = np.abs(src[..., 0] - src[..., 1]) + np.abs(src[..., 1] - src[..., 2]) < 6
    assert np.abs(out[neutral] - src[neutral]).mean() < 3

    def seen_gap(image) -> float:
        """How different the red and the green hat look to a deuteranope."""
        seen = np.clip(arr(simulate(image, "deuteranopia")), 0, 255)
        return float(np.abs(seen[red].mean(axis=0) - seen[green].mean(axis=0)).sum())

    assert seen_gap(out_image) > seen_gap(hats) * 1.3  # the point of Daltonisation


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_art_filters_grade_the_photo(hats, name):
    out = arr(run("art", hats, name))
    src = arr(hats)
    assert np.abs(out - src).mean() > 3
    if FILTERS[name].saturation == 0 and FILTERS[name].tone == (1.0, 1.0, 1.0):
        assert np.abs(out[..., 0] - out[..., 2]).max() <= 1


def test_art_daguerre_is_brown_monochrome(hats):
    out = arr(run("art", hats, "daguerre"))
    assert (out[..., 0] >= out[..., 2]).mean() > 0.99


@pytest.mark.parametrize("args", [(), ("unknown_filter",)])
def test_art_needs_a_known_filter(hats, args):
    with pytest.raises(UrlError):
        run("art", hats, *args)
