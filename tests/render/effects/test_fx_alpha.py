"""Effects on transparency and shape: make_transparent, opacity_threshold, gradient_fade,
trim, outline, shadow, dropshadow -- on real photos and cut-outs."""

from __future__ import annotations

import numpy as np
import pytest

from fx_support import FixedFocus, arr, color, px, rel, run


def test_make_transparent_clears_the_white_background(sneakers):
    out = arr(run("make_transparent", sneakers, "20"))
    alpha = out[..., 3]
    src = arr(sneakers)
    assert out.shape[2] == 4
    border = np.concatenate([alpha[0], alpha[-1], alpha[:, 0], alpha[:, -1]])
    assert (border == 0).mean() > 0.9  # the backdrop is a soft gradient, not pure white
    dark = src[..., :3].max(axis=2) < 150  # the shoes' dark parts
    assert dark.sum() > 100 and (alpha[dark] == 255).all()
    assert np.array_equal(out[..., :3], src)  # colours untouched


def test_make_transparent_with_colour_and_tolerance(coffee):
    src = arr(coffee)
    target = color(*[int(v) for v in src[100, 160]])
    tight = arr(run("make_transparent", coffee, "5", params=[("co", target)]))[..., 3]
    loose = arr(run("make_transparent", coffee, "40", params=[("co", target)]))[..., 3]
    assert tight[100, 160] == 0
    assert (loose == 0).sum() > (tight == 0).sum() > 0


def test_opacity_threshold(bird):
    out = arr(run("opacity_threshold", bird, "50"))[..., 3]
    src = arr(bird)[..., 3]
    assert not ((out > 0) & (out < 128)).any()
    keep = src >= 128
    assert np.array_equal(out[keep], src[keep])
    assert ((src > 0) & (src < 127)).any()  # the photo really has soft alpha
    lowest = arr(run("opacity_threshold", bird, "1"))[..., 3]
    assert np.array_equal(lowest[src >= 3], src[src >= 3]) and not lowest[src < 3].any()  # 1 % of 255 = 2.55


def test_opacity_threshold_opaque_image_unchanged(coffee):
    assert np.array_equal(arr(run("opacity_threshold", coffee)), arr(coffee))


def test_gradient_fade_left_right_and_symmetric(coffee):
    out = arr(run("gradient_fade", coffee, "20"))[..., 3]  # default: the left half
    w = coffee.width
    assert out[:, 0].max() == 0 and (out[:, w - 1] == 255).all()
    assert (np.diff(out[50, : w // 2]) >= 0).all()
    right = arr(run("gradient_fade", coffee, params=[("x", px(-100))]))[..., 3]
    assert right[:, -1].max() == 0 and (right[:, : w - 100] == 255).all()
    sym = arr(run("gradient_fade", coffee, "symmetric", "20", params=[("x", rel(0.3))]))[..., 3]
    assert sym[:, 0].max() == 0 and sym[:, -1].max() == 0 and (sym[:, w // 2] == 255).all()
    bottom = arr(run("gradient_fade", coffee, params=[("y", rel(-0.5))]))[..., 3]
    assert bottom[-1].max() == 0 and (bottom[0] == 255).all()
    steep = arr(run("gradient_fade", coffee, "80"))[..., 3]
    assert steep[:, 40].mean() < out[:, 40].mean()  # a higher level fades more


def test_trim_removes_a_uniform_border(coffee):
    framed = coffee.embed(25, 40, coffee.width + 60, coffee.height + 70, background=[255, 255, 255])
    out = run("trim", framed)
    assert abs(out.width - coffee.width) <= 2 and abs(out.height - coffee.height) <= 2
    coloured = coffee.embed(10, 10, coffee.width + 20, coffee.height + 20, background=[0, 128, 0])
    out2 = run("trim", coloured, "10", "rgb:008000")
    assert abs(out2.width - coffee.width) <= 2


def test_trim_transparent_borders_and_all_background(cap, coffee):
    out = run("trim", cap)
    a = arr(cap)[..., 3]
    cols = np.where(a.max(axis=0) > 0)[0]
    rows = np.where(a.max(axis=1) > 0)[0]
    assert abs(out.width - (cols[-1] - cols[0] + 1)) <= 2
    assert abs(out.height - (rows[-1] - rows[0] + 1)) <= 2
    plain = coffee.crop(0, 0, 20, 20).linear([0, 0, 0], [200, 10, 10]).cast("uchar")
    assert run("trim", plain).width == 20  # all background: unchanged


def test_outline_outer_and_inner(cap):
    src = arr(cap)
    out = arr(run("outline", cap, "outer", "6", params=[("co", color(255, 0, 0))]))
    assert out.shape[:2] == (cap.height + 2 * 7, cap.width + 2 * 7)
    inner_region = out[7:-7, 7:-7]
    # pixels just outside the shape are now red and opaque
    shape = src[..., 3] > 127
    grown = np.zeros_like(shape)
    grown[:, 3:] |= shape[:, :-3]
    ring = grown & ~shape & (src[..., 3] == 0)
    assert ring.sum() > 20
    assert (inner_region[ring][:, 3] == 255).all() and (inner_region[ring][:, 0] == 255).all()
    # far from the shape: still transparent
    assert out[0, 0, 3] == 0
    inner = arr(run("outline", cap, "inner", "4", params=[("co", color(0, 0, 255))]))
    assert inner.shape[:2] == src.shape[:2]
    below = np.pad(shape, 2, constant_values=False)[4:, 2:-2]  # shape shifted up by 2 px
    edge = shape & ~below & (src[..., 3] == 255)  # opaque pixels <= 2 px above the bottom edge
    assert edge.sum() > 20
    assert (inner[edge][:, 2] == 255).mean() > 0.95
    core_rows, core_cols = np.where(shape)
    cy, cx = int(core_rows.mean()), int(core_cols.mean())
    assert np.array_equal(inner[cy, cx], src[cy, cx])


def test_outline_opaque_photo_frame_and_fill(coffee):
    out = arr(run("outline", coffee, "5"))  # inner + outer, black
    assert out.shape[2] == 4
    assert (out[6:-6, 6, :3] == 0).all()  # a black band along the image edge
    mid = out.shape[0] // 2, out.shape[1] // 2
    assert np.array_equal(out[mid][:3], arr(coffee)[mid[0] - 6, mid[1] - 6])
    fill = arr(run("outline", coffee, "fill", "3", params=[("co", color(0, 255, 0))]))
    assert (fill[10:-10, 10:-10, :3] == [0, 255, 0]).all()
    blurred = arr(run("outline", coffee, "outer", "5", "100"))
    assert ((blurred[..., 3] > 0) & (blurred[..., 3] < 255)).sum() > 100


def test_shadow_offsets_a_blurred_silhouette(cap):
    out = arr(run("shadow", cap, "20", params=[("x", px(20)), ("y", px(15))]))
    src = arr(cap)
    assert out.shape[2] == 4
    assert out.shape[1] >= cap.width + 20 and out.shape[0] >= cap.height + 15
    # the shape sits at (left, top); where the shifted shape lands outside the original,
    # there is now a translucent dark shadow
    left = out.shape[1] - cap.width - (20 + 6)
    top = out.shape[0] - cap.height - (15 + 6)
    orig = np.zeros(out.shape[:2], bool)
    orig[top : top + cap.height, left : left + cap.width] = src[..., 3] > 0
    moved = np.zeros_like(orig)
    moved[top + 15 : top + 15 + cap.height, left + 20 : left + 20 + cap.width] = src[..., 3] > 250
    only_shadow = moved & ~orig
    assert only_shadow.sum() > 50
    assert out[only_shadow][:, 3].mean() > 80 and out[only_shadow][:, :3].max() < 40
    assert np.array_equal(out[top : top + cap.height, left : left + cap.width][src[..., 3] == 255], src[src[..., 3] == 255])


def test_dropshadow_needs_transparency(cap, coffee):
    out = arr(run("dropshadow", cap))
    src = arr(cap)
    assert out.shape == src.shape
    assert out[..., 3].sum() > src[..., 3].sum() * 1.03  # the shadow adds coverage
    opaque = src[..., 3] == 255
    assert np.array_equal(out[opaque], src[opaque])
    assert np.array_equal(arr(run("dropshadow", coffee)), arr(coffee))
    # light from the north-west: the shadow falls to the south-east of the shape
    se = arr(run("dropshadow", cap, options=[("azimuth", "315"), ("elevation", "10")]))
    nw = arr(run("dropshadow", cap, options=[("azimuth", "135"), ("elevation", "10")]))
    gain = lambda a: a[..., 3] - src[..., 3]  # noqa: E731
    h, w = src.shape[:2]
    assert gain(se)[h // 2 :, w // 2 :].sum() > gain(se)[: h // 2, : w // 2].sum()
    assert gain(nw)[: h // 2, : w // 2].sum() > gain(nw)[h // 2 :, w // 2 :].sum()


@pytest.mark.parametrize("name", ["shadow", "outline", "dropshadow", "make_transparent", "gradient_fade"])
def test_alpha_effects_keep_srgb_uchar(bird, name):
    out = run(name, bird)
    assert out.interpretation == "srgb" and out.bands == 4


def test_trim_two_pass_on_big_images_matches_exact_find_trim():
    """Big images are trimmed coarse-then-refined; the box equals libvips' one-pass result."""
    from edge.render.effects.trim import _find, trim_box
    from fx_support import load

    big = load("product_sneakers_white_bg.jpg", 1700)
    framed = big.embed(37, 53, big.width + 128, big.height + 65, background=[255, 255, 255])
    assert max(framed.width, framed.height) > 1536
    bg = [float(v) for v in framed.getpoint(0, 0)[:3]]
    box = trim_box(framed, 10, None)
    assert box == _find(framed, 25.5, bg)
    assert box[1] == 53 and box[3] == big.height  # the shoes touch the photo's top and bottom


def test_shadow_offset_beyond_the_size_limit_is_413(coffee):
    from edge.render.errors import LimitError

    with pytest.raises(LimitError):
        run("shadow", coffee, params=[("x", px(100000))])


def test_background_removal_clips_a_mask_box_past_the_image_edge(coffee):
    """A provider's box (and mask) may reach past the image: only its visible part counts
    (this used to raise a libvips `embed: bad dimensions` error, a 500)."""
    w = coffee.width
    focus = FixedFocus({"saliency": [(w - 40, -10, 80, 60)]}, masks=True)
    alpha = arr(run("background_removal", coffee, options=[("fineedges", "y")], focus=focus))[..., 3]
    box = np.zeros(alpha.shape, bool)
    box[:50, w - 40 :] = True
    assert not alpha[~box].any() and alpha[box].max() == 255
    far = FixedFocus({"saliency": [(10, 8, 20, 16)]}, masks=True)
    tiny = run("background_removal", coffee.crop(0, 0, 1, 1), focus=far)
    assert tiny.bands == 4 and arr(tiny)[..., 3].max() == 0


def test_extract_many_objects_costs_at_most_max_crops_plus_one_mask(coffee):
    """Beyond MAX_CROPS boxes, extraction reuses one whole-image mask instead of one model run
    per box; every box still gets alpha and nothing outside the padded boxes does."""
    from edge.render.effects.extract import MAX_CROPS

    boxes = [(10 + 50 * i, 20, 30, 30) for i in range(6)]
    focus = FixedFocus({"cup": boxes, "saliency": [(0, 0, coffee.width, coffee.height)]})  # no masks: boxes kept whole
    alpha = arr(run("extract", coffee, options=[("prompt", "cup"), ("multiple", "true")], focus=focus))[..., 3]
    assert focus.calls.count("saliency") == MAX_CROPS + 1
    for x, y, w, h in boxes:
        assert (alpha[y : y + h, x : x + w] == 255).all()
    assert not alpha[60:].any()  # below every padded box (y + h + 10 % = 53)
