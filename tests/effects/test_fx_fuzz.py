"""Whatever arguments a client writes, an effect answers with an image, a UrlError or a
RenderError (never another exception): fuzzed with hypothesis on a small real photo."""

from __future__ import annotations

import pyvips
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.render.effects import EffectContext, lookup, names
from edge.render.errors import RenderError
from edge.url.ast import Component, Effect, Param
from edge.url.errors import UrlError
from fx_support import load

_IMAGE: pyvips.Image = load("kodim03_hats.png", 48)
# the effects of this family's modules (other modules of the registry have their own tests)
_OWN = {"tone", "chroma", "blur", "pixelate", "sharpen", "auto", "artistic", "dither", "transparency", "trim",
        "replace_color", "tint", "outline", "shadow", "geometry", "morphology", "colorblind", "art", "unavailable"}
_NAMES = sorted(n for n in names() if lookup(n).__module__.rsplit(".", 1)[-1] in _OWN)
_TOKENS = st.one_of(
    st.integers(-3000, 3000).map(str),
    st.floats(-500, 500, allow_nan=False).map(lambda f: f"{f:.2f}"),
    st.sampled_from(["", "auto", "bw", "xray", "red", "rgb:00ff00", "#fff", "inner", "outer", "fill", "arc",
                     "symmetric", "equalize", "50p", "indoor", "nan", "inf", "-0", "1e9", "zorro", "protanopia"]),
    st.text(alphabet="abcdefxyz0123456789_.-", max_size=8),
)
_OPTIONS = st.lists(
    st.tuples(st.sampled_from(["level", "type", "method", "kernel", "iterations", "radius", "azimuth", "elevation", "spread"]), _TOKENS),
    max_size=3,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(_NAMES), args=st.lists(_TOKENS, max_size=9), options=_OPTIONS)
def test_effects_never_fail_unexpectedly(name, args, options):
    effect = Effect(name=name, args=tuple(args), text=name, options=tuple(options))
    ctx = EffectContext(component=Component(params=(Param("e", effect, name),)))
    try:
        out = lookup(name)(_IMAGE, effect, ctx)
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
