"""Applying layers (`apply_layer`) on real photos, through `run` + `structure` like the pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from _program_support import chain, components, load, pixels
from edge.render.errors import RenderError
from edge.render.layers import apply_layer, structure


def _changed(a, b, tolerance: int = 0) -> np.ndarray:
    """(h, w) bool mask of pixels that differ by more than `tolerance` in any band."""
    pa, pb = pixels(a).astype(int), pixels(b).astype(int)
    bands = min(pa.shape[2], pb.shape[2])
    return (np.abs(pa[..., :bands] - pb[..., :bands]) > tolerance).any(axis=2)


def test_overlay_at_south_east_changes_only_its_box(cat, mini):
    out = mini.render(cat, chain("l_hopper/c_scale,w_50/fl_layer_apply,g_south_east,x_10,y_10")).image
    assert (out.width, out.height) == (451, 300)
    changed = _changed(out, cat)
    left, top = 451 - 50 - 10, 300 - 50 - 10
    box = np.zeros_like(changed)
    box[top : top + 50, left : left + 50] = True
    assert changed[box].mean() > 0.9  # the hopper photo covers the box
    assert not changed[~box].any()  # nothing outside it moved
    hopper = mini.scale(load("tiny_hopper_128.jpg"), chain("c_scale,w_50")[0])
    assert np.abs(pixels(out)[top : top + 50, left : left + 50, :3].astype(int) - pixels(hopper)[..., :3]).max() <= 1


def test_underlay_shows_through_transparent_holes(mini):
    cap = mini.scale(load("product_cap_transparent.png"), chain("c_scale,w_256")[0])
    alpha = pixels(cap)[..., 3]
    assert (alpha == 0).mean() > 0.2 and (alpha == 255).mean() > 0.2  # real holes and a real cap
    out = mini.render(cap, chain("u_coffee,w_1.0,h_1.0,fl_relative")).image
    coffee = mini.scale(load("coffee.png"), chain(f"c_scale,w_{cap.width},h_{cap.height}")[0])
    got, base, under = pixels(out).astype(int), pixels(cap).astype(int), pixels(coffee).astype(int)
    holes, solid = alpha == 0, alpha == 255
    assert np.abs(got[holes][:, :3] - under[holes][:, :3]).max() <= 1  # the coffee photo shows
    assert np.abs(got[solid][:, :3] - base[solid][:, :3]).max() <= 1  # the cap stays on top
    assert got[holes][:, 3].min() == 255  # the holes are filled


def test_overlay_relative_offsets_and_variables(cat, mini):
    out = mini.render(cat, chain("$off_20/l_hopper,w_30/fl_layer_apply,g_north_west,x_$off,y_0.1")).image
    changed = _changed(out, cat)
    ys, xs = np.nonzero(changed)
    assert (xs.min(), ys.min()) == (20, 30)  # y_0.1 of 300 px
    assert (xs.max(), ys.max()) == (49, 59)


def test_legacy_overlay_with_per_component_condition(cat, mini):
    out = mini.render(cat, chain("if_w_gt_100,g_north_west,l_hopper,w_20")).image
    ys, xs = np.nonzero(_changed(out, cat))
    assert (xs.min(), ys.min(), xs.max(), ys.max()) == (0, 0, 19, 19)
    out = mini.render(cat, chain("if_w_gt_1000,g_north_west,l_hopper,w_20")).image
    assert not _changed(out, cat).any()


def test_condition_block_around_a_layer(cat, mini):
    out = mini.render(cat, chain("if_w_gt_1000/l_hopper/fl_layer_apply/if_end")).image
    assert not _changed(out, cat).any()
    out = mini.render(cat, chain("if_w_lt_1000/l_hopper/fl_layer_apply/if_end")).image
    ys, xs = np.nonzero(_changed(out, cat))
    assert (xs.min(), ys.min()) == ((451 - 128) // 2, (300 - 128) // 2)  # centred by default


def test_nested_layer_is_rendered_into_its_parent(cat, mini, ops):
    out = mini.render(cat, chain("l_cat/c_scale,w_100/l_hopper/c_scale,w_20/fl_layer_apply,g_north_west/fl_layer_apply,g_south_east")).image
    inner = mini.scale(cat, chain("c_scale,w_100")[0])
    hop = mini.scale(load("tiny_hopper_128.jpg"), chain("c_scale,w_20")[0])
    inner = ops["compositor"](inner, hop, 0, 0, "over", False)
    expected = ops["compositor"](cat, inner, 451 - inner.width, 300 - inner.height, "over", False)
    assert not _changed(out, expected, tolerance=1).any()
    assert _changed(out, cat)[300 - inner.height :, 451 - 100 :].mean() > 0.5


def test_blend_mode_reaches_the_compositor(cat, mini, ops):
    modes = []

    def recording(base, layer, x, y, mode, tiled):
        modes.append((mode, tiled))
        return ops["compositor"](base, layer, x, y, mode, tiled)

    mini.ops["compositor"] = recording
    out = mini.render(cat, chain("l_coffee/c_scale,w_100/fl_layer_apply,e_multiply,g_north_west")).image
    assert modes == [("multiply", False)]
    got = pixels(out)[:60, :100, :3].astype(int)
    base = pixels(cat)[:60, :100, :3].astype(int)
    assert (got <= base + 1).all() and (got < base - 5).any()  # multiply only darkens


def test_tiled_overlay_covers_the_whole_base(cat, mini):
    out = mini.render(cat, chain("l_hopper/c_scale,w_40/fl_layer_apply,fl_tiled")).image
    assert _changed(out, cat).mean() > 0.9


def test_text_overlay_uses_colour_and_stays_in_its_box(cat, mini):
    out = mini.render(cat, chain("co_rgb:ff0000,l_text:Arial_40_bold:Edge/fl_layer_apply,g_north_west,x_5,y_5")).image
    changed = _changed(out, cat, tolerance=8)
    ys, xs = np.nonzero(changed)
    assert xs.min() >= 5 and ys.min() >= 5
    assert xs.max() < 5 + 200 and ys.max() < 5 + 80
    red = pixels(out)[changed].astype(int)
    assert ((red[:, 0] > 200) & (red[:, 1] < 60) & (red[:, 2] < 60)).sum() > 50


def test_region_gravity_uses_locate(cat, mini):
    (block,) = structure(chain("l_hopper,w_20/fl_layer_apply,g_face"))
    with pytest.raises(RenderError, match="gravity"):
        apply_layer(cat, block, load_source=mini.load_source, render_chain=lambda i, c: mini.render(i, c).image, **mini.ops)
    out = apply_layer(
        cat,
        block,
        load_source=mini.load_source,
        render_chain=lambda i, c: mini.render(i, c).image,
        locate=lambda gravity, base: [(100, 50, 60, 40)],
        **mini.ops,
    )
    ys, xs = np.nonzero(_changed(out, cat))
    assert (xs.min(), ys.min(), xs.max(), ys.max()) == (120, 60, 139, 79)  # centred on the region


def test_region_relative_sizes(cat, mini):
    (block,) = structure(chain("l_hopper,w_0.5,fl_region_relative/fl_layer_apply,g_faces"))
    out = apply_layer(
        cat,
        block,
        load_source=mini.load_source,
        render_chain=lambda i, c: mini.render(i, c).image,
        locate=lambda gravity, base: [(0, 0, 80, 80), (300, 200, 40, 40)],
        **mini.ops,
    )
    ys, xs = np.nonzero(_changed(out, cat))
    assert xs.min() == 20 and xs.max() == 329  # 40 px layer at (20, 20), 20 px at (310, 210)
    assert not _changed(out, cat)[100:200, 100:300].any()


def test_unrenderable_layers_are_400(cat, mini):
    (block,) = structure(components("l_video:dog,w_100"))
    with pytest.raises(RenderError) as info:
        apply_layer(cat, block, load_source=mini.load_source, render_chain=lambda i, c: i, **mini.ops)
    assert info.value.status == 400
    (block,) = structure(components("l_text:$style:Hi,w_100"))
    with pytest.raises(RenderError, match="style"):
        apply_layer(cat, block, load_source=mini.load_source, render_chain=lambda i, c: i, **mini.ops)


def test_text_layer_with_fit_width_wraps(cat, mini):
    sizes = []

    def recording(base, layer, x, y, mode, tiled):
        sizes.append((layer.width, layer.height))
        return mini_ops["compositor"](base, layer, x, y, mode, tiled)

    mini_ops = dict(mini.ops)
    mini.ops["compositor"] = recording
    text = "l_text:Arial_20:Edge%20serves%20images%20fast,{}/fl_layer_apply,g_north_west"
    mini.render(cat, chain(text.format("co_black")))
    mini.render(cat, chain(text.format("c_fit,w_90")))
    (one_w, one_h), (wrapped_w, wrapped_h) = sizes
    assert one_w > 150 and wrapped_w <= 90
    assert wrapped_h >= 2 * one_h - 4  # at least two lines


def test_underlay_under_an_opaque_photo_is_hidden(cat, mini):
    out = mini.render(cat, chain("u_hopper/fl_layer_apply")).image
    assert out.bands == 3
    assert not _changed(out, cat).any()
