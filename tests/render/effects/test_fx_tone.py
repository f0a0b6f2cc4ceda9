"""Tone effects (edge/render/effects/tone.py, chroma.py) on real photos."""

from __future__ import annotations

import numpy as np
import pytest

from fx_support import arr, color, run
from edge.url.errors import UrlError


def test_blackwhite_is_binary_and_threshold_moves_it(coffee):
    low = arr(run("blackwhite", coffee, "20"))
    high = arr(run("blackwhite", coffee, "80"))
    assert set(np.unique(low)) <= {0.0, 255.0}
    assert np.array_equal(low[..., 0], low[..., 2])
    assert (low == 255).mean() > (high == 255).mean()


def test_sepia_grey_becomes_warm(grey_photo):
    out = arr(run("sepia", grey_photo))
    mid = (arr(grey_photo)[..., 0] > 60) & (arr(grey_photo)[..., 0] < 200)
    r, g, b = out[mid, 0], out[mid, 1], out[mid, 2]
    assert (r > g).mean() > 0.99 and (g > b).mean() > 0.99


def test_sepia_level_scales_strength(grey_photo):
    weak = arr(run("sepia", grey_photo, "1"))
    strong = arr(run("sepia", grey_photo, "100"))
    base = arr(grey_photo)
    assert np.abs(weak - base).mean() < np.abs(strong - base).mean() / 10


def test_negate_inverts_and_twice_is_identity(hats, bird):
    once = run("negate", hats)
    assert np.array_equal(arr(once), 255 - arr(hats))
    assert np.array_equal(arr(run("negate", once)), arr(hats))
    nb = arr(run("negate", bird))
    assert np.array_equal(nb[..., 3], arr(bird)[..., 3])  # alpha kept


def test_brightness_and_brightness_hsb(coffee):
    base = arr(coffee).mean()
    assert arr(run("brightness", coffee, "40")).mean() > base + 30
    assert arr(run("brightness", coffee, "-50")).mean() < base - 30
    hsb = arr(run("brightness_hsb", coffee, "-50"))
    assert hsb.mean() == pytest.approx(base * 0.5, rel=0.03)
    # scaling V keeps hue: R/G ratios of bright-enough pixels unchanged
    src = arr(coffee)
    sel = src[..., 1] > 60
    assert np.median(hsb[sel, 0] / np.maximum(hsb[sel, 1], 1)) == pytest.approx(
        np.median(src[sel, 0] / src[sel, 1]), rel=0.05
    )


def test_contrast_sigmoidal_and_linear(coffee):
    std = arr(coffee).std()
    assert arr(run("contrast", coffee, "60")).std() > std * 1.1
    assert arr(run("contrast", coffee, "-60")).std() < std * 0.9
    assert arr(run("contrast", coffee, "0")).std() == pytest.approx(std, rel=0.01)
    linear_up = run("contrast", coffee, "level_150;type_linear", options=[("level", "150"), ("type", "linear")])
    linear_down = run("contrast", coffee, "level_50;type_linear", options=[("level", "50"), ("type", "linear")])
    assert arr(linear_up).std() > std * 1.2
    assert arr(linear_down).std() == pytest.approx(std * 0.5, rel=0.05)


def test_gamma_brightens_midtones(grey_photo):
    base = arr(grey_photo)
    assert np.array_equal(arr(run("gamma", grey_photo, "0")), base)
    up = arr(run("gamma", grey_photo, "100"))
    mid = (base > 40) & (base < 215)
    assert (up[mid] >= base[mid]).all() and up[mid].mean() > base[mid].mean() + 10
    assert arr(run("gamma", grey_photo, "-50")).mean() < base.mean()


@pytest.mark.parametrize("name,band", [("red", 0), ("green", 1), ("blue", 2)])
def test_channel_effects_touch_one_band(coffee, name, band):
    out = arr(run(name, coffee, "50"))
    src = arr(coffee)
    for b in range(3):
        if b == band:
            assert out[..., b].mean() > src[..., b].mean() * 1.3
        else:
            assert np.array_equal(out[..., b], src[..., b])


def test_colorize_blends_toward_component_colour(coffee):
    full = arr(run("colorize", coffee, "100", params=[("co", color(255, 0, 0))]))
    assert np.all(full == [255, 0, 0])
    half = arr(run("colorize", coffee, "50", params=[("co", color(0, 0, 255))]))
    expected = arr(coffee) * 0.5 + np.array([0, 0, 127.5])
    assert np.abs(half - expected).max() <= 1


def test_recolor_identity_and_swap(hats):
    ident = run("recolor", hats, *"1 0 0 0 1 0 0 0 1".split())
    assert np.array_equal(arr(ident), arr(hats))
    swap = arr(run("recolor", hats, *"0 0 1 0 1 0 1 0 0".split()))
    assert np.array_equal(swap[..., 0], arr(hats)[..., 2])
    assert np.array_equal(swap[..., 2], arr(hats)[..., 0])
    with pytest.raises(UrlError):
        run("recolor", hats, *"1 0 0 0 1 0 0 0".split())


def test_recolor_4x4_writes_alpha(bird):
    m = "1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 0.5".split()
    out = arr(run("recolor", bird, *m))
    assert np.abs(out[..., 3] - arr(bird)[..., 3] * 0.5).max() <= 1


def test_saturation_minus_100_is_grey(hats):
    out = arr(run("saturation", hats, "-100"))
    assert np.abs(out[..., 0] - out[..., 1]).max() <= 3 and np.abs(out[..., 1] - out[..., 2]).max() <= 3
    more = arr(run("saturation", hats, "80"))
    spread = lambda a: (a.max(axis=2) - a.min(axis=2)).mean()  # noqa: E731
    assert spread(more) > spread(arr(hats)) * 1.3


def test_hue_rotation_turns_red_cyan(hats):
    src = arr(hats)
    red = (src[..., 0] > 170) & (src[..., 1] < 90) & (src[..., 2] < 90)
    assert red.sum() > 200  # the red hat
    out = arr(run("hue", hats, "100"))
    assert (out[red, 0] < out[red, 2]).mean() > 0.9 and (out[red, 0] < out[red, 1]).mean() > 0.9
    same = arr(run("hue", hats, "0"))
    assert np.abs(same - src).mean() < 1.0


def test_vibrance_boosts_muted_colours_more(hats):
    src = arr(hats)
    out = arr(run("vibrance", hats, "100"))
    spread_src = src.max(axis=2) - src.min(axis=2)
    spread_out = out.max(axis=2) - out.min(axis=2)
    muted = (spread_src > 10) & (spread_src < 40)
    vivid = spread_src > 150
    gain_muted = (spread_out[muted] / spread_src[muted]).mean()
    gain_vivid = (spread_out[vivid] / spread_src[vivid]).mean()
    assert gain_muted > 1.2 and gain_muted > gain_vivid + 0.2


def test_grayscale_is_neutral_keeps_alpha_and_tone_order(hats, bird):
    out = arr(run("grayscale", hats))
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
    luma = arr(hats) @ np.array([0.299, 0.587, 0.114])
    assert np.corrcoef(luma.ravel(), out[..., 0].ravel())[0, 1] > 0.95
    grey_bird = arr(run("grayscale", bird))
    assert grey_bird.shape[2] == 4 and np.array_equal(grey_bird[..., 3], arr(bird)[..., 3])
