"""The registry covers every non-AI effect of url-spec §9; bad arguments are UrlErrors;
generative-AI effects answer a clear 400."""

from __future__ import annotations

import pytest

from edge.render.effects import names
from edge.render.errors import RenderError
from edge.url.errors import UrlError
from fx_support import run

SPEC_EFFECTS = """
blackwhite sepia negate blur blur_region pixelate pixelate_region sharpen unsharp_mask
brightness brightness_hsb contrast saturation gamma hue red green blue vibrance
auto_brightness auto_color auto_contrast improve fill_light vignette oil_paint cartoonify
art colorize tint replace_color make_transparent trim outline shadow dropshadow
opacity_threshold ordered_dither gradient_fade distort shear recolor morphology
assist_colorblind simulate_colorblind
""".split()


def test_every_spec_effect_is_registered():
    missing = set(SPEC_EFFECTS) - names()
    assert not missing


# (effect, args) pairs outside the spec's ranges
OUT_OF_RANGE = [
    ("blackwhite", ("101",)),
    ("blackwhite", ("-1",)),
    ("sepia", ("0",)),
    ("sepia", ("101",)),
    ("blur", ("0",)),
    ("blur", ("2001",)),
    ("blur_region", ("2001",)),
    ("pixelate", ("0",)),
    ("pixelate", ("201",)),
    ("pixelate", ("2.5",)),
    ("pixelate_region", ("201",)),
    ("sharpen", ("2001",)),
    ("unsharp_mask", ("0",)),
    ("brightness", ("-100",)),
    ("brightness", ("101",)),
    ("brightness_hsb", ("-100",)),
    ("contrast", ("101",)),
    ("contrast", ("-101",)),
    ("saturation", ("-101",)),
    ("gamma", ("-51",)),
    ("gamma", ("151",)),
    ("hue", ("101",)),
    ("red", ("101",)),
    ("green", ("-101",)),
    ("blue", ("abc",)),
    ("vibrance", ("101",)),
    ("auto_brightness", ("101",)),
    ("auto_color", ("-1",)),
    ("auto_contrast", ("150",)),
    ("improve", ("outdoor", "101")),
    ("fill_light", ("101",)),
    ("fill_light", ("50", "101")),
    ("vignette", ("101",)),
    ("oil_paint", ("101",)),
    ("cartoonify", ("101",)),
    ("cartoonify", ("50", "101")),
    ("colorize", ("101",)),
    ("tint", ("101",)),
    ("make_transparent", ("101",)),
    ("trim", ("101",)),
    ("trim", ("10", "nocolour")),
    ("outline", ("outer", "0")),
    ("outline", ("outer", "101")),
    ("outline", ("5", "201")),
    ("shadow", ("101",)),
    ("opacity_threshold", ("0",)),
    ("opacity_threshold", ("101",)),
    ("ordered_dither", ("19",)),
    ("ordered_dither", ("1.5",)),
    ("gradient_fade", ("101",)),
    ("gradient_fade", ("diagonal",)),
    ("assist_colorblind", ("0",)),
    ("assist_colorblind", ("101",)),
    ("simulate_colorblind", ("martian",)),
    ("negate", ("5",)),
]


@pytest.mark.parametrize("name,args", OUT_OF_RANGE, ids=[f"{n}:{':'.join(a)}" for n, a in OUT_OF_RANGE])
def test_out_of_range_arguments_are_url_errors(hats, name, args):
    with pytest.raises(UrlError) as info:
        run(name, hats, *args)
    assert f"e_{name}" in str(info.value)


@pytest.mark.parametrize(
    "name,options",
    [
        ("contrast", [("level", "201"), ("type", "linear")]),
        ("contrast", [("level", "0"), ("type", "linear")]),
        ("contrast", [("type", "wavy")]),
        ("dropshadow", [("azimuth", "361")]),
        ("dropshadow", [("elevation", "91")]),
        ("dropshadow", [("spread", "-1")]),
    ],
)
def test_out_of_range_named_options(bird, name, options):
    with pytest.raises(UrlError):
        run(name, bird, options=options)


@pytest.mark.parametrize("name", ["gen_remove", "gen_replace", "gen_recolor", "gen_background_replace", "gen_restore", "upscale", "enhance", "auto_enhance"])
def test_generative_effects_are_a_clear_400(hats, name):
    with pytest.raises(RenderError) as info:
        run(name, hats)
    assert info.value.status == 400
    assert f"e_{name} is not available in this Edge: it needs generative AI" in str(info.value)


def test_unimplemented_add_on_is_a_clear_400(hats):
    with pytest.raises(RenderError) as info:
        run("vectorize", hats)
    assert info.value.status == 400 and "e_vectorize" in str(info.value)


@pytest.mark.parametrize("name", SPEC_EFFECTS)
def test_every_effect_copes_with_a_one_pixel_wide_strip(name, hats):
    """Every effect copes with a 1-px-wide strip of the photo (no crash, valid output)."""
    strip = hats.crop(100, 50, 1, 40)
    args = {
        "art": ("zorro",),
        "distort": ("0", "0", "1", "0", "1", "40", "0", "40"),
        "shear": ("10", "0"),
        "recolor": tuple("1 0 0 0 1 0 0 0 1".split()),
        "replace_color": ("blue",),
    }.get(name, ())
    out = run(name, strip, *args)
    assert out.width >= 1 and out.height >= 1
