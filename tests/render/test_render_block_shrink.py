"""JPEG decode with libjpeg's own 1/2/4/8 scaling (issue 16, `jpeg_block_shrink`): the factor
follows the common reduction (sharp's fastShrinkOnLoad rule), EXIF orientation turns the
axes, other formats never use it, and the scaled decode gives the picture the thumbnailer's
decode gives (same size, nearly the same pixels, within 2 % of its bytes)."""

from __future__ import annotations

import pyvips
import pytest

from edge.render.source import decode, jpeg_block_shrink, read_header
from render_support import mad, photo, pixels, run


@pytest.mark.parametrize("size,block", [
    ((451, 300), 4),     # f = 6.85: 4, leaving 1.7 for the resize
    ((1544, 1028), 1),   # f = 2.0 = int(f): 2 halved to 1
    ((1000, 700), 1),    # f = 2.94, int(f) = 2: halved to 1
    ((900, 600), 2),     # f = 3.43
    ((386, 257), 4),     # f = 8.0 = int(f): 8 halved
    ((300, 200), 8),     # f = 10.3
    ((2000, 1500), 1),   # f = 1.37: no block shrink
])
def test_the_block_factor_follows_the_common_reduction(size, block):
    header = read_header(photo("landscape_aitzgorri.jpg"))
    assert (header.stored_width, header.stored_height) == (3088, 2056)
    assert jpeg_block_shrink(header, size) == block


def test_orientation_turns_the_axes_and_other_formats_never_block_shrink():
    turned = read_header(photo("exif_orient6_waterfall.jpg"))
    assert turned.orientation == 6 and (turned.stored_width, turned.stored_height) == (1200, 1800)
    assert jpeg_block_shrink(turned, (450, 300)) == 2  # displayed 1800x1200: f = 4 = int(f), halved
    assert jpeg_block_shrink(turned, (450, 300), autorotate=False) == 1  # stored 1200x1800: f = 2.67
    assert jpeg_block_shrink(read_header(photo("coffee.png")), (60, 40)) == 1


def test_the_scaled_decode_matches_the_thumbnailer():
    source = photo("landscape_aitzgorri.jpg")
    header = read_header(source)
    fast = decode(source, header, shrink_to=(451, 300))
    slow = pyvips.Image.thumbnail_buffer(source, 451, height=300, size="force").copy_memory()
    assert (fast.width, fast.height, fast.bands) == (451, 300, 3)
    a = pixels(fast.jpegsave_buffer(Q=95))
    b = pixels(slow.jpegsave_buffer(Q=95))
    assert mad(a, b) < 2.0
    ours = len(run("landscape_aitzgorri.jpg", "c_fill,w_400,h_300,q_80", "jpg").data)
    theirs = len(slow.crop(25, 0, 400, 300).jpegsave_buffer(Q=80, optimize_coding=True, keep="none"))
    assert abs(ours - theirs) / theirs < 0.02


def test_an_oriented_photo_is_upright_at_the_requested_size():
    out = run("exif_orient6_waterfall.jpg", "c_fill,w_300,h_200", "png")
    im = pyvips.Image.new_from_buffer(out.data, "")
    assert (im.width, im.height) == (300, 200)
    upright = pyvips.Image.thumbnail_buffer(photo("exif_orient6_waterfall.jpg"), 300, height=200, crop="centre")
    assert mad(pixels(out.data), pixels(upright.pngsave_buffer())) < 3.0
