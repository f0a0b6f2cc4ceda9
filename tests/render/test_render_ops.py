"""Per-component operations on real photos: angle, radius, border, background, opacity,
effects (e_grayscale through the registry), step order and unsupported features."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from edge.render import RenderError, render
from edge.url.ast import Component, Effect, Param
from edge.render.effects import lookup
from render_support import photo, pixels, request, resized, run, source_pixels

SRC = "coffee.png"  # 600x400 RGB


@pytest.fixture(scope="module")
def src() -> np.ndarray:
    return source_pixels(SRC)


@pytest.mark.parametrize("t,fn", [
    ("a_90", lambda a: np.rot90(a, k=-1)),
    ("a_180", lambda a: np.rot90(a, k=2)),
    ("a_270", lambda a: np.rot90(a, k=1)),
    ("a_-90", lambda a: np.rot90(a, k=1)),
    ("a_hflip", lambda a: a[:, ::-1]),
    ("a_vflip", lambda a: a[::-1]),
    ("a_hflip.90", lambda a: np.rot90(a[:, ::-1], k=-1)),
])
def test_right_angles_and_flips_are_exact(src, t, fn):
    assert np.array_equal(pixels(run(SRC, t).data), fn(src))


def test_arbitrary_angle_grows_canvas_with_transparent_corners():
    out = run(SRC, "a_45")
    a = pixels(out.data)
    side = int(round((600 + 400) / 2**0.5))
    assert abs(out.width - side) <= 2 and abs(out.height - side) <= 2
    assert a.shape[2] == 4 and a[0, 0, 3] == 0 and a[side // 2, side // 2, 3] == 255
    j = pixels(run(SRC, "a_45", ext="jpg").data)
    assert (j[:5, :5] > 245).all()  # flattened onto white


def test_radius_corners_transparent_centre_untouched(src):
    a = pixels(run(SRC, "r_50").data)
    assert a.shape == (400, 600, 4)
    assert a[0, 0, 3] == 0 and a[5, 5, 3] == 0 and a[399, 599, 3] == 0
    assert (a[50:350, 50:550, 3] == 255).all()
    assert np.array_equal(a[50:350, 50:550, :3], src[50:350, 50:550])


def test_radius_per_corner_and_max():
    a = pixels(run(SRC, "r_0:80").data)  # tl/br square, tr/bl rounded
    assert a[0, 0, 3] == 255 and a[399, 599, 3] == 255
    assert a[0, 599, 3] == 0 and a[399, 0, 3] == 0
    e = pixels(run(SRC, "r_max").data)
    assert e[0, 0, 3] == 0 and e[200, 300, 3] == 255 and e[200, 2, 3] > 0 and e[2, 300, 3] > 0
    j = pixels(run(SRC, "r_max,b_black", ext="jpg").data)
    assert (j[:4, :4] < 10).all()  # JPEG corners take the b_ colour


def test_border_adds_solid_frame(src):
    a = pixels(run(SRC, "bo_5px_solid_rgb:00ff00").data)
    assert a.shape[:2] == (410, 610)
    assert (a[:5, :, :3] == [0, 255, 0]).all() and (a[:, -5:, :3] == [0, 255, 0]).all()
    assert np.array_equal(a[5:405, 5:605], src)


def test_order_inside_a_component_is_fixed(src):
    # whatever the URL order: resize, then radius, then border, then rotate
    a = pixels(run(SRC, "a_90,bo_2px_solid_red,c_crop,w_100,h_50,g_north_west").data)
    b = pixels(run(SRC, "c_crop,g_north_west,w_100,h_50,bo_2px_solid_red,a_90").data)
    assert np.array_equal(a, b)
    assert a.shape[:2] == (104, 54)
    assert np.array_equal(a[2:102, 2:52], np.rot90(src[0:50, 0:100], k=-1))


def test_opacity_scales_alpha(src):
    a = pixels(run(SRC, "o_50").data)
    assert a.shape[2] == 4 and abs(int(a[10, 10, 3]) - 127) <= 1
    assert np.array_equal(a[..., :3], src)


def test_b_auto_picks_border_colour_for_padding():
    a = pixels(run("product_sneakers_white_bg.jpg", "c_pad,w_400,h_100,b_auto", ext="png").data)
    assert a.shape[:2] == (100, 400)
    edge = source_pixels("product_sneakers_white_bg.jpg")[:40].reshape(-1, 3)
    assert np.abs(a[50, 5, :3].astype(int) - np.median(edge, axis=0)).max() <= 20  # the studio backdrop
    assert (a[50, 5, :3] > 200).all()
    assert (a[:, :20] == a[50, 5]).all()
    b = pixels(run("rocket.jpg", "c_pad,w_400,h_100,b_auto", ext="png").data)
    assert b[:, :20].mean() < 80  # night sky: dark border colour


def test_b_auto_predominant_differs_from_contrast():
    p = pixels(run("rocket.jpg", "c_pad,w_400,h_100,b_auto:predominant", ext="png").data)[:, 0]
    c = pixels(run("rocket.jpg", "c_pad,w_400,h_100,b_auto:predominant_contrast", ext="png").data)[:, 0]
    assert np.array_equal(p[..., :3].astype(int) + c[..., :3].astype(int), np.full_like(p[..., :3], 255, dtype=int))


def test_translucent_pad_background_adds_alpha():
    a = pixels(run(SRC, "c_pad,w_600,h_600,b_rgb:ff000080").data)
    assert a.shape[2] == 4 and tuple(a[10, 10]) == (255, 0, 0, 128) and a[300, 300, 3] == 255


def test_e_grayscale_through_the_registry():
    assert lookup("grayscale") is not None
    a = pixels(run(SRC, "w_300,e_grayscale").data)
    assert a.shape == (200, 300, 3)
    assert np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 1], a[..., 2])
    ref = resized(SRC, 300, 200).astype(float) @ np.array([0.2126, 0.7152, 0.0722])
    assert np.abs(a[..., 0] - ref).mean() < 10  # close to Rec.709 luma (libvips uses L*)
    alpha = pixels(run("alpha_bird_rgba.png", "e_grayscale").data)
    assert np.array_equal(alpha[..., 3], source_pixels("alpha_bird_rgba.png")[..., 3])


def test_effects_run_after_pad_and_before_border():
    a = pixels(run(SRC, "c_pad,w_600,h_600,b_red,e_grayscale,bo_3px_solid_blue").data)
    assert tuple(a[0, 0, :3]) == (0, 0, 255)  # border keeps its colour
    assert len(set(a[10, 10, :3])) == 1 and a[10, 10, 0] != 255  # pad red became grey


def test_unknown_effect_is_a_400():
    # the URL parser already refuses unknown names; render must too, for ASTs built otherwise
    req = request("w_100")
    comp = Component(req.components[0].params + (Param("e", Effect("no_such_effect", (), "no_such_effect"), "no_such_effect"),))
    with pytest.raises(RenderError, match="Unsupported effect: no_such_effect") as info:
        render(photo(SRC), dataclasses.replace(req, components=(comp,)))
    assert info.value.status == 400


def test_blend_mode_names_are_not_effects(src):
    assert np.array_equal(pixels(run(SRC, "e_multiply").data), src)


def test_unsupported_keys_are_a_clear_400():
    req = request("w_100")
    comp = Component(req.components[0].params + (Param("fn", "wasm:my_fn", "wasm:my_fn"),))
    with pytest.raises(RenderError, match="not supported yet") as info:
        render(photo(SRC), dataclasses.replace(req, components=(comp,)))
    assert info.value.status == 400
