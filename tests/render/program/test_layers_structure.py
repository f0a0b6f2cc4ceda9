"""Layer block structure (`structure`), placement and the layer's own chain."""

from __future__ import annotations

import pytest

from _program_support import chain, components
from edge.render.layers import LayerBlock, layer_chain, placement, structure
from edge.url import UrlError
from edge.url.ast import Component


def _shape(steps) -> list:
    out = []
    for s in steps:
        if isinstance(s, LayerBlock):
            out.append(("layer", s.layer.public_id or s.layer.text, [str(c) for c in s.body], None if s.apply is None else str(s.apply)))
        else:
            out.append(str(s))
    return out


def test_multi_component_layer():
    steps = structure(chain("c_fill,w_400/l_hopper/c_scale,w_50/e_grayscale/fl_layer_apply,g_south_east,x_10/e_sepia"))
    assert _shape(steps) == [
        "c_fill,w_400",
        ("layer", "hopper", ["c_scale,w_50", "e_grayscale"], "fl_layer_apply,g_south_east,x_10"),
        "e_sepia",
    ]
    assert not steps[1].legacy


def test_nested_layers_keep_inner_blocks_in_the_body():
    steps = structure(chain("l_a/l_b/e_sepia/fl_layer_apply,g_north/c_scale,w_10/fl_layer_apply,g_south"))
    assert len(steps) == 1
    outer = steps[0]
    assert outer.layer.public_id == "a" and str(outer.apply) == "fl_layer_apply,g_south"
    inner = structure(outer.body)
    assert _shape(inner) == [("layer", "b", ["e_sepia"], "fl_layer_apply,g_north"), "c_scale,w_10"]


def test_legacy_one_component_form():
    steps = structure(chain("c_scale,e_cut_out,g_south_west,l_docs:logo:logo,w_200/e_sepia"))
    assert _shape(steps) == [("layer", "docs/logo/logo", [], None), "e_sepia"]
    block = steps[0]
    assert block.legacy
    place = placement(block)
    assert (place.gravity.compass, place.mode) == ("south_west", "cut_out")
    assert [str(c) for c in layer_chain(block, (1000, 800))] == ["c_scale,w_200"]


def test_qualified_layer_followed_by_apply_is_a_block():
    steps = structure(chain("l_a,w_0.5/fl_layer_apply,g_north/l_b,w_30,g_east"))
    assert _shape(steps) == [("layer", "a", [], "fl_layer_apply,g_north"), ("layer", "b", [], None)]
    assert [str(c) for c in layer_chain(steps[0], (1000, 800))] == ["w_0.5"]


def test_layer_apply_without_layer_is_a_url_error():
    with pytest.raises(UrlError, match="no open layer"):
        structure(components("c_scale,w_10/fl_layer_apply"))


def test_bare_layer_without_apply_is_a_legacy_layer():
    """Issue 14: `l_<id>` alone that no fl_layer_apply closes is applied in its own component
    (centred), and the next components transform the composite."""
    steps = structure(components("l_a/c_scale,w_10"))
    assert isinstance(steps[0], LayerBlock) and steps[0].legacy and steps[0].layer.public_id == "a"
    assert str(steps[1]) == "c_scale,w_10"


def test_conditions_inside_the_layer_body_stay_there():
    steps = structure(chain("l_a/if_w_gt_10/c_scale,w_5/if_end/fl_layer_apply"))
    assert _shape(steps) == [("layer", "a", ["if_w_gt_10", "c_scale,w_5", "if_end"], "fl_layer_apply")]


def test_placement_of_multi_component_form():
    (block,) = structure(chain("l_a,e_multiply,w_10/fl_layer_apply,fl_tiled,g_north_east,x_0.1,y_-5"))
    place = placement(block)
    assert place.mode == "multiply"
    assert "tiled" in place.flags
    assert place.gravity.compass == "north_east"
    assert (place.x.value, place.x.relative, place.y.value) == (0.1, True, -5)
    assert [str(c) for c in layer_chain(block, (100, 100))] == ["w_10"]


def test_blend_in_the_apply_component_wins():
    (block,) = structure(chain("l_a/fl_layer_apply,e_screen"))
    assert placement(block).mode == "screen"
    (block,) = structure(chain("l_a/fl_layer_apply,g_center"))
    assert placement(block).mode == "over"


def test_fl_relative_makes_sizes_base_pixels():
    (block,) = structure(chain("l_a,w_0.5/c_scale,h_0.25,fl_relative/e_sepia/fl_layer_apply,fl_relative"))
    got = [str(c) for c in layer_chain(block, (1000, 800))]
    assert got == ["w_500", "c_scale,h_200", "e_sepia"]
    (block,) = structure(chain("l_a,w_0.5/fl_layer_apply"))
    assert [str(c) for c in layer_chain(block, (1000, 800))] == ["w_0.5"]


def test_text_layer_chain_drops_the_text_colour():
    (block,) = structure(chain("co_red,l_text:Arial_20:Hi,w_100/fl_layer_apply"))
    assert [str(c) for c in layer_chain(block, (10, 10))] == ["w_100"]


def test_plain_chain_is_unchanged():
    comps = chain("c_scale,w_10/e_sepia")
    assert structure(comps) == list(comps)
    assert all(isinstance(s, Component) for s in structure(comps))
