"""Conditional transformations (`if_`, `if_else`, `if_end`) run by `edge.render.program.run`."""

from __future__ import annotations

import pytest

from _program_support import MiniPipeline, chain, components
from edge.render.errors import RenderError
from edge.render.program import ImageState, environment, evaluate, run
from edge.url import UrlError
from edge.url.expr import parse_expr

BRANCHES = "if_w_gt_h/c_scale,w_100/if_else/c_scale,h_100/if_end"


def test_if_else_picks_width_branch_for_landscape(cat):
    out = MiniPipeline().render(cat, chain(BRANCHES))
    assert out.width == 100
    assert out.height == round(300 * 100 / 451)


def test_if_else_picks_height_branch_for_portrait(portrait):
    out = MiniPipeline().render(portrait, chain(BRANCHES))
    assert out.height == 100
    assert out.width == round(290 * 100 / 442)


def test_only_the_taken_branch_reaches_apply(cat):
    mini = MiniPipeline()
    mini.render(cat, chain(BRANCHES))
    assert [str(c) for c in mini.applied] == ["c_scale,w_100"]


def test_conditions_read_the_current_image_not_the_initial_one(cat):
    # after the first component the image is 100 px wide: the block runs; iw stays 451
    mini = MiniPipeline()
    out = mini.render(cat, chain("c_scale,w_100/if_w_lt_200/c_scale,w_50/if_end/if_iw_lt_200/c_scale,w_10/if_end"))
    assert out.width == 50
    assert out.initial_width == 451


def test_per_component_condition_guards_only_its_component(cat):
    out = MiniPipeline().render(cat, chain("if_w_gt_1000,c_scale,w_10/c_scale,w_200"))
    assert out.width == 200
    mini = MiniPipeline()
    out = mini.render(cat, chain("if_w_gt_400,c_scale,w_10/c_scale,h_20"))
    assert [str(c) for c in mini.applied] == ["c_scale,w_10", "c_scale,h_20"]
    assert out.height == 20


@pytest.mark.parametrize(
    "cond, expected",
    [
        ("w_gt_400_and_h_lt_400", True),  # 451 x 300
        ("w_gt_400_and_h_gt_400", False),
        ("w_gt_1000_or_h_lt_400", True),
        ("w_gt_1000_or_h_gt_400", False),
        ("w_gt_1000_or_h_gt_400_or_ar_gt_1.4", True),  # ar = 1.503
        ("w_gt_400_and_h_gt_400_or_iar_lt_2", True),  # and binds tighter than or
        ("w_lte_451_and_h_gte_300_and_w_ne_450", True),
        ("w_eq_451_and_h_eq_301", False),
    ],
)
def test_and_or(cat, cond, expected):
    out = MiniPipeline().render(cat, chain(f"if_{cond}/c_scale,w_10/if_end"))
    assert (out.width == 10) is expected


def test_nested_blocks(cat, portrait):
    text = "if_w_gt_100/if_ar_gt_1/c_scale,w_77/if_else/c_scale,w_66/if_end/if_else/c_scale,w_55/if_end"
    assert MiniPipeline().render(cat, chain(text)).width == 77
    assert MiniPipeline().render(portrait, chain(text)).width == 66


def test_skipped_outer_block_skips_inner_else(cat):
    text = "if_w_gt_1000/if_w_gt_5000/c_scale,w_1/if_else/c_scale,w_2/if_end/if_end"
    mini = MiniPipeline()
    assert mini.render(cat, chain(text)).width == 451
    assert mini.applied == []


def test_face_count_is_lazy_and_computed_once(cat):
    calls = []

    def faces() -> int:
        calls.append(1)
        return 2

    MiniPipeline().render(cat, chain("if_w_gt_1/c_scale,w_100/if_end"), face_count=faces)
    assert calls == []
    out = MiniPipeline().render(cat, chain("if_fc_gt_1_and_fc_lt_5/c_scale,w_100/if_end"), face_count=faces)
    assert out.width == 100
    assert calls == [1]
    calls.clear()
    out = MiniPipeline().render(cat, chain("if_fc_gt_1/c_scale,w_100/if_end/$n_fc/c_scale,w_$n_mul_30"), face_count=faces)
    assert out.width == 60
    assert calls == [1]  # one detection for the whole chain


def test_fc_without_detector_is_a_400(cat):
    with pytest.raises(RenderError) as info:
        MiniPipeline().render(cat, chain("if_fc_gt_0/c_scale,w_100/if_end"))
    assert info.value.status == 400


def test_tags_in_nin_and_context(cat):
    state = dict(tags=("sale", "new", "red"), context={"productType": "shoes"})
    text = "if_!sale:new!_in_tags/c_scale,w_10/if_end"
    assert MiniPipeline().render(cat, chain(text), **state).width == 10
    text = "if_!sale:old!_in_tags/c_scale,w_10/if_end"
    assert MiniPipeline().render(cat, chain(text), **state).width == 451
    text = "if_!old!_nin_tags/c_scale,w_10/if_end"
    assert MiniPipeline().render(cat, chain(text), **state).width == 10
    text = "if_ctx:!productType!_eq_!shoes!/c_scale,w_10/if_end"
    assert MiniPipeline().render(cat, chain(text), **state).width == 10
    text = "if_ctx:!productType!_eq_!hats!/c_scale,w_10/if_end"
    assert MiniPipeline().render(cat, chain(text), **state).width == 451


def test_page_count(cat):
    assert MiniPipeline().render(cat, chain("if_pc_eq_1/c_scale,w_10/if_end")).width == 10
    assert MiniPipeline().render(cat, chain("if_pc_gt_1/c_scale,w_10/if_end")).width == 451


@pytest.mark.parametrize(
    "text",
    ["if_else/c_scale,w_10/if_end", "c_scale,w_10/if_end", "if_w_gt_1/if_else/if_else/if_end"],
)
def test_unbalanced_blocks_raise_url_error(cat, text):
    with pytest.raises(UrlError):
        MiniPipeline().render(cat, components(text))


def test_run_returns_state_with_variables_and_apply_gets_them(cat):
    mini = MiniPipeline()
    out = mini.render(cat, chain("$big_300/c_scale,w_$big"))
    assert out.variables["$big"] == 300.0
    assert mini.envs[0]["$big"] == 300.0
    with pytest.raises(TypeError):
        mini.envs[0]["$big"] = 1  # read-only mapping


def test_run_without_images_uses_only_the_state():
    # the interpreter needs no pixels: a state and a callback are enough
    seen = []

    def apply(comp, env):
        seen.append(str(comp))
        return ImageState(50, 50, 800, 600)

    state = ImageState(800, 600, 800, 600)
    run(chain("if_w_gt_h/c_scale,w_50/if_end/if_w_gt_h/c_scale,w_25/if_else/c_scale,w_10/if_end"), state, apply)
    assert seen == ["c_scale,w_50", "c_scale,w_10"]


def test_evaluate_errors_are_http_errors():
    env = environment(ImageState(100, 50, 100, 50))
    assert evaluate(parse_expr("w_div_h_add_1"), env) == 3.0
    with pytest.raises(UrlError, match=r"\$nope"):
        evaluate(parse_expr("$nope_mul_2"), env)
    with pytest.raises(RenderError):
        evaluate(parse_expr("tar_gt_1"), env)
