"""quality_analysis: focus on sharp vs blurred photos, the IJG quality estimate of files encoded
by libvips, chroma subsampling from the SOF, and the score's range."""

from __future__ import annotations

import io

import numpy as np
import pyvips
import pytest
from PIL import Image

from edge.analysis.jpeg import ANNEX_K_LUMA, estimate_quality, read_jpeg_header


@pytest.mark.parametrize("name", ["kodim03_hats.png", "landscape_aitzgorri.jpg", "people_three_women_coco_000536.jpg"])
def test_sharp_photo_has_more_focus_than_the_same_photo_blurred(image_bytes, analyze_with, name):
    im = pyvips.Image.new_from_buffer(image_bytes(name), "")
    sharp = analyze_with(im.pngsave_buffer(), quality_analysis=True)["quality_analysis"]["focus"]
    soft = analyze_with(im.gaussblur(2.0).pngsave_buffer(), quality_analysis=True)["quality_analysis"]["focus"]
    softer = analyze_with(im.gaussblur(5.0).pngsave_buffer(), quality_analysis=True)["quality_analysis"]["focus"]
    assert sharp > soft + 0.2 and soft >= softer
    assert sharp >= 0.6 and softer <= 0.2


@pytest.mark.parametrize("q", [30, 60, 75, 90, 97])
def test_jpeg_quality_of_a_file_encoded_by_libvips(image_bytes, analyze_with, q):
    im = pyvips.Image.new_from_buffer(image_bytes("kodim03_hats.png"), "")
    data = im.jpegsave_buffer(Q=q, subsample_mode="on")
    qa = analyze_with(data, quality_analysis=True)["quality_analysis"]
    assert abs(qa["jpeg_quality"] * 100 - q) <= 2
    assert qa["jpeg_chroma"] == qa["chroma_subsampling"] == 0.25  # 4:2:0


def test_dqt_reader_agrees_with_pil(image_bytes):
    # an independent reading of the quantisation tables: Pillow's JPEG parser
    for name in ("exif_gps_nikon_DSCN0010.jpg", "landscape_aitzgorri.jpg", "rocket.jpg"):
        data = image_bytes(name)
        header = read_jpeg_header(data)
        pil = Image.open(io.BytesIO(data)).quantization
        assert set(pil) == set(header.tables)
        for k, table in pil.items():
            assert sorted(table) == sorted(header.tables[k].tolist())
    im = pyvips.Image.new_from_buffer(image_bytes("kodim03_hats.png"), "")
    header = read_jpeg_header(im.jpegsave_buffer(Q=50))
    assert header.tables[0].tolist() == ANNEX_K_LUMA.tolist()  # q=50 is Annex K itself
    assert estimate_quality(header) == 50


def test_chroma_subsampling_from_the_sof(image_bytes, analyze_with):
    im = pyvips.Image.new_from_buffer(image_bytes("kodim03_hats.png"), "")
    full = analyze_with(im.jpegsave_buffer(Q=90, subsample_mode="off"), quality_analysis=True)["quality_analysis"]
    assert full["jpeg_chroma"] == 1.0
    nikon = analyze_with(image_bytes("exif_gps_nikon_DSCN0010.jpg"), quality_analysis=True)["quality_analysis"]
    assert nikon["jpeg_chroma"] == 0.5  # 4:2:2


def test_png_has_no_jpeg_factors_and_resolution_counts_pixels(image_bytes, analyze_with):
    out = analyze_with(image_bytes("kodim03_hats.png"), quality_analysis=True)
    qa = out["quality_analysis"]
    assert "jpeg_quality" not in qa and "jpeg_chroma" not in qa and qa["chroma_subsampling"] == 1.0
    assert qa["resolution"] == round(768 * 512 / (1920 * 1080), 2)
    big = analyze_with(image_bytes("landscape_aitzgorri.jpg"), quality_analysis=True)["quality_analysis"]
    assert big["resolution"] == 1.0
    for value in list(qa.values()) + [out["quality_score"]]:
        assert isinstance(value, float) and 0.0 <= value <= 1.0


def test_noise_and_exposure_react(image_bytes, analyze_with):
    im = pyvips.Image.new_from_buffer(image_bytes("kodim03_hats.png"), "")
    base = analyze_with(im.pngsave_buffer(), quality_analysis=True)
    rng = np.random.default_rng(1)
    noisy = np.clip(im.numpy().astype(np.int16) + rng.normal(0, 25, (im.height, im.width, 3)), 0, 255).astype(np.uint8)
    noisy = analyze_with(pyvips.Image.new_from_array(noisy).copy(interpretation="srgb").pngsave_buffer(),
                         quality_analysis=True)
    dark = analyze_with((im * 0.15).cast("uchar").pngsave_buffer(), quality_analysis=True)
    assert noisy["quality_analysis"]["noise"] < base["quality_analysis"]["noise"] - 0.3
    assert dark["quality_analysis"]["exposure"] < base["quality_analysis"]["exposure"] - 0.3
    assert base["quality_score"] > dark["quality_score"]


def test_colourfulness_of_grey_and_colour_photos(image_bytes, analyze_with):
    grey = analyze_with(image_bytes("gray_cameraman.png"), quality_analysis=True)["quality_analysis"]
    bird = analyze_with(image_bytes("alpha_bird_rgba.png"), quality_analysis=True)["quality_analysis"]
    assert grey["color_score"] == 0.0 and grey["saturation"] == 0.0
    assert bird["color_score"] > 0.6


def test_blockiness_of_small_jpegs(image_bytes, analyze_with):
    im = pyvips.Image.new_from_buffer(image_bytes("kodim03_hats.png"), "")
    scores = [analyze_with(im.jpegsave_buffer(Q=q), quality_analysis=True)["quality_analysis"]["blockiness"]
              for q in (10, 40, 95)]
    assert scores == sorted(scores) and scores[0] < 0.3 and scores[2] > 0.9
    # larger than the analysis copy, a PNG, or stored rotated: no block grid to measure
    assert "blockiness" not in analyze_with(image_bytes("landscape_aitzgorri.jpg"), quality_analysis=True)["quality_analysis"]
    assert "blockiness" not in analyze_with(im.pngsave_buffer(), quality_analysis=True)["quality_analysis"]
