"""Named transformations (`t_<name>`, `t_a.b`) expanded by `expand_named`."""

from __future__ import annotations

import pytest

from _program_support import MiniPipeline, chain, components
from edge.render.program import MAX_NAMED_DEPTH, expand_named
from edge.url import UrlError

NAMED = {
    "thumb": "c_scale,w_100",
    "sepia": "e_sepia",
    "two": "c_scale,w_300/e_grayscale",
    "outer": "t_thumb/e_sharpen",
    "half": "c_scale,w_$w_div_2",
    "loop_a": "t_loop_b",
    "loop_b": "t_loop_a",
    "self": "e_sepia/t_self",
}


def _expand(text: str, named=NAMED) -> list[str]:
    return [str(c) for c in expand_named(chain(text), named, components)]


def test_single_name_is_replaced_by_its_components():
    assert _expand("t_two") == ["c_scale,w_300", "e_grayscale"]


def test_several_names_expand_in_order():
    assert _expand("t_thumb.sepia") == ["c_scale,w_100", "e_sepia"]
    assert _expand("t_sepia.thumb") == ["e_sepia", "c_scale,w_100"]


def test_named_components_come_before_the_other_params_of_the_component():
    assert _expand("c_fill,h_50,t_sepia/e_blur") == ["e_sepia", "c_fill,h_50", "e_blur"]


def test_named_transformations_nest():
    assert _expand("t_outer") == ["c_scale,w_100", "e_sharpen"]


def test_unknown_name_is_a_url_error():
    with pytest.raises(UrlError, match="Unknown named transformation: nope"):
        _expand("t_thumb.nope")


@pytest.mark.parametrize("name", ["loop_a", "self"])
def test_recursion_is_stopped(name):
    with pytest.raises(UrlError, match="nesting too deep"):
        _expand(f"t_{name}")


def test_depth_limit():
    deep = {f"n{i}": f"t_n{i + 1}" for i in range(MAX_NAMED_DEPTH + 2)}
    deep[f"n{MAX_NAMED_DEPTH + 2}"] = "e_sepia"
    with pytest.raises(UrlError, match="nesting too deep"):
        _expand("t_n0", deep)
    shallow = {f"n{i}": f"t_n{i + 1}" for i in range(3)}
    shallow["n3"] = "e_sepia"
    assert _expand("t_n0", shallow) == ["e_sepia"]


def test_per_component_condition_guards_the_whole_expansion(cat):
    expanded = expand_named(chain("if_w_gt_5000,t_two"), NAMED, components)
    assert [str(c) for c in expanded] == ["if_w_gt_5000", "c_scale,w_300", "e_grayscale", "if_end"]
    assert MiniPipeline().render(cat, expanded).width == 451
    expanded = expand_named(chain("if_w_gt_400,t_thumb"), NAMED, components)
    assert MiniPipeline().render(cat, expanded).width == 100


def test_variables_reach_the_named_transformation(cat):
    expanded = expand_named(chain("$w_300,t_half"), NAMED, components)
    assert [str(c) for c in expanded] == ["$w_300", "c_scale,w_$w_div_2"]
    assert MiniPipeline().render(cat, expanded).width == 150


def test_chain_without_t_is_unchanged():
    comps = chain("c_scale,w_10/e_sepia")
    assert expand_named(comps, NAMED, components) == comps
