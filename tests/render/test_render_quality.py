"""`q_auto` calibration (edge/render/quality.py) on the real photos of tests/images."""

from __future__ import annotations

from functools import lru_cache

import pytest
import pyvips

from edge.render import quality
from edge.render.rendered import Rendered
from render_support import photo, run

LEVELS = ("best", "good", "eco", "low")
#: photos at typical web sizes (px wide, c_limit keeps smaller originals as they are)
PHOTOS = (("landscape_aitzgorri.jpg", 800), ("kodim03_hats.png", 800), ("coffee.png", 600), ("cat_chelsea.png", 450))
GRAPHICS = (("text_scanned_page_gray.png", 800), ("alpha_logo_rgba.png", 500), ("product_sneakers_white_bg.jpg", 800))
#: the task's target ranges of JPEG q per level for photos
RANGES = {"best": (85, 93), "good": (70, 82), "eco": (60, 72), "low": (45, 62)}


@lru_cache(maxsize=None)
def out(name: str, width: int, q: str, ext: str = "jpg") -> Rendered:
    """The render of `name` at `w_<width>,c_limit,q_<q>` as `ext` (cached across tests)."""
    return run(name, f"w_{width},c_limit,q_{q}", ext=ext)


def levels(name: str, width: int, ext: str = "jpg") -> dict[str, int]:
    return {lv: out(name, width, f"auto:{lv}", ext).quality for lv in LEVELS}


@pytest.mark.parametrize("name,width", PHOTOS + GRAPHICS)
def test_levels_are_ordered(name, width):
    qs = levels(name, width)
    assert qs["best"] >= qs["good"] >= qs["eco"] >= qs["low"], qs
    assert qs["best"] > qs["low"], qs


@pytest.mark.parametrize("name,width", PHOTOS)
def test_photos_land_in_the_level_ranges(name, width):
    qs = levels(name, width)
    for lv, (lo, hi) in RANGES.items():
        assert lo <= qs[lv] <= hi, (lv, qs)


@pytest.mark.parametrize("name", ["landscape_aitzgorri.jpg", "kodim03_hats.png"])
def test_good_saves_bytes_against_q80(name):
    assert len(out(name, 800, "auto:good").data) < len(out(name, 800, "80").data)
    assert len(out(name, 800, "auto:eco").data) < len(out(name, 800, "auto:good").data)


def test_text_and_graphics_get_at_least_the_photo_quality():
    for lv in LEVELS:
        photos = max(levels(n, w)[lv] for n, w in PHOTOS)
        graphics = min(levels(n, w)[lv] for n, w in GRAPHICS)
        assert graphics >= photos, (lv, graphics, photos)


def test_content_aware_busy_fur_below_smooth_sky():
    busy = out("cat_chelsea.png", 450, "auto:good").quality
    smooth = out("rocket.jpg", 640, "auto:good").quality
    assert busy < smooth, (busy, smooth)


@pytest.mark.parametrize("ext", ["jpg", "webp", "avif"])
@pytest.mark.parametrize("name", ["landscape_aitzgorri.jpg", "kodim03_hats.png"])
def test_q_auto_never_larger_than_best(name, ext):
    best = out(name, 800, "auto:best", ext)
    for q in ("auto", "auto:good", "auto:eco", "auto:low"):
        assert len(out(name, 800, q, ext).data) <= len(best.data), q


@pytest.mark.parametrize("ext", ["webp", "avif"])
def test_webp_and_avif_use_their_own_quality_scale(ext):
    qs = levels("landscape_aitzgorri.jpg", 800, ext)
    for lv, q in qs.items():
        lo, hi = quality.BANDS[ext][lv]
        assert lo <= q <= hi, (lv, q)
    assert qs["best"] >= qs["good"] >= qs["eco"] >= qs["low"]
    assert out("landscape_aitzgorri.jpg", 800, "auto", ext).format == ext
    # good saves bytes against the same format at q_80
    assert len(out("landscape_aitzgorri.jpg", 800, "auto:good", ext).data) < len(out("landscape_aitzgorri.jpg", 800, "80", ext).data)


def test_default_level_is_good_and_sensitive_nudges_up():
    for name, width in PHOTOS[:2]:
        good = out(name, width, "auto:good")
        assert out(name, width, "auto").quality == good.quality
        sensitive = out(name, width, "auto:good:sensitive").quality
        assert sensitive >= good.quality
        assert sensitive <= RANGES["good"][1]
    assert out("kodim03_hats.png", 800, "auto:good:sensitive").quality > out("kodim03_hats.png", 800, "auto:good").quality


def test_deterministic():
    a = run("kodim03_hats.png", "w_800,q_auto:eco", ext="jpg")
    b = run("kodim03_hats.png", "w_800,q_auto:eco", ext="jpg")
    assert a.quality == b.quality and a.data == b.data


def test_tiny_alpha_gray_and_animated_inputs():
    assert run("tiny_1x1.png", "q_auto", ext="jpg").quality == quality.LEVELS["good"][1]  # one flat colour
    assert 1 <= run("alpha_bird_rgba.png", "w_300,q_auto", ext="webp").quality <= 100
    assert 1 <= run("gray_cameraman.png", "w_300,q_auto:low", ext="jpg").quality <= 100
    anim = run("animated_newtons_cradle.gif", "w_100,q_auto", ext="webp")
    assert anim.format == "webp" and quality.BANDS["webp"]["good"][0] <= anim.quality <= quality.BANDS["webp"]["good"][1]


def _image(name: str, width: int) -> pyvips.Image:
    image = pyvips.Image.new_from_buffer(run(name, f"w_{width},c_limit", ext="png").data, "")
    return image.flatten(background=[255] * (image.bands - 1)) if image.hasalpha() else image


def test_sample_is_the_output_or_an_aligned_native_scale_mosaic():
    small = _image("coffee.png", 200)
    assert (quality.sample(small).width, quality.sample(small).height) == (small.width, small.height)
    big = _image("landscape_aitzgorri.jpg", 1200)
    probe = quality.sample(big)
    assert probe.width * probe.height <= 256 * 256 and probe.width % 64 == 0 and probe.height % 64 == 0
    # the first tile is a native-scale crop of the image (no resampling)
    tile = big.crop(0, 0, 64, 64).numpy()
    assert (probe.crop(0, 0, 64, 64).numpy() == tile).all()
    for w, h in ((3000, 40), (20000, 8), (8, 20000), (5000, 300)):
        probe = quality.sample(pyvips.Image.black(w, h, bands=3).cast("uchar"))
        assert 0 < probe.width * probe.height <= 256 * 256, (w, h)


def test_dssim_grows_with_compression_and_is_zero_for_identical():
    image = quality.sample(_image("kodim03_hats.png", 800))
    assert quality.dssim(image, image) == pytest.approx(0.0, abs=1e-6)
    d = [quality.dssim(image, pyvips.Image.new_from_buffer(image.jpegsave_buffer(Q=q), "")) for q in (20, 50, 80, 95)]
    assert d[0] > d[1] > d[2] > d[3] > 0, d
    with pytest.raises(ValueError):
        quality.dssim(image, image.crop(0, 0, 100, 100))


def test_flatness_separates_photos_from_graphics():
    for name, width in PHOTOS:
        assert quality.flatness(quality.sample(_image(name, width))) < quality._FLAT_FROM, name
    for name, width in GRAPHICS:
        assert quality.flatness(quality.sample(_image(name, width))) >= quality._FLAT_FROM + quality._FLAT_SPAN, name


def test_output_format_sniffing():
    image = pyvips.Image.new_from_buffer(photo("tiny_hopper_128.jpg"), "")
    assert quality.output_format(image.jpegsave_buffer()) == "jpg"
    assert quality.output_format(image.webpsave_buffer()) == "webp"
    assert quality.output_format(image.heifsave_buffer(compression="av1", effort=0)) == "avif"
    assert quality.output_format(image.pngsave_buffer()) == "other"


def test_explicit_format_matches_sniffed_format():
    image = _image("kodim03_hats.png", 800)

    def webp(im, q):
        return im.webpsave_buffer(Q=q)

    sniffed = quality.auto_quality(image, "eco", webp)
    assert quality.auto_quality(image, "eco", webp, fmt="webp") == sniffed
    lo, hi = quality.BANDS["webp"]["eco"]
    assert lo <= sniffed <= hi
    assert quality.auto_quality(image, "no-such-level", webp) == quality.auto_quality(image, "good", webp)


@pytest.mark.parametrize("name,width", [("landscape_aitzgorri.jpg", 400), ("kodim03_hats.png", 800), ("cat_chelsea.png", 450)])
def test_interpolating_search_finds_what_bisection_finds_with_fewer_trials(name, width):
    """`quality._search` on the real JPEG distortion curve of a photo's probe (Y-plane trials):
    the interpolating search (JPEG's slope) picks what plain bisection (slope None) picks, at
    every level, plain and `:sensitive`, and needs fewer trials in all."""
    pixels = quality._probe_pixels(_image(name, width))
    plane = quality._jpeg_y(pixels)
    reference = quality._Reference(plane.astype("float32"))
    curve: dict[int, float] = {}
    calls = {"interpolating": 0, "bisection": 0}

    def distortion(kind: str):
        def measure(q: int) -> float:
            calls[kind] += 1
            if q not in curve:
                curve[q] = reference.distortion(quality._decoded_luma(quality._jpeg_trial(plane, q)))
            return curve[q]
        return measure

    for level, (lo, hi, threshold) in quality.LEVELS.items():
        for t in (threshold, threshold / 2):
            a = quality._search(lo, hi, distortion("interpolating"), t, quality._SLOPE["jpg"])
            b = quality._search(lo, hi, distortion("bisection"), t, None)
            assert a == b, (level, t, a, b)
    assert calls["interpolating"] < calls["bisection"], calls
