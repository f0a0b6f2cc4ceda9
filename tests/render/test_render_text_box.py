"""A `b_` colour on a text layer draws the caption box behind the text (issue 9, item 8):
`l_text:Arial_40:Hello,b_black` was rendered without any box."""

from __future__ import annotations

import numpy as np

from edge.render.ops.text import render_text
from edge.url.ast import Color, TextStyle
from render_support import pixels, run

PHOTO = "landscape_aitzgorri.jpg"  # a bright sky in the top-left corner
BASE = "c_scale,w_400"


def _text_size(size: int = 40) -> tuple[int, int]:
    t = render_text("Hello", TextStyle("Arial", size), Color(255, 255, 255, 255, "white"))
    return t.width, t.height


def test_b_black_draws_a_box_the_size_of_the_text() -> None:
    w, h = _text_size()
    boxed = pixels(run(PHOTO, f"{BASE}/l_text:Arial_40:Hello,b_black,co_white/fl_layer_apply,g_north_west").data)
    plain = pixels(run(PHOTO, f"{BASE}/l_text:Arial_40:Hello,co_white/fl_layer_apply,g_north_west").data)
    inside = boxed[:h, :w, :3].reshape(-1, 3)
    dark = inside.max(axis=1) < 10
    assert dark.mean() > 0.5  # the box shows between the glyphs
    assert (inside.min(axis=1) > 200).mean() > 0.1  # and the white text stays on it
    assert (plain[:h, :w, :3].max(axis=2) < 10).mean() < 0.01  # without b_: sky, no box
    # the box ends at the text's layout box: the photo is untouched around it
    assert np.array_equal(boxed[h + 1:, :, :3], plain[h + 1:, :, :3])
    assert np.array_equal(boxed[:, w + 1:, :3], plain[:, w + 1:, :3])


def test_a_translucent_background_blends_with_the_photo() -> None:
    w, h = _text_size()
    red = pixels(run(PHOTO, f"{BASE}/l_text:Arial_40:Hello,b_rgb:ff000080,co_black/fl_layer_apply,g_north_west").data)
    plain = pixels(run(PHOTO, f"{BASE}/l_text:Arial_40:Hello,co_black/fl_layer_apply,g_north_west").data)
    # where no glyph is, 50 % red over the sky: red stays high, green about halves
    sky = (plain[:h, :w, :3].min(axis=2) > 200)
    r, g = red[:h, :w, 0][sky].mean(), red[:h, :w, 1][sky].mean()
    assert r > 230 and 100 < g < 160, (r, g)


def test_a_wrapped_caption_gets_its_box_too() -> None:
    out = pixels(run(PHOTO, f"{BASE}/l_text:Arial_20:Edge%20caption%20box,c_fit,w_80,b_black,co_white/"
                            "fl_layer_apply,g_south_west").data)
    bottom = out[-20:, :60, :3].reshape(-1, 3)
    assert (bottom.max(axis=1) < 10).mean() > 0.4
