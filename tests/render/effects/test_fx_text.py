"""Text rendering for `l_text:` layers (edge/render/ops/text.py) with the bundled font."""

from __future__ import annotations

import numpy as np
import pytest

from edge.render.errors import LimitError, RenderError
from edge.render.ops.blend import composite, place
from edge.render.ops.text import font_file, markup, render_text
from edge.url.ast import TextStyle
from fx_support import arr, color

BLACK = color(0, 0, 0)


def style(**kw) -> TextStyle:
    base = {"font": "Arial", "size": 40}
    base.update(kw)
    return TextStyle(**base)


def ink(image) -> np.ndarray:
    return arr(image)[..., 3]


def test_bundled_faces_exist_with_licence():
    for bold in (False, True):
        for italic in (False, True):
            assert font_file(bold, italic).is_file()
    assert (font_file(False, False).parent / "LICENSE-DejaVu.txt").is_file()


def test_render_text_is_rgba_in_the_requested_colour():
    im = render_text("Hello", style(), color(200, 30, 10))
    a = arr(im)
    assert im.bands == 4 and im.interpretation == "srgb" and im.format == "uchar"
    assert 25 <= im.height <= 60 and im.width > 80
    covered = a[..., 3] > 0
    assert covered.mean() > 0.1
    assert (a[covered][:, :3] == [200, 30, 10]).all()


def test_size_scales_the_box():
    small = render_text("Edge", style(size=20), BLACK)
    big = render_text("Edge", style(size=80), BLACK)
    assert big.width == pytest.approx(small.width * 4, rel=0.15)
    assert big.height == pytest.approx(small.height * 4, rel=0.2)


def test_bold_has_more_ink_and_italic_differs():
    regular = render_text("Typography", style(), BLACK)
    bold = render_text("Typography", style(weight="bold"), BLACK)
    italic = render_text("Typography", style(style="italic"), BLACK)
    assert ink(bold).sum() > ink(regular).sum() * 1.2
    assert italic.width != regular.width or not np.array_equal(ink(italic), ink(regular))


def test_underline_adds_a_full_width_line():
    plain = render_text("sun", style(), BLACK)
    under = render_text("sun", style(decoration="underline"), BLACK)
    rows = (ink(under) > 128).mean(axis=1)
    assert rows.max() > 0.9  # one row is covered nearly edge to edge
    assert (ink(plain) > 128).mean(axis=1).max() < 0.9
    strike = render_text("sun", style(decoration="strikethrough"), BLACK)
    assert (ink(strike) > 128).mean(axis=1).max() > 0.9


def test_letter_spacing_and_line_spacing():
    tight = render_text("spacing", style(), BLACK)
    wide = render_text("spacing", style(letter_spacing=10), BLACK)
    assert wide.width >= tight.width + 6 * 10 - 2
    one = render_text("a\nb", style(), BLACK)
    spaced = render_text("a\nb", style(line_spacing=30), BLACK)
    assert spaced.height >= one.height + 25


def test_width_wraps_lines_and_align_is_accepted():
    line = render_text("the quick brown fox jumps over", style(size=20), BLACK)
    wrapped = render_text("the quick brown fox jumps over", style(size=20), BLACK, width=120)
    assert wrapped.width <= 120 and wrapped.height > line.height * 2
    right = render_text("a\nlonger line", style(size=20, align="right"), BLACK)
    left = render_text("a\nlonger line", style(size=20, align="left"), BLACK)
    assert not np.array_equal(ink(right), ink(left))


def test_markup_is_escaped_and_colour_alpha_applies():
    assert markup("<b>&", style()) == "&lt;b&gt;&amp;"
    im = render_text("<b>not bold</b> & co", style(), BLACK)
    assert im.width > 200  # the tags are drawn as text, not parsed
    half = render_text("Half", style(), color(0, 0, 0, 128))
    assert ink(half).max() <= 129 and ink(half).max() >= 120


def test_unicode_text_renders():
    im = render_text("Ünïcødé €", style(), BLACK)
    assert ink(im).sum() > 0


def test_bad_text_input():
    with pytest.raises(RenderError):
        render_text("", style(), BLACK)
    with pytest.raises(RenderError):
        render_text("x", style(size=0), BLACK)
    with pytest.raises(LimitError):
        render_text("x", style(size=5000), BLACK)
    with pytest.raises(LimitError):
        render_text("x" * 20000, style(size=10), BLACK)


def test_text_overlay_changes_pixels_only_inside_its_box(coffee):
    text = render_text("Coffee", style(size=36, weight="bold"), color(255, 255, 255))
    left, top = place((coffee.width, coffee.height), (text.width, text.height), "south_east", 10, 12)
    out = arr(composite(coffee, text, left, top))
    src = arr(coffee)
    assert out.shape == src.shape
    box = np.zeros(src.shape[:2], bool)
    box[top : top + text.height, left : left + text.width] = True
    changed = np.abs(out - src).sum(axis=2) > 0
    assert changed[box].mean() > 0.1
    assert not changed[~box].any()
    assert left + text.width == coffee.width - 10 and top + text.height == coffee.height - 12


def test_whitespace_text_is_a_transparent_box_and_huge_text_is_413():
    blank = render_text("   ", style(size=20), BLACK)
    assert blank.bands == 4 and blank.width > 10 and ink(blank).max() == 0
    with pytest.raises(LimitError):
        render_text("W" * 3000, style(size=40), BLACK)
