"""Table tests of the pure crop-mode arithmetic (edge/render/geometry.py)."""

from __future__ import annotations

import pytest

from edge.render.geometry import (
    Anchor,
    Plan,
    dpr_from_hint,
    place_in_canvas,
    place_window,
    place_window_avoiding,
    plan,
    resize_only,
    target_size,
)

W, H = 600, 400  # a 3:2 input

# (mode, w, h, ar, extra kwargs) -> (resize, crop, canvas, offset)
CASES = [
    # scale
    ("scale", 300, 100, None, {}, (300, 100), (0, 0, 300, 100), (300, 100), (0, 0)),
    ("scale", 300, None, None, {}, (300, 200), (0, 0, 300, 200), (300, 200), (0, 0)),
    ("scale", None, 100, None, {}, (150, 100), (0, 0, 150, 100), (150, 100), (0, 0)),
    ("scale", 300, None, None, {"ignore_aspect": True}, (300, 400), (0, 0, 300, 400), (300, 400), (0, 0)),
    ("scale", 1200, None, None, {}, (1200, 800), (0, 0, 1200, 800), (1200, 800), (0, 0)),
    ("scale", 300, None, 1.0, {}, (300, 300), (0, 0, 300, 300), (300, 300), (0, 0)),
    ("scale", None, None, 2.0, {}, (600, 300), (0, 0, 600, 300), (600, 300), (0, 0)),
    # fit / limit / mfit
    ("fit", 300, 300, None, {}, (300, 200), (0, 0, 300, 200), (300, 200), (0, 0)),
    ("fit", 1200, 1200, None, {}, (1200, 800), (0, 0, 1200, 800), (1200, 800), (0, 0)),
    ("limit", 300, 300, None, {}, (300, 200), (0, 0, 300, 200), (300, 200), (0, 0)),
    ("limit", 1200, 1200, None, {}, (600, 400), (0, 0, 600, 400), (600, 400), (0, 0)),
    ("mfit", 300, 300, None, {}, (600, 400), (0, 0, 600, 400), (600, 400), (0, 0)),
    ("mfit", 1200, 1200, None, {}, (1200, 800), (0, 0, 1200, 800), (1200, 800), (0, 0)),
    # fill / lfill
    ("fill", 200, 200, None, {}, (300, 200), (50, 0, 200, 200), (200, 200), (0, 0)),
    ("fill", 300, 100, None, {}, (300, 200), (0, 50, 300, 100), (300, 100), (0, 0)),
    ("fill", 1200, 400, None, {}, (1200, 800), (0, 200, 1200, 400), (1200, 400), (0, 0)),
    ("fill", 200, None, 1.0, {}, (300, 200), (50, 0, 200, 200), (200, 200), (0, 0)),
    ("fill", None, None, 1.0, {}, (600, 400), (100, 0, 400, 400), (400, 400), (0, 0)),
    ("lfill", 200, 200, None, {}, (300, 200), (50, 0, 200, 200), (200, 200), (0, 0)),
    ("lfill", 1200, 400, None, {}, (600, 400), (0, 100, 600, 200), (600, 200), (0, 0)),
    # pad / lpad / mpad
    ("pad", 300, 300, None, {}, (300, 200), (0, 0, 300, 200), (300, 300), (0, 50)),
    ("pad", 1200, 400, None, {}, (600, 400), (0, 0, 600, 400), (1200, 400), (300, 0)),
    ("lpad", 1200, 1200, None, {}, (600, 400), (0, 0, 600, 400), (1200, 1200), (300, 400)),
    ("lpad", 300, 300, None, {}, (300, 200), (0, 0, 300, 200), (300, 300), (0, 50)),
    ("lpad", 800, None, None, {"ignore_aspect": True}, (600, 400), (0, 0, 600, 400), (800, 400), (100, 0)),
    ("mpad", 800, 800, None, {}, (600, 400), (0, 0, 600, 400), (800, 800), (100, 200)),
    ("mpad", 300, 300, None, {}, (600, 400), (0, 0, 600, 400), (600, 400), (0, 0)),
    ("pad", None, None, 1.0, {}, (600, 400), (0, 0, 600, 400), (600, 600), (0, 100)),
    # crop
    ("crop", 100, 50, None, {}, (600, 400), (250, 175, 100, 50), (100, 50), (0, 0)),
    ("crop", 100, 50, None, {"anchor": Anchor("north_west", 10, 20)}, (600, 400), (10, 20, 100, 50), (100, 50), (0, 0)),
    ("crop", 100, 50, None, {"anchor": Anchor(None, 10, 20)}, (600, 400), (10, 20, 100, 50), (100, 50), (0, 0)),
    ("crop", 100, 50, None, {"anchor": Anchor("south_east", 10, 20)}, (600, 400), (490, 330, 100, 50), (100, 50), (0, 0)),
    ("crop", 100, 50, None, {"anchor": Anchor("east")}, (600, 400), (500, 175, 100, 50), (100, 50), (0, 0)),
    ("crop", 100, 50, None, {"anchor": Anchor(None, 300, 200, xy_center=True)}, (600, 400), (250, 175, 100, 50), (100, 50), (0, 0)),
    ("crop", 1000, 50, None, {}, (600, 400), (0, 175, 600, 50), (600, 50), (0, 0)),
    ("crop", None, None, None, {"anchor": Anchor(None, focus=(100, 100, 50, 40))}, (600, 400), (100, 100, 50, 40), (50, 40), (0, 0)),
    ("crop", None, None, None, {"anchor": Anchor(None, focus=(100, 100, 50, 40)), "zoom": 0.5}, (600, 400), (75, 80, 100, 80), (100, 80), (0, 0)),
    ("crop", None, None, 1.0, {}, (600, 400), (100, 0, 400, 400), (400, 400), (0, 0)),
    # thumb / auto without focus behave as fill
    ("thumb", 200, 200, None, {}, (300, 200), (50, 0, 200, 200), (200, 200), (0, 0)),
    ("auto", 200, 200, None, {}, (300, 200), (50, 0, 200, 200), (200, 200), (0, 0)),
    # thumb with a focus box: the window hugs the box, then scales to w x h
    ("thumb", 100, 100, None, {"anchor": Anchor(None, focus=(400, 100, 100, 100))}, (600, 400), (400, 100, 100, 100), (100, 100), (0, 0)),
    ("thumb", 100, 100, None, {"anchor": Anchor(None, focus=(400, 100, 100, 100)), "zoom": 0.5}, (300, 200), (175, 25, 100, 100), (100, 100), (0, 0)),
    # fill_pad: keeps a wide focus box whole, padding the rest
    ("fill_pad", 200, 200, None, {"anchor": Anchor(None, focus=(0, 100, 600, 200))}, (200, 133), (0, 0, 200, 133), (200, 200), (0, 33)),
    ("fill_pad", 200, 200, None, {"anchor": Anchor(None, focus=(250, 150, 100, 100))}, (300, 200), (50, 0, 200, 200), (200, 200), (0, 0)),
]


@pytest.mark.parametrize("mode,w,h,ar,kw,resize,crop,canvas,offset", CASES)
def test_plan_table(mode, w, h, ar, kw, resize, crop, canvas, offset):
    p = plan(mode, W, H, w, h, ar=ar, **kw)
    assert p == Plan(resize, crop, canvas, offset)


def test_plan_unknown_mode():
    with pytest.raises(ValueError):
        plan("imagga_crop", W, H, 10, 10)


def test_source_box_maps_back_to_input_pixels():
    p = plan("fill", W, H, 200, 200)
    assert p.source_box(W, H) == (100, 0, 400, 400)


@pytest.mark.parametrize(
    "mode,w,h,ar,expected",
    [
        ("fill", None, None, 1.0, (400.0, 400.0)),
        ("pad", None, None, 1.0, (600.0, 600.0)),
        ("fill", 300, None, 1.5, (300, 200.0)),
        ("fill", None, 300, 0.5, (150.0, 300)),
        ("fill", 300, 100, 5.0, (300, 100)),
        ("scale", None, None, 2.0, (600.0, 300.0)),
    ],
)
def test_target_size(mode, w, h, ar, expected):
    assert target_size(mode, W, H, w, h, ar) == expected


@pytest.mark.parametrize("hint,dpr", [(None, 1.0), (0.5, 1.0), (1.0, 1.0), (1.5, 2.0), (2.0, 2.0), (2.6, 3.0), (9.0, 4.0), (float("nan"), 1.0)])
def test_dpr_auto_rounds_up_and_clamps(hint, dpr):
    assert dpr_from_hint(hint) == dpr


@pytest.mark.parametrize(
    "compass,expected",
    [
        ("north_west", (0, 0)), ("north", (250, 0)), ("north_east", (500, 0)),
        ("west", (0, 175)), ("center", (250, 175)), ("east", (500, 175)),
        ("south_west", (0, 350)), ("south", (250, 350)), ("south_east", (500, 350)),
    ],
)
def test_compass_windows(compass, expected):
    assert place_window(600, 400, 100, 50, Anchor(compass)) == expected


def test_offsets_point_inwards_and_clamp():
    assert place_window(600, 400, 100, 50, Anchor("north_east", 30, 10)) == (470, 10)
    assert place_window(600, 400, 100, 50, Anchor("north_west", 900, 900)) == (500, 350)
    assert place_window(600, 400, 100, 50, Anchor(None, focus=(0, 0, 10, 10))) == (0, 0)


def test_offsets_scale_with_resize():
    assert place_window(300, 200, 100, 50, Anchor("north_west", 100, 50), scale=0.5) == (50, 25)


def test_avoid_window_escapes_the_avoided_box():
    # an avoided box on the left half: the window must move right
    x, y = place_window_avoiding(600, 400, 300, 400, (150, 0), [(0, 0, 280, 400)])
    assert (x, y) == (280, 0)
    # no escape possible: the least overlap wins
    # boxes on both sides: every x in 150..200 leaves 50 px columns inside; nearest to 0 wins
    x, _ = place_window_avoiding(600, 400, 300, 400, (0, 0), [(0, 0, 200, 400), (450, 0, 150, 400)])
    assert x == 150


def test_pad_placement_by_gravity():
    assert place_in_canvas((300, 300), (300, 200), Anchor("north")) == (0, 0)
    assert place_in_canvas((300, 300), (300, 200), Anchor("south")) == (0, 100)
    assert place_in_canvas((300, 300), (300, 200), Anchor()) == (0, 50)


def test_resize_only_is_none_for_focus_sized_modes():
    assert resize_only("fill", 3088, 2056, 400, 300) == (451, 300)
    assert resize_only("thumb", 3088, 2056, 400, 300) is None
    assert resize_only("crop", 3088, 2056, 400, 300) is None
