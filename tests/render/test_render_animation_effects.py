"""Effects on animations and absurd border widths (found in review: a 500 and a wrong output)."""

from __future__ import annotations

import pytest

from edge.render import LimitError, render
from edge.url import parse
from render_support import IMAGES

GIF = (IMAGES / "animated_tiny.gif").read_bytes()  # 14 x 25, 24 frames


def test_zoompan_on_an_animation_runs_once_on_its_first_frame():
    out = render(GIF, parse("/demo/image/upload/e_zoompan:du_1;fps_5/f_gif/x.gif"))
    assert out.frames == 5  # 1 s at 5 fps, not 5 frames for each of the 24 source frames
    assert (out.width, out.height) == (14, 25)


def test_a_per_frame_effect_keeps_every_frame_and_one_frame_size():
    out = render(GIF, parse("/demo/image/upload/e_trim/f_gif/x.gif"))
    assert out.frames == 24
    assert out.width <= 14 and out.height <= 25


def test_an_absurd_border_width_is_a_limit_error_not_a_crash():
    with pytest.raises(LimitError):
        render((IMAGES / "tiny_hopper_128.jpg").read_bytes(), parse("/demo/image/upload/bo_999999999999999999px_solid_red/x.jpg"))
