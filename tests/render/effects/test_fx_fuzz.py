"""Whatever arguments a client writes, an effect answers with an image, a UrlError or a
RenderError (never another exception): fuzzed with hypothesis on small real photos, with and
without a FocusProvider (one that finds boxes with masks and knows no `unicorn`)."""

from __future__ import annotations

import pyvips
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.render.effects import EffectContext, lookup, names
from edge.render.errors import RenderError
from edge.url.ast import Component, Effect, Gravity, Length, Param
from edge.url.errors import UrlError
from fx_support import FixedFocus, load

_IMAGE: pyvips.Image = load("kodim03_hats.png", 48)
_IMAGES = [_IMAGE, load("alpha_bird_rgba.png", 40), _IMAGE.crop(0, 0, 1, 1), _IMAGE.crop(5, 5, 2, 7)]
_BOXES = [(10, 8, 20, 16), (-4, 30, 12, 400)]  # one inside, one partly outside the image
_FOCUS = FixedFocus({t: _BOXES for t in ("faces", "ocr_text", "saliency", "cup", "dog")}, masks=True,
                    unknown=frozenset({"unicorn"}))
_NAMES = sorted(names())
_TOKENS = st.one_of(
    st.integers(-3000, 3000).map(str),
    st.floats(-500, 500, allow_nan=False).map(lambda f: f"{f:.2f}"),
    st.sampled_from(["", "auto", "bw", "xray", "red", "rgb:00ff00", "#fff", "inner", "outer", "fill", "arc",
                     "symmetric", "equalize", "50p", "indoor", "nan", "inf", "-0", "1e9", "zorro", "protanopia",
                     "true", "y", "mask", "cup", "(cup;unicorn)", "()", "(g_faces;zoom_2)", "(g_unicorn)",
                     "(g_auto;x_0.3;y_9)", "(zoom_9)", "(g_)", "(;;)", "ztl", "plr"]),
    st.text(alphabet="abcdefxyz0123456789_.-();", max_size=8),
)
_OPTIONS = st.lists(
    st.tuples(st.sampled_from(["level", "type", "method", "kernel", "iterations", "radius", "azimuth", "elevation",
                               "spread", "prompt", "multiple", "invert", "mode", "fineedges", "maxzoom", "du",
                               "fps", "from", "to"]), _TOKENS),
    max_size=3,
)
_PARAMS = st.lists(
    st.sampled_from([("x", Length(5, False, "5")), ("y", Length(-3, False, "-3")), ("w", Length(0.5, True, "0.5")),
                     ("h", Length(900, False, "900")), ("g", Gravity(kind="ocr_text", text="ocr_text")),
                     ("g", Gravity(kind="faces", text="faces"))]),
    max_size=3,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(_NAMES), args=st.lists(_TOKENS, max_size=9), options=_OPTIONS, params=_PARAMS,
       image=st.sampled_from(_IMAGES), focus=st.sampled_from([None, _FOCUS]))
def test_effects_never_fail_unexpectedly(name, args, options, params, image, focus):
    effect = Effect(name=name, args=tuple(args), text=name, options=tuple(options))
    component = Component(params=(Param("e", effect, name),) + tuple(Param(k, v, str(v)) for k, v in params))
    try:
        out = lookup(name)(image, effect, EffectContext(component=component, focus=focus))
        out = out.copy_memory()
    except (UrlError, RenderError):
        return
    assert out.format == "uchar" and out.bands in (3, 4)
    assert 1 <= out.width <= 16384 and 1 <= out.height <= 16384


@settings(max_examples=120, deadline=None)
@given(content=st.text(min_size=0, max_size=40), size=st.integers(-5, 120), spacing=st.floats(-20, 40, allow_nan=False))
def test_text_rendering_never_fails_unexpectedly(content, size, spacing):
    from edge.render.ops.text import render_text
    from edge.url.ast import Color, TextStyle

    style = TextStyle(font="Arial", size=size, letter_spacing=spacing, line_spacing=spacing, decoration="underline")
    try:
        out = render_text(content, style, Color(10, 20, 30, 255, "c"))
    except RenderError:
        return
    assert out.bands == 4 and out.format == "uchar" and out.width >= 1 and out.height >= 1
