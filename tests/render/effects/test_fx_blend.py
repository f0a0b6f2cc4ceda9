"""Layer placement and blend modes (edge/render/ops/blend.py) with real photos as layers."""

from __future__ import annotations

import numpy as np
import pytest

from edge.render.errors import RenderError
from edge.render.ops.blend import composite, place
from fx_support import arr, load

BASE = (400, 300)
LAYER = (100, 50)


@pytest.mark.parametrize(
    "compass,expected",
    [
        ("north_west", (10, 20)),
        ("north", (160, 20)),
        ("north_east", (290, 20)),
        ("west", (10, 145)),
        ("center", (160, 145)),
        (None, (160, 145)),
        ("east", (290, 145)),
        ("south_west", (10, 230)),
        ("south", (160, 230)),
        ("south_east", (290, 230)),
    ],
)
def test_place_follows_compass_rules(compass, expected):
    # positive x moves away from an east edge (left), positive y away from a south edge (up)
    assert place(BASE, LAYER, compass, 10, 20) == expected


def test_place_negative_offsets_and_unknown_gravity():
    assert place(BASE, LAYER, "south_east", -10, -5) == (310, 255)
    assert place(BASE, LAYER, "north_west", -30, 0) == (-30, 0)
    with pytest.raises(RenderError):
        place(BASE, LAYER, "up", 0, 0)


@pytest.fixture(scope="module")
def logo():
    return load("alpha_logo_rgba.png", 120)


@pytest.fixture(scope="module")
def small_bird():
    return load("alpha_bird_rgba.png", 120)


def test_over_places_an_opaque_layer_exactly(coffee, hats):
    layer = hats.crop(0, 0, 60, 40)
    out = arr(composite(coffee, layer, 30, 50))
    src = arr(coffee)
    assert out.shape == src.shape  # base size and bands kept
    assert np.array_equal(out[50:90, 30:90], arr(layer))
    outside = np.ones(src.shape[:2], bool)
    outside[50:90, 30:90] = False
    assert np.array_equal(out[outside], src[outside])


def test_over_respects_layer_alpha(coffee, small_bird):
    out = arr(composite(coffee, small_bird, 0, 0))
    a = arr(small_bird)
    region = out[: small_bird.height, : small_bird.width]
    clear = a[..., 3] == 0
    solid = a[..., 3] == 255
    assert np.array_equal(region[clear], arr(coffee)[: small_bird.height, : small_bird.width][clear])
    assert np.array_equal(region[solid], a[solid][:, :3])


def test_layer_partly_outside_is_clipped(coffee, hats):
    layer = hats.crop(0, 0, 60, 40)
    out = arr(composite(coffee, layer, -20, coffee.height - 10))
    assert out.shape == arr(coffee).shape
    assert np.array_equal(out[-10:, :40], arr(layer)[:10, 20:])


def test_multiply_darkens_and_screen_lightens(coffee, hats):
    layer = hats.crop(50, 50, 100, 80)
    base = arr(coffee)[20:100, 20:120]
    top = arr(layer)
    mult = arr(composite(coffee, layer, 20, 20, "multiply"))[20:100, 20:120]
    scr = arr(composite(coffee, layer, 20, 20, "screen"))[20:100, 20:120]
    assert np.abs(mult - base * top / 255).max() <= 1.5
    assert np.abs(scr - (255 - (255 - base) * (255 - top) / 255)).max() <= 1.5
    assert (mult <= np.minimum(base, top) + 1).all() and (scr >= np.maximum(base, top) - 1).all()


def test_overlay_follows_the_base(coffee, hats):
    layer = hats.crop(50, 50, 100, 80)
    base = arr(coffee)[20:100, 20:120]
    top = arr(layer)
    out = arr(composite(coffee, layer, 20, 20, "overlay"))[20:100, 20:120]
    expect = np.where(base <= 127.5, 2 * base * top / 255, 255 - 2 * (255 - base) * (255 - top) / 255)
    assert np.abs(out - expect).mean() < 2


def test_mask_keeps_base_only_under_opaque_layer(coffee, small_bird):
    out = arr(composite(coffee, small_bird, 40, 30, "mask"))
    a = arr(small_bird)[..., 3]
    assert out.shape[2] == 4
    assert (out[:30, :, 3] == 0).all() and (out[:, :40, 3] == 0).all()  # outside the layer
    region = out[30 : 30 + small_bird.height, 40 : 40 + small_bird.width]
    assert np.abs(region[..., 3] - a).max() <= 1
    assert np.array_equal(region[..., :3], arr(coffee)[30 : 30 + small_bird.height, 40 : 40 + small_bird.width])


def test_cut_out_removes_base_under_opaque_layer(coffee, small_bird):
    out = arr(composite(coffee, small_bird, 40, 30, "cut_out"))
    a = arr(small_bird)[..., 3]
    assert out.shape[2] == 4
    assert (out[:30, :, 3] == 255).all()  # outside the layer: unchanged, opaque
    region = out[30 : 30 + small_bird.height, 40 : 40 + small_bird.width, 3]
    assert np.abs(region - (255 - a)).max() <= 1


def test_tiled_covers_the_whole_base(coffee, hats):
    tile = hats.crop(0, 0, 50, 40)
    out = arr(composite(coffee, tile, 10, 5, "over", tiled=True))
    t = arr(tile)
    assert np.array_equal(out[5:45, 10:60], t)
    assert np.array_equal(out[45:85, 60:110], t)
    assert np.array_equal(out[0:5, 0:10], t[35:40, 40:50])  # wrapped tile in the corner


def test_rgba_base_keeps_alpha_and_unknown_mode(logo, hats):
    base = load("alpha_bird_rgba.png")
    out = composite(base, hats.crop(0, 0, 20, 20), 0, 0)
    assert out.bands == 4
    assert arr(out)[:20, :20, 3].min() == 255  # an opaque layer makes its area opaque
    with pytest.raises(RenderError):
        composite(base, logo, 0, 0, "dissolve")
