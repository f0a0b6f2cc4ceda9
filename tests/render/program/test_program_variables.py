"""User variables (`$name_<value>`) and expression resolution (`resolve`)."""

from __future__ import annotations

import pytest

from _program_support import MiniPipeline, chain, components
from edge.render.errors import RenderError
from edge.render.program import ImageState, environment, resolve
from edge.url import UrlError
from edge.url.ast import Length


def _resolved(text: str, state: ImageState | None = None, **variables):
    state = state or ImageState(400, 300, 800, 600)
    (comp,) = components(text)
    return resolve(comp, environment(state, {f"${k}": v for k, v in variables.items()}))


def test_variable_times_two_resolves_to_200(cat):
    mini = MiniPipeline()
    out = mini.render(cat, chain("$w_100/c_scale,w_$w_mul_2"))
    (applied,) = mini.applied
    assert applied.get("w") == Length(200, False, "200")
    assert str(applied) == "c_scale,w_200"
    assert out.width == 200


def test_variable_defined_with_other_params_is_set_first(cat):
    out = MiniPipeline().render(cat, chain("$half_iw_div_2,c_scale,w_$half"))
    assert out.width == 226  # 225.5 rounds half up


def test_variables_over_characteristics_and_other_variables(cat):
    mini = MiniPipeline()
    out = mini.render(cat, chain("$a_w_div_11/$b_$a_add_9/c_scale,w_$b_mul_$a_sub_0"))
    # a = 451/11 = 41, b = 50, w = 50*41 - 0
    assert out.width == 2050
    assert out.variables["$a"] == 41.0 and out.variables["$b"] == 50.0


def test_variables_are_evaluated_when_defined(cat):
    # $w0 keeps the width at its definition, not the width at use
    out = MiniPipeline().render(cat, chain("$w0_w/c_scale,w_100/c_scale,w_$w0_div_2"))
    assert out.width == 226


def test_cloudinary_border_example_clamps_with_per_component_if(cat):
    # $bordersize_w_mul_0.1/if_$bordersize_gt_15,$bordersize_15 (Cloudinary product update)
    mini = MiniPipeline()
    out = mini.render(cat, chain("$bs_w_mul_0.1/if_$bs_gt_15,$bs_15/c_scale,w_$bs_mul_10"))
    assert out.variables["$bs"] == 15.0
    assert out.width == 150
    out = MiniPipeline().render(cat, chain("c_scale,w_100/$bs_w_mul_0.1/if_$bs_gt_15,$bs_15/c_scale,w_$bs_mul_10"))
    assert out.variables["$bs"] == 10.0


def test_string_variable_and_string_comparison(cat):
    out = MiniPipeline().render(cat, chain("$mode_!wide!/if_$mode_eq_!wide!/c_scale,w_10/if_end"))
    assert out.variables["$mode"] == "wide"
    assert out.width == 10


def test_variable_in_a_skipped_branch_is_not_defined(cat):
    with pytest.raises(UrlError, match=r"\$v"):
        MiniPipeline().render(cat, chain("if_w_gt_5000/$v_10/if_end/c_scale,w_$v"))


def test_undefined_variable_is_a_url_error(cat):
    with pytest.raises(UrlError, match=r"Undefined variable \$nope"):
        MiniPipeline().render(cat, chain("c_scale,w_$nope"))


def test_division_by_zero_is_a_400(cat):
    with pytest.raises(RenderError) as info:
        MiniPipeline().render(cat, chain("$z_0/c_scale,w_iw_div_$z"))
    assert info.value.status == 400


def test_initial_variables_come_from_the_state(cat):
    out = MiniPipeline().render(cat, chain("c_scale,w_$width"), variables={"$width": 123.0})
    assert out.width == 123


def test_resolve_effect_argument_and_variable_effect_name():
    comp = _resolved("e_blur:$amount_mul_2", amount=150.0)
    effect = comp.get("e")
    assert (effect.name, effect.args, effect.text) == ("blur", ("300",), "blur:300")
    assert str(comp) == "e_blur:300"
    comp = _resolved("e_$ef:100", ef="sepia")
    assert comp.get("e").name == "sepia" and comp.get("e").args == ("100",)


def test_resolve_numeric_params():
    comp = _resolved("a_$a,dpr_$d,o_$o_div_2,q_$q,r_$r:20,x_w_div_4,y_h_sub_10,z_$d", a=90.0, d=2.0, o=100.0, q=55.0, r=12.0)
    assert comp.get("a") == (90.0,)
    assert comp.get("dpr") == 2.0 and comp.get("z") == 2.0
    assert comp.get("o") == 50.0
    assert comp.get("q").level == 55.0 and comp.get("q").text == "55"
    assert comp.get("r") == (12.0, 20.0)
    assert comp.get("x") == Length(100, False, "100")
    assert comp.get("y") == Length(290, False, "290")
    assert str(comp) == "a_90,dpr_2,o_50,q_55,r_12:20,x_100,y_290,z_2"


def test_resolve_keeps_plain_components_identical():
    (comp,) = chain("c_fill,g_auto,h_0.5,w_300")
    assert resolve(comp, environment(ImageState(10, 10, 10, 10))) is comp


def test_resolve_text_layer_interpolation_and_style_variable():
    comp = _resolved("$name_!World!,$st_!Arial_40_bold!,l_text:$st:Hello%20$(name)", name="World", st="Arial_40_bold")
    layer = comp.get("l")
    assert layer.content == "Hello World"
    assert (layer.style.font, layer.style.size, layer.style.weight) == ("Arial", 40, "bold")


def test_ar_expression():
    comp = _resolved("ar_iw_div_ih,c_fill,w_100")
    assert comp.get("ar") == pytest.approx(800 / 600)


def test_resolve_border_width_expression():
    # the AST contract types Border.width as int; resolve already handles an Expr width
    from edge.url.ast import Border, Color, Component, Param
    from edge.url.expr import parse_expr

    border = Border(parse_expr("$bs_mul_2"), Color(255, 0, 0, 255, "red"), "$bs_mul_2_solid_red")  # type: ignore[arg-type]
    comp = resolve(Component((Param("bo", border, border.text),)), environment(ImageState(1, 1, 1, 1), {"$bs": 7.5}))
    assert comp.get("bo").width == 15
    assert str(comp) == "bo_15px_solid_red"
