"""Fuzz: any transformation the parser accepts renders or fails with a RenderError, never
anything else (no 500), on a real photo and an animation."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.render import Limits, RenderError, render
from edge.url import UrlError, parse
from render_support import photo

PARAMS = [
    "c_scale", "c_fit", "c_limit", "c_mfit", "c_fill", "c_lfill", "c_pad", "c_lpad", "c_mpad",
    "c_fill_pad", "c_crop", "c_thumb", "c_auto", "c_auto_pad",
    "w_1", "w_50", "w_0.5", "w_1.5", "w_iw_div_3", "w_3000", "h_40", "h_0.25", "h_ih_mul_2",
    "ar_16:9", "ar_0.5", "x_10", "x_-20", "y_0.3", "z_0.5", "z_2", "dpr_2.0", "dpr_auto",
    "g_north_west", "g_south_east", "g_auto", "g_face", "g_faces:center", "g_cat:dog", "g_ocr_text",
    "g_auto:cat_avoid", "g_xy_center", "a_90", "a_33", "a_hflip", "a_ignore", "r_20", "r_max",
    "r_5:50", "bo_3px_solid_red", "b_blue", "b_auto", "b_rgb:00ff0080", "o_30", "e_grayscale",
    "q_10", "q_auto:low", "q_90:444", "f_webp", "f_png", "f_gif", "f_auto", "pg_2",
    "pg_1e400", "pg_0", "w_1e308", "x_-1e308",
    "fl_progressive", "fl_lossy", "fl_strip_profile", "fl_getinfo", "fl_ignore_aspect_ratio",
    "if_w_gt_60", "if_else", "if_end", "$v_30", "w_$v", "t_named", "l_text:Arial_20:Hi",
    "l_text:Arial_12_bold:Edge", "fl_layer_apply", "e_sepia", "e_blur:300", "e_multiply",
]

component = st.lists(st.sampled_from(PARAMS), min_size=1, max_size=5).map(lambda ps: ",".join(ps))
chain = st.lists(component, min_size=1, max_size=3).map(lambda cs: "/".join(cs))
LIMITS = Limits(max_output_side=2048)


@settings(max_examples=int(__import__("os").environ.get("EDGE_FUZZ_EXAMPLES", "200")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t=chain, name=st.sampled_from(["tiny_hopper_128.jpg", "animated_tiny.gif", "alpha_bird_rgba.png", "tiny_1x1.png"]))
def test_any_parsed_transformation_renders_or_raises_render_error(t, name):
    try:
        request = parse(f"/demo/image/upload/{t}/sample.jpg")
    except UrlError:
        return
    try:
        out = render(
            photo(name), request, accept="image/webp", dpr_hint=2.0, limits=LIMITS,
            named={"named": "c_fill,w_40,h_30/e_grayscale"},
        )
    except RenderError as exc:
        assert exc.status in (400, 413) and str(exc)
        return
    except UrlError as exc:  # chain-level errors (unbalanced if_, effect arguments)
        assert str(exc)
        return
    assert out.data and out.width >= 1 and out.height >= 1
