"""Region effects through the pipeline: `x`, `y`, `w`, `h` give the region, not a resize."""

from __future__ import annotations

import numpy as np

from edge.render import render
from edge.url import parse
from render_support import IMAGES, pixels

SRC = (IMAGES / "landscape_aitzgorri.jpg").read_bytes()


def test_pixelate_region_changes_only_its_box_and_keeps_the_size():
    plain = pixels(render(SRC, parse("/demo/image/upload/w_300/f_png/x.png")).data).astype(int)
    out = render(SRC, parse("/demo/image/upload/w_300/e_pixelate_region:20,x_10,y_10,w_100,h_50/f_png/x.png"))
    assert (out.width, out.height) == (300, 200)
    diff = np.abs(pixels(out.data).astype(int) - plain).sum(axis=2) > 0
    assert diff[10:60, 10:110].mean() > 0.5  # the region is pixelated
    outside = diff.copy()
    outside[10:60, 10:110] = False
    assert not outside.any()  # and nothing else changed


def test_relative_region_is_a_fraction_of_the_image():
    out = render(SRC, parse("/demo/image/upload/w_300/e_blur_region:300,x_0.5,y_0.5,w_0.5,h_0.5/f_png/x.png"))
    assert (out.width, out.height) == (300, 200)
