"""Every crop mode and size qualifier on a real photo: output size AND pixel content.

coffee.png is 600x400 RGB, so PNG output can be compared exactly with numpy slices of the
source (no resize) or closely with a plain libvips resize (mean abs diff)."""

from __future__ import annotations

import numpy as np
import pytest

from edge.render import Region
from render_support import StubFocus, mad, pixels, resized, run, source_pixels

SRC = "coffee.png"


@pytest.fixture(scope="module")
def src() -> np.ndarray:
    return source_pixels(SRC)


def test_crop_north_west_xy_equals_numpy_slice(src):
    out = run(SRC, "c_crop,g_north_west,x_10,y_20,w_100,h_50")
    assert (out.width, out.height) == (100, 50)
    assert np.array_equal(pixels(out.data), src[20:70, 10:110])


def test_crop_without_gravity_uses_xy_as_top_left(src):
    out = run(SRC, "c_crop,x_200,y_100,w_120,h_80")
    assert np.array_equal(pixels(out.data), src[100:180, 200:320])


def test_crop_centre_and_south_east_offsets(src):
    out = run(SRC, "c_crop,w_100,h_50")
    assert np.array_equal(pixels(out.data), src[175:225, 250:350])
    out = run(SRC, "c_crop,g_south_east,x_10,y_20,w_100,h_50")
    assert np.array_equal(pixels(out.data), src[330:380, 490:590])


def test_crop_relative_values(src):
    out = run(SRC, "c_crop,g_north_west,x_0.1,y_0.25,w_0.5,h_0.5")
    assert (out.width, out.height) == (300, 200)
    assert np.array_equal(pixels(out.data), src[100:300, 60:360])


def test_crop_ar_alone_takes_largest_box(src):
    out = run(SRC, "c_crop,ar_1.0")
    assert (out.width, out.height) == (400, 400)
    assert np.array_equal(pixels(out.data), src[:, 100:500])


def test_crop_xy_center(src):
    out = run(SRC, "c_crop,g_xy_center,x_100,y_100,w_100,h_100")
    assert np.array_equal(pixels(out.data), src[50:150, 50:150])


def test_crop_with_iw_expression(src):
    out = run(SRC, "c_crop,g_west,w_iw_div_2,h_ih_div_4")
    assert (out.width, out.height) == (300, 100)
    assert np.array_equal(pixels(out.data), src[150:250, 0:300])


def test_scale_both_sides_distorts():
    out = run(SRC, "c_scale,w_300,h_100")
    assert (out.width, out.height) == (300, 100)
    assert mad(pixels(out.data), resized(SRC, 300, 100)) < 1.5


def test_scale_one_side_keeps_aspect_and_default_mode():
    out = run(SRC, "w_300")
    assert (out.width, out.height) == (300, 200)
    assert mad(pixels(out.data), resized(SRC, 300, 200)) < 1.5
    out = run(SRC, "h_0.5")
    assert (out.width, out.height) == (300, 200)


def test_scale_ignore_aspect_ratio_keeps_other_side():
    out = run(SRC, "c_scale,w_300,fl_ignore_aspect_ratio")
    assert (out.width, out.height) == (300, 400)
    assert mad(pixels(out.data), resized(SRC, 300, 400)) < 1.5


def test_scale_up():
    out = run(SRC, "w_1.5")
    assert (out.width, out.height) == (900, 600)
    assert mad(pixels(out.data), resized(SRC, 900, 600)) < 1.5


@pytest.mark.parametrize(
    "t,size",
    [
        ("c_fit,w_300,h_300", (300, 200)),
        ("c_fit,w_1200,h_1200", (1200, 800)),
        ("c_limit,w_300,h_300", (300, 200)),
        ("c_limit,w_1200,h_1200", (600, 400)),
        ("c_mfit,w_300,h_300", (600, 400)),
        ("c_mfit,w_1200,h_1200", (1200, 800)),
    ],
)
def test_fit_family(t, size):
    out = run(SRC, t)
    assert (out.width, out.height) == size
    assert mad(pixels(out.data), resized(SRC, *size)) < 1.5


def test_fill_crops_the_overflow_around_centre():
    out = run(SRC, "c_fill,w_200,h_200")
    assert (out.width, out.height) == (200, 200)
    assert mad(pixels(out.data), resized(SRC, 300, 200)[:, 50:250]) < 1.5


def test_fill_gravity_west():
    out = run(SRC, "c_fill,g_west,w_200,h_200")
    assert mad(pixels(out.data), resized(SRC, 300, 200)[:, 0:200]) < 1.5


def test_lfill_does_not_upscale(src):
    out = run(SRC, "c_lfill,w_1200,h_400")
    assert (out.width, out.height) == (600, 200)
    assert np.array_equal(pixels(out.data), src[100:300])
    out = run(SRC, "c_lfill,w_200,h_200")
    assert (out.width, out.height) == (200, 200)


def test_pad_letterboxes_with_background():
    out = run(SRC, "c_pad,w_300,h_300,b_red")
    a = pixels(out.data)
    assert a.shape[:2] == (300, 300)
    assert (a[:50, :, :3] == [255, 0, 0]).all() and (a[250:, :, :3] == [255, 0, 0]).all()
    assert mad(a[50:250], resized(SRC, 300, 200)) < 1.5


def test_pad_default_white_and_gravity_north():
    a = pixels(run(SRC, "c_pad,g_north,w_300,h_300").data)
    assert (a[200:, :, :3] == 255).all()
    assert mad(a[:200], resized(SRC, 300, 200)) < 1.5


def test_lpad_never_upscales(src):
    out = run(SRC, "c_lpad,w_800,h_500,b_black")
    a = pixels(out.data)
    assert a.shape[:2] == (500, 800)
    assert np.array_equal(a[50:450, 100:700], src)
    assert (a[:50] == 0).all()


def test_lpad_ignore_aspect_ratio_pads_width_only(src):
    a = pixels(run(SRC, "c_lpad,w_800,fl_ignore_aspect_ratio,b_black").data)
    assert a.shape[:2] == (400, 800)
    assert np.array_equal(a[:, 100:700], src)


def test_mpad(src):
    a = pixels(run(SRC, "c_mpad,w_800,h_800,b_blue").data)
    assert a.shape[:2] == (800, 800)
    assert np.array_equal(a[200:600, 100:700], src)
    assert (a[:200, :, :3] == [0, 0, 255]).all()
    a = pixels(run(SRC, "c_mpad,w_300,h_300").data)
    assert np.array_equal(a, src)


def test_thumb_hugs_the_face_box(src):
    focus = StubFocus({"faces": [Region("face", 0.9, (400, 100, 100, 100))]}, (600, 400))
    out = run(SRC, "c_thumb,g_face,w_100,h_100", focus=focus)
    assert (out.width, out.height) == (100, 100)
    assert np.array_equal(pixels(out.data), src[100:200, 400:500])


def test_thumb_zoom_out_shows_context():
    focus = StubFocus({"faces": [Region("face", 0.9, (400, 100, 100, 100))]}, (600, 400))
    out = run(SRC, "c_thumb,g_face,z_0.5,w_100,h_100", focus=focus)
    assert (out.width, out.height) == (100, 100)
    assert mad(pixels(out.data), resized(SRC, 300, 200)[25:125, 175:275]) < 1.5


def test_crop_to_face_without_size_and_zoom(src):
    focus = StubFocus({"faces": [Region("face", 0.9, (400, 100, 100, 100))]}, (600, 400))
    out = run(SRC, "c_crop,g_face", focus=focus)
    assert np.array_equal(pixels(out.data), src[100:200, 400:500])
    out = run(SRC, "c_crop,g_face,z_0.5", focus=focus)
    assert (out.width, out.height) == (200, 200)
    assert np.array_equal(pixels(out.data), src[50:250, 350:550])


def test_auto_crop_follows_saliency():
    focus = StubFocus({"saliency": [Region("saliency", 1.0, (0, 0, 100, 100))]}, (600, 400))
    out = run(SRC, "c_auto,w_200,h_200", focus=focus)
    assert (out.width, out.height) == (200, 200)
    assert mad(pixels(out.data), resized(SRC, 300, 200)[:, 0:200]) < 1.5


def test_auto_pad_and_fill_pad_keep_wide_subject():
    focus = StubFocus({"saliency": [Region("saliency", 1.0, (0, 100, 600, 200))]}, (600, 400))
    for t in ("c_fill_pad,g_auto,w_200,h_200", "c_auto_pad,g_auto,w_200,h_200"):
        a = pixels(run(SRC, t, focus=focus).data)
        assert a.shape[:2] == (200, 200)
        assert (a[:30, :, :3] == 255).all() and (a[-30:, :, :3] == 255).all()
        assert mad(a[33:166], resized(SRC, 200, 133)) < 2


def test_fill_pad_requires_auto_gravity():
    from edge.render import RenderError

    with pytest.raises(RenderError):
        run(SRC, "c_fill_pad,g_north,w_200,h_200")


def test_g_auto_with_scale_is_a_conflict():
    from edge.render import RenderError

    with pytest.raises(RenderError, match="Conflicting"):
        run(SRC, "c_scale,g_auto,w_200,h_200")


def test_dpr_multiplies_size():
    out = run(SRC, "c_fill,w_100,h_50,dpr_2.0")
    assert (out.width, out.height) == (200, 100)
    assert mad(pixels(out.data), resized(SRC, 200, 133)[16:116]) < 1.5


@pytest.mark.parametrize("hint,width", [(None, 100), (1.0, 100), (1.3, 200), (3.0, 300), (8.0, 400)])
def test_dpr_auto_from_client_hint(hint, width):
    out = run(SRC, "w_100,dpr_auto", dpr_hint=hint)
    assert out.width == width


def test_w_auto_from_width_hint():
    assert run(SRC, "w_auto:100:250", width_hint=301).width == 400
    assert run(SRC, "w_auto:100:250").width == 250


def test_chained_components_feed_each_other(src):
    out = run(SRC, "c_crop,g_north_west,w_300,h_200/c_crop,g_south_east,w_100,h_100")
    assert np.array_equal(pixels(out.data), src[100:200, 200:300])


def test_output_side_limit():
    from edge.render import LimitError, Limits

    with pytest.raises(LimitError):
        run(SRC, "w_9000")
    assert run(SRC, "w_900", limits=Limits(max_output_side=1000)).width == 900
