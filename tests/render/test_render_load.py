"""Loading originals: formats, colour, orientation, animation, broken files, limits."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import pyvips

from edge.render import LimitError, Limits, RenderError, probe, render
from render_support import IMAGES, mad, photo, pixels, request, run, source_pixels


def _reencode(name: str, suffix: str, **kw) -> bytes:
    return pyvips.Image.new_from_file(str(IMAGES / name)).write_to_buffer(suffix, **kw)


@pytest.mark.parametrize(
    "name,size,fmt",
    [
        ("landscape_aitzgorri.jpg", (3088, 2056), "jpg"),
        ("coffee.png", (600, 400), "png"),
        ("png16_rgb_sample.png", (290, 442), "png"),
        ("animated_newtons_cradle.gif", (200, 150), "gif"),
        ("exif_orient6_waterfall.jpg", (1800, 1200), "jpg"),
    ],
)
def test_probe_reads_header(name, size, fmt):
    assert probe(photo(name)) == (*size, fmt)


@pytest.mark.parametrize("suffix,fmt", [(".webp", "webp"), (".avif", "avif"), (".tif", "tiff")])
def test_webp_avif_tiff_sources(suffix, fmt):
    data = _reencode("coffee.png", suffix, **({"Q": 90} if suffix != ".tif" else {}))
    assert probe(data) == (600, 400, fmt)
    out = render(data, request("w_300"))
    assert (out.width, out.height) == (300, 200)
    ref = pyvips.Image.new_from_file(str(IMAGES / "coffee.png")).thumbnail_image(300, height=200, size="force")
    assert mad(pixels(out.data), ref.numpy()) < 6  # lossy source


def test_svg_is_rasterised_without_external_references():
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        b'width="200" height="100"><rect width="200" height="100" fill="#ff0000"/>'
        b'<rect x="100" width="100" height="100" fill="#0000ff"/>'
        b'<image href="file:///etc/passwd" width="10" height="10"/></svg>'
    )
    assert probe(svg) == (200, 100, "svg")
    out = render(svg, request("w_100"))
    assert out.format == "png" and (out.width, out.height) == (100, 50)
    a = pixels(out.data)
    assert (a[25, 10, :3] == [255, 0, 0]).all() and (a[25, 90, :3] == [0, 0, 255]).all()


def test_png16_is_converted_to_8bit():
    out = run("png16_rgb_sample.png", "")
    a = pixels(out.data)
    assert a.dtype == np.uint8 and a.shape == (442, 290, 3)
    ref = pyvips.Image.new_from_file(str(IMAGES / "png16_rgb_sample.png")).colourspace("srgb")
    assert mad(a, ref.numpy()) < 1


def test_alpha_png_keeps_alpha():
    out = run("alpha_bird_rgba.png", "w_100")
    a = pixels(out.data)
    assert a.shape[2] == 4
    src = source_pixels("alpha_bird_rgba.png")
    assert abs(float((src[..., 3] == 0).mean()) - float((a[..., 3] == 0).mean())) < 0.05


def test_grayscale_sources_become_srgb():
    a = pixels(run("gray_concert.jpg", "w_100", ext="jpg").data)
    assert a.shape[2] == 3


def test_cmyk_jpegs_converted_to_srgb_through_profile():
    for name in ("cmyk_with_icc.jpg", "cmyk_dice_small.jpg"):
        out = run(name, "", ext="png")
        img = pyvips.Image.new_from_buffer(out.data, "")
        assert img.bands == 3 and img.interpretation == "srgb"
        ref = pyvips.Image.new_from_file(str(IMAGES / name)).icc_transform("srgb", input_profile="cmyk", embedded=True)
        assert mad(pixels(out.data), ref.numpy()) < 1
        # a CMYK pixel must not be mistaken for RGB: the naive reading is far off
        naive = pyvips.Image.new_from_file(str(IMAGES / name)).extract_band(0, n=3)
        assert mad(pixels(out.data), naive.numpy()) > 20


def test_exif_orientation_applied_and_a_ignore():
    out = run("exif_orient6_waterfall.jpg", "", ext="png")
    assert (out.width, out.height) == (1800, 1200)
    rotated = source_pixels("exif_orient6_waterfall.jpg")
    assert mad(pixels(out.data), rotated) < 1
    out = run("exif_orient6_waterfall.jpg", "w_300,a_ignore")
    assert (out.width, out.height) == (300, 450)
    raw = pyvips.Image.new_from_file(str(IMAGES / "exif_orient6_waterfall.jpg")).thumbnail_image(300, height=450, size="force", no_rotate=True)
    assert mad(pixels(out.data), raw.numpy()) < 2
    out = run("exif_orient6_waterfall.jpg", "w_300")
    assert (out.width, out.height) == (300, 200)


def test_animated_gif_keeps_and_resizes_every_frame():
    out = run("animated_newtons_cradle.gif", "w_100", ext="gif")
    assert out.frames == 36 and (out.width, out.height) == (100, 75)
    back = pyvips.Image.new_from_buffer(out.data, "", n=-1)
    assert back.get("n-pages") == 36 and back.get("page-height") == 75
    a = back.numpy().reshape(36, 75, 100, -1)
    assert max(np.abs(a[0].astype(int) - a[i].astype(int)).mean() for i in range(36)) > 1  # frames differ


def test_pg_picks_one_frame():
    out = run("animated_newtons_cradle.gif", "pg_10", ext="png")
    assert out.frames == 1 and (out.width, out.height) == (200, 150)
    ref = pyvips.Image.new_from_file(str(IMAGES / "animated_newtons_cradle.gif"), page=9).colourspace("srgb")
    assert mad(pixels(out.data), ref.numpy()) < 1
    with pytest.raises(RenderError):
        run("animated_newtons_cradle.gif", "pg_99", ext="png")


@pytest.mark.parametrize("t", ["pg_0", "pg_1.5", "pg_1e400", "pg_inf", "pg_1-3"])
def test_pg_outside_the_pages_or_not_a_page_number_is_a_400(t):
    # pg_1e400 used to escape as OverflowError (int(inf)): a 500
    with pytest.raises(RenderError) as err:
        run("animated_newtons_cradle.gif", t, ext="png")
    assert err.value.status == 400 and "pg" in str(err.value)


@pytest.mark.parametrize("name", ["broken_truncated.jpg", "broken_truncated.png", "broken_zero_bytes.jpg", "broken_text_file.jpg"])
@pytest.mark.parametrize("t", ["", "w_100", "c_fill,w_50,h_50,g_auto"])
def test_broken_inputs_raise_render_error(name, t):
    with pytest.raises(RenderError) as info:
        run(name, t, ext="jpg")
    assert info.value.status == 400
    with pytest.raises(RenderError):
        probe(photo(name)) if name != "broken_truncated.jpg" and name != "broken_truncated.png" else (_ for _ in ()).throw(RenderError("header ok"))


def _png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (the pixels are never there)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_decompression_bomb_rejected_from_header():
    bomb = _png_bomb(60000, 60000)
    assert probe(bomb)[:2] == (60000, 60000)
    with pytest.raises(LimitError) as info:
        render(bomb, request("w_100"))
    assert info.value.status == 413


def test_limits_pixels_and_frames():
    with pytest.raises(LimitError):
        run("landscape_aitzgorri.jpg", "w_100", ext="jpg", limits=Limits(max_source_pixels=1_000_000))
    with pytest.raises(LimitError):
        run("animated_newtons_cradle.gif", "w_100", ext="gif", limits=Limits(max_frames=10))
    # one picked frame is within the frame limit
    assert run("animated_newtons_cradle.gif", "pg_1", ext="gif", limits=Limits(max_frames=10)).frames == 1


def test_shrink_on_load_matches_full_decode():
    out = run("landscape_aitzgorri.jpg", "c_fill,w_400,h_300", ext="png")
    assert (out.width, out.height) == (400, 300)
    ref = pyvips.Image.thumbnail(str(IMAGES / "landscape_aitzgorri.jpg"), 400, height=300, crop="centre")
    assert mad(pixels(out.data), ref.numpy()) < 2
