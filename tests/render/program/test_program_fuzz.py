"""Whatever chain a client sends, the interpreter answers or raises a 400-class error."""

from __future__ import annotations

import pyvips
from hypothesis import given, settings
from hypothesis import strategies as st

from _program_support import IMAGES, components
from edge.render.errors import RenderError
from edge.render.layers import LayerBlock, structure
from edge.render.program import ImageState, expand_named, run
from edge.url import UrlError

VOCABULARY = [
    "if_w_gt_h", "if_else", "if_end", "if_fc_gt_0", "if_$a_eq_!x!", "if_!a:b!_in_tags",
    "$a_10", "$a_!x!", "$b_$a_div_0", "$c_w_mul_$a", "$d_ref:!id!", "c_scale,w_$a",
    "c_scale,w_$c_div_100", "w_iw_div_2", "e_blur:$a", "e_$a", "q_$a", "l_hopper", "l_hopper,w_10",
    "fl_layer_apply", "fl_layer_apply,x_$a", "u_hopper,w_0.5", "t_named", "t_missing",
    "if_w_gt_1,t_named", "a_$a", "o_$b", "if_tar_gt_1",
]


def _apply(step, env):
    if isinstance(step, LayerBlock):
        return ImageState(100, 100, 400, 300)
    w = step.get("w")
    width = int(w.value) if w is not None and not w.relative else 100
    return ImageState(max(1, width), 50, 400, 300)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY), max_size=12))
def test_any_chain_runs_or_raises_a_client_error(parts):
    try:
        comps = components("/".join(parts)) if parts else ()
        comps = expand_named(comps, {"named": "c_scale,w_50/t_named2", "named2": "e_sepia"}, components)
        state = run(structure(comps), ImageState(400, 300, 400, 300, tags=("a",)), _apply)
    except UrlError:
        return
    except RenderError as exc:
        assert exc.status == 400
        return
    assert isinstance(state, ImageState)


def test_state_of_an_animation_uses_the_frame_height():
    image = pyvips.Image.new_from_file(str(IMAGES / "animated_newtons_cradle.gif"), n=-1)
    state = ImageState.of(image)
    assert state.page_count == image.get("n-pages") > 1
    assert (state.width, state.height) == (200, 150)
    assert state.advanced(image.crop(0, 0, 50, image.height)).width == 50
