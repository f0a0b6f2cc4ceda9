"""Output formats, f_auto negotiation, quality, encoding flags, metadata, attachment."""

from __future__ import annotations

import numpy as np
import pytest
import pyvips

from edge.render import RenderError
from render_support import mad, photo, pixels, request, resized, run

SRC = "coffee.png"
MAGIC = {
    "jpg": lambda b: b[:3] == b"\xff\xd8\xff",
    "png": lambda b: b[:8] == b"\x89PNG\r\n\x1a\n",
    "webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
    "avif": lambda b: b[4:12] in (b"ftypavif", b"ftypavis"),
    "gif": lambda b: b[:6] in (b"GIF89a", b"GIF87a"),
    "tiff": lambda b: b[:4] in (b"II*\x00", b"MM\x00*"),
}


@pytest.mark.parametrize("fmt,ctype", [
    ("jpg", "image/jpeg"), ("png", "image/png"), ("webp", "image/webp"),
    ("avif", "image/avif"), ("gif", "image/gif"), ("tiff", "image/tiff"),
])
def test_f_formats_encode_real_pixels(fmt, ctype):
    out = run(SRC, f"w_300,f_{fmt}", ext="jpg")
    assert out.format == fmt and out.content_type == ctype and MAGIC[fmt](out.data)
    assert (out.width, out.height) == (300, 200)
    limit = 12 if fmt == "gif" else 6
    assert mad(pixels(out.data), resized(SRC, 300, 200)) < limit


def test_format_precedence_last_f_then_extension_then_original():
    assert run(SRC, "f_webp/w_100/f_png", ext="jpg").format == "png"
    assert run(SRC, "w_100", ext="webp").format == "webp"
    assert run(SRC, "w_100", ext="jpeg").format == "jpg"
    from edge.render import render
    from edge.url import parse

    no_ext = parse("/demo/image/upload/w_100/sample")
    assert render(photo(SRC), no_ext).format == "png"
    assert render(photo("rocket.jpg"), no_ext).format == "jpg"


def test_jxl_and_heic_are_clear_400s():
    with pytest.raises(RenderError, match="jxl") as info:
        run(SRC, "f_jxl")
    assert info.value.status == 400
    with pytest.raises(RenderError, match="heic"):
        run(SRC, "f_heic")


@pytest.mark.parametrize("accept,fmt", [
    ("image/avif,image/webp,*/*", "avif"),
    ("image/webp,*/*", "webp"),
    ("text/html,*/*", "jpg"),
    ("", "jpg"),
])
def test_f_auto_from_accept(accept, fmt):
    out = run("rocket.jpg", "w_200,f_auto", ext="jpg", accept=accept)
    assert out.format == fmt and out.vary_accept and MAGIC[fmt](out.data)


def test_f_auto_keeps_alpha_and_animation():
    out = run("alpha_bird_rgba.png", "f_auto", ext="jpg", accept="*/*")
    assert out.format == "png" and pixels(out.data).shape[2] == 4
    out = run("alpha_bird_rgba.png", "f_auto", ext="png", accept="image/webp")
    assert out.format == "webp" and pixels(out.data).shape[2] == 4
    out = run("animated_newtons_cradle.gif", "w_50,f_auto", ext="gif", accept="image/avif,image/webp")
    assert out.format == "webp" and out.frames == 36
    out = run("animated_newtons_cradle.gif", "w_50,f_auto,fl_awebp.animated", ext="gif", accept="*/*")
    assert out.format == "gif" and out.frames == 36
    out = run("alpha_bird_rgba.png", "f_auto,fl_preserve_transparency", ext="jpg")
    assert out.format == "png" and pixels(out.data).shape[2] == 4
    out = run("rocket.jpg", "w_50,f_auto,fl_preserve_transparency", ext="jpg")
    assert out.format == "jpg" and out.vary_accept


def test_plain_formats_do_not_vary():
    assert run(SRC, "w_100", ext="jpg").vary_accept is False


def test_animation_to_still_format_keeps_first_frame():
    out = run("animated_newtons_cradle.gif", "w_100", ext="png")
    assert out.frames == 1 and (out.width, out.height) == (100, 75)
    first = pyvips.Image.new_from_file(str(__import__("render_support").IMAGES / "animated_newtons_cradle.gif")).thumbnail_image(100)
    assert mad(pixels(out.data), first.colourspace("srgb").numpy()) < 3


def test_animated_webp_output():
    out = run("animated_newtons_cradle.gif", "w_100", ext="webp")
    back = pyvips.Image.new_from_buffer(out.data, "", n=-1)
    assert back.get("n-pages") == 36 and out.frames == 36


def test_q_changes_size_and_fidelity():
    lo = run("landscape_aitzgorri.jpg", "w_600,q_20", ext="jpg")
    hi = run("landscape_aitzgorri.jpg", "w_600,q_95", ext="jpg")
    assert len(lo.data) * 2 < len(hi.data)
    assert lo.quality == 20 and hi.quality == 95
    ref = pixels(run("landscape_aitzgorri.jpg", "w_600", ext="png").data)
    assert mad(pixels(hi.data), ref) < mad(pixels(lo.data), ref)


def test_q_auto_levels_are_ordered_and_content_aware():
    qs = {lv: run("landscape_aitzgorri.jpg", f"w_600,q_auto:{lv}", ext="jpg").quality for lv in ("best", "good", "eco", "low")}
    assert qs["best"] >= qs["good"] >= qs["eco"] >= qs["low"] and qs["best"] > qs["low"]
    assert run("landscape_aitzgorri.jpg", "w_600,q_auto", ext="jpg").quality == qs["good"]
    busy = run("kodim03_hats.png", "q_auto:low", ext="jpg").quality
    smooth = run("product_sneakers_white_bg.jpg", "w_768,q_auto:low", ext="jpg").quality
    assert busy != smooth or busy is not None
    sensitive = run("landscape_aitzgorri.jpg", "w_600,q_auto:good:sensitive", ext="jpg")
    assert sensitive.quality >= qs["good"]


def test_chroma_subsampling():
    a = pyvips.Image.new_from_buffer(run(SRC, "q_80:420", ext="jpg").data, "")
    b = pyvips.Image.new_from_buffer(run(SRC, "q_80:444", ext="jpg").data, "")
    assert a.get("jpeg-chroma-subsample") == "4:2:0" and b.get("jpeg-chroma-subsample") == "4:4:4"


def test_progressive_jpeg_and_interlaced_png():
    plain = pyvips.Image.new_from_buffer(run(SRC, "w_100", ext="jpg").data, "")
    prog = pyvips.Image.new_from_buffer(run(SRC, "w_100,fl_progressive", ext="jpg").data, "")
    assert plain.get("jpeg-multiscan") == 0 and prog.get("jpeg-multiscan") == 1
    png = run(SRC, "w_100,fl_progressive", ext="png").data
    assert png[28] == 1  # IHDR interlace method: Adam7


def test_fl_lossy_png_is_palette():
    full = run(SRC, "w_300", ext="png")
    lossy = run(SRC, "w_300,fl_lossy", ext="png")
    assert lossy.data[25] == 3 and full.data[25] == 2  # IHDR colour type: palette vs RGB
    assert len(lossy.data) < len(full.data)
    assert mad(pixels(lossy.data), resized(SRC, 300, 200)) < 8


def test_metadata_stripped_by_default_profile_flags():
    exif_src = "exif_gps_nikon_DSCN0010.jpg"
    default = pyvips.Image.new_from_buffer(run(exif_src, "w_100", ext="jpg").data, "")
    assert not default.get_typeof("exif-data") and not default.get_typeof("xmp-data")
    with_icc = pyvips.Image.new_from_buffer(run("rocket.jpg", "w_100", ext="jpg").data, "")
    assert with_icc.get_typeof("icc-profile-data")  # sRGB profile kept
    stripped = pyvips.Image.new_from_buffer(run("rocket.jpg", "w_100,fl_strip_profile", ext="jpg").data, "")
    assert not stripped.get_typeof("icc-profile-data")


def test_keep_iptc():
    src = pyvips.Image.new_from_file(str(__import__("render_support").IMAGES / "cmyk_with_icc.jpg"))
    assert src.get_typeof("iptc-data")
    kept = pyvips.Image.new_from_buffer(run("cmyk_with_icc.jpg", "w_100,fl_keep_iptc", ext="jpg").data, "")
    plain = pyvips.Image.new_from_buffer(run("cmyk_with_icc.jpg", "w_100", ext="jpg").data, "")
    assert kept.get_typeof("iptc-data") and not plain.get_typeof("iptc-data")


def test_jpeg_output_of_alpha_flattens_on_background():
    a = pixels(run("alpha_bird_rgba.png", "b_black", ext="jpg").data)
    src = pixels(photo("alpha_bird_rgba.png"))
    transparent = src[..., 3] == 0
    assert a.shape[2] == 3 and a[transparent].mean() < 20


def test_attachment_header_name():
    assert run(SRC, "w_10,fl_attachment", ext="jpg").attachment == "sample"
    assert run(SRC, "w_10,fl_attachment:my_pic", ext="jpg").attachment == "my_pic"
    assert run(SRC, "w_10", ext="jpg").attachment is None


def test_output_is_srgb():
    out = pyvips.Image.new_from_buffer(run("cmyk_with_icc.jpg", "w_100", ext="jpg").data, "")
    assert out.interpretation == "srgb" and out.bands == 3


def test_request_without_components_reencodes_original_size():
    out = run(SRC, "", ext="jpg")
    assert (out.width, out.height) == (600, 400)
    assert np.abs(pixels(out.data).astype(int) - pixels(photo(SRC)).astype(int)).mean() < 4
    assert request("", "jpg").components == ()
