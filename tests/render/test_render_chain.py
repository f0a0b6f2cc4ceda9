"""The chain around the steps (edge/render/chain.py): layers, conditionals, variables, named
transformations, on real photos, through the real URL parser and render()."""

from __future__ import annotations

import numpy as np
import pytest
import pyvips

from edge.render import Region, RenderError
from edge.url import UrlError
from render_support import IMAGES, StubFocus, mad, photo, pixels, run, source_pixels

SRC = "coffee.png"  # 600x400


def hopper_loader(layer):
    assert layer.public_id == "hopper"
    return photo("tiny_hopper_128.jpg")


def test_image_overlay_placed_by_gravity_and_offsets():
    out = run(SRC, "l_hopper/c_scale,w_100/fl_layer_apply,g_north_west,x_10,y_20", load_layer=hopper_loader)
    a = pixels(out.data)
    assert (out.width, out.height) == (600, 400)
    hop = pyvips.Image.new_from_file(str(IMAGES / "tiny_hopper_128.jpg")).thumbnail_image(100, height=100, size="force")
    assert mad(a[20:120, 10:110], hop.numpy()) < 3
    src = source_pixels(SRC)
    assert np.array_equal(a[200:, 200:], src[200:, 200:])  # elsewhere untouched


def test_cmyk_image_layer_is_converted_to_srgb_like_an_original():
    # the layer source goes through the same decode as an original (ICC -> sRGB), once
    alone = pixels(run("cmyk_with_icc.jpg", "c_scale,w_100,h_100").data)
    out = run(SRC, "l_cmyk/c_scale,w_100,h_100/fl_layer_apply,g_north_west", load_layer=lambda layer: photo("cmyk_with_icc.jpg"))
    assert mad(pixels(out.data)[:100, :100], alone) < 2


def test_image_layer_without_loader_is_a_400():
    with pytest.raises(RenderError) as info:
        run(SRC, "l_hopper/fl_layer_apply")
    assert info.value.status == 400


def test_text_overlay_draws_red_text_in_the_corner():
    out = run(SRC, "l_text:Arial_60_bold:Edge,co_red/fl_layer_apply,g_north_west")
    a = pixels(out.data).astype(int)
    src = source_pixels(SRC).astype(int)
    diff = np.abs(a - src).sum(axis=2) > 60
    ys, xs = np.nonzero(diff)
    assert len(ys) > 200 and ys.max() < 120 and xs.max() < 300  # only the top-left corner changed
    changed = a[diff]
    assert (changed[:, 0] > changed[:, 1] + 80).mean() > 0.5  # mostly red


def test_overlay_on_faces_uses_the_focus_provider():
    focus = StubFocus({"faces": [Region("face", 0.9, (400, 100, 100, 100))]}, (600, 400))
    out = run(SRC, "l_hopper/c_scale,w_50/fl_layer_apply,g_face", load_layer=hopper_loader, focus=focus)
    a = pixels(out.data)
    hop = pyvips.Image.new_from_file(str(IMAGES / "tiny_hopper_128.jpg")).thumbnail_image(50, height=50, size="force")
    assert mad(a[125:175, 425:475], hop.numpy()) < 3


@pytest.mark.parametrize("name,width", [(SRC, 100), ("tiny_hopper_128.jpg", 50)])
def test_if_else_blocks_read_the_current_width(name, width):
    out = run(name, "if_w_gt_500/w_100/if_else/w_50/if_end", ext="png")
    assert out.width == width


def test_variables_and_expressions():
    assert run(SRC, "$size_120/w_$size_mul_2").width == 240
    assert run(SRC, "w_iw_div_3,h_ih_div_4,c_scale").height == 100


def test_named_transformations():
    out = run(SRC, "t_thumb", named={"thumb": "c_fill,w_50,h_40/e_grayscale"})
    a = pixels(out.data)
    assert (out.width, out.height) == (50, 40) and np.array_equal(a[..., 0], a[..., 2])
    with pytest.raises(UrlError):
        run(SRC, "t_missing", named={})


def test_face_count_and_tags_conditions():
    focus = StubFocus({"faces": [Region("face", 0.9, (10, 10, 20, 20))]}, (600, 400))
    assert run(SRC, "if_fc_gt_0/w_10/if_end", focus=focus).width == 10
    assert run(SRC, "if_fc_gt_1/w_10/if_end", focus=focus).width == 600
    assert run(SRC, "if_!sale!_in_tags/w_20/if_end", tags=("sale",)).width == 20
    assert run(SRC, "if_!sale!_in_tags/w_20/if_end", tags=()).width == 600


def test_first_component_still_shrinks_on_load_after_a_condition():
    out = run("landscape_aitzgorri.jpg", "if_w_gt_1000/c_fill,w_400,h_300/if_end", ext="jpg")
    assert (out.width, out.height) == (400, 300)
    ref = pyvips.Image.thumbnail(str(IMAGES / "landscape_aitzgorri.jpg"), 400, height=300, crop="centre")
    assert mad(pixels(out.data), ref.numpy()) < 4


def test_output_options_follow_the_components_that_ran():
    assert run(SRC, "if_w_gt_5000/f_webp/if_end/w_100", ext="png").format == "png"
    assert run(SRC, "if_w_gt_500/f_webp/if_end/w_100", ext="png").format == "webp"
    assert run(SRC, "t_web", ext="png", named={"web": "w_100,f_webp,q_30"}).quality == 30
