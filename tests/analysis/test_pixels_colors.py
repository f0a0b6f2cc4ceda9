"""colors, predominant, illustration_score, semi_transparent, grayscale on real photos and flat
test images made with libvips."""

from __future__ import annotations

import re

import numpy as np
import pyvips
import pytest

from edge.analysis.colors import CLOUDINARY, GOOGLE, percentages

HEX = re.compile(r"^#[0-9A-F]{6}$")


def _check_shape(out):
    colors = out["colors"]
    assert 1 <= len(colors) <= 32
    assert all(HEX.match(h) and isinstance(p, float) and round(p, 1) == p for h, p in colors)
    pcts = [p for _, p in colors]
    assert pcts == sorted(pcts, reverse=True)
    assert round(sum(pcts) * 10) == 1000  # exactly 100.0 in tenths
    assert len({h for h, _ in colors}) == len(colors)
    for kind, palette in (("google", GOOGLE), ("cloudinary", CLOUDINARY)):
        pred = out["predominant"][kind]
        assert pred and all(name in palette and p >= 0.5 for name, p in pred)
        assert [p for _, p in pred] == sorted((p for _, p in pred), reverse=True)
        assert 95.0 <= sum(p for _, p in pred) <= 100.05
    assert 0.0 <= out["illustration_score"] <= 1.0


@pytest.mark.parametrize("rgb, google, cloudinary", [
    ((0x15, 0x2E, 0x02), "green", "green"),
    ((0xFF, 0xFF, 0xFF), "white", "white"),
    ((0x00, 0x00, 0x00), "black", "black"),
    ((0xE5, 0x10, 0x10), "red", "red"),
    ((0x10, 0x40, 0xD0), "blue", "blue"),
    ((0xFF, 0xE0, 0x10), "yellow", "yellow"),
])
def test_flat_image_gives_its_exact_colour_at_100(flat_image, analyze_with, rgb, google, cloudinary):
    out = analyze_with(flat_image(rgb), colors=True)
    assert out["colors"] == [["#%02X%02X%02X" % rgb, 100.0]]
    assert out["predominant"]["google"] == [[google, 100.0]]
    assert out["predominant"]["cloudinary"] == [[cloudinary, 100.0]]
    assert out["semi_transparent"] is False
    assert out["illustration_score"] >= 0.9


def test_two_flat_halves_split_by_area(analyze_with):
    a = np.zeros((40, 100, 3), np.uint8)
    a[:, :30] = (200, 30, 30)
    a[:, 30:] = (30, 30, 200)
    data = pyvips.Image.new_from_array(a).copy(interpretation="srgb").pngsave_buffer()
    out = analyze_with(data, colors=True)
    assert out["colors"] == [["#1E1EC8", 70.0], ["#C81E1E", 30.0]]
    assert dict(out["predominant"]["google"]) == {"blue": 70.0, "red": 30.0}


@pytest.mark.parametrize("name", [
    "landscape_aitzgorri.jpg", "kodim03_hats.png", "people_family_table_coco_000110.jpg",
    "alpha_bird_rgba.png", "cmyk_with_icc.jpg", "png16_rgb_sample.png",
])
def test_real_photos_have_well_formed_colours(image_bytes, analyze_with, name):
    _check_shape(analyze_with(image_bytes(name), colors=True))


def test_landscape_is_mostly_green_and_a_photo(image_bytes, analyze_with):
    out = analyze_with(image_bytes("landscape_aitzgorri.jpg"), colors=True)
    google = dict(out["predominant"]["google"])
    assert max(google, key=google.get) == "green"
    assert out["illustration_score"] < 0.4
    assert out["grayscale"] is False


def test_logo_scores_more_illustration_than_photos(image_bytes, analyze_with):
    logo = analyze_with(image_bytes("alpha_logo_rgba.png"), colors=True)["illustration_score"]
    for photo in ("landscape_aitzgorri.jpg", "kodim03_hats.png", "dog_bicycle_truck.jpg", "gray_cameraman.png"):
        assert logo > analyze_with(image_bytes(photo), colors=True)["illustration_score"] + 0.2


@pytest.mark.parametrize("name, expected", [
    ("gray_cameraman.png", True),
    ("gray_concert.jpg", True),
    ("text_scanned_page_gray.png", True),
    ("kodim03_hats.png", False),
    ("landscape_aitzgorri.jpg", False),
    ("product_sneakers_white_bg.jpg", False),
])
def test_grayscale(image_bytes, analyze_with, name, expected):
    assert analyze_with(image_bytes(name), colors=True)["grayscale"] is expected


def test_grey_photo_saved_as_rgb_jpeg_is_grayscale(image_bytes, analyze_with):
    im = pyvips.Image.new_from_buffer(image_bytes("kodim03_hats.png"), "").colourspace("b-w")
    data = im.colourspace("srgb").jpegsave_buffer(Q=80)
    assert pyvips.Image.new_from_buffer(data, "").bands == 3
    assert analyze_with(data, colors=True)["grayscale"] is True


@pytest.mark.parametrize("name, expected", [
    ("alpha_bird_rgba.png", True),
    ("product_cap_transparent.png", True),
    ("alpha_logo_rgba.png", False),  # an alpha band, every pixel opaque
    ("landscape_aitzgorri.jpg", False),
    ("kodim03_hats.png", False),
])
def test_semi_transparent(image_bytes, analyze_with, name, expected):
    assert analyze_with(image_bytes(name), colors=True)["semi_transparent"] is expected


def test_transparent_pixels_do_not_count(flat_image, analyze_with):
    a = np.zeros((20, 40, 4), np.uint8)
    a[:, :10] = (0, 200, 0, 255)
    a[:, 10:] = (255, 0, 0, 0)  # invisible red
    data = pyvips.Image.new_from_array(a).copy(interpretation="srgb").pngsave_buffer()
    out = analyze_with(data, colors=True)
    assert out["colors"] == [["#00C800", 100.0]] and out["semi_transparent"] is True


def test_percentages_fix_the_rounding_residue():
    t = percentages(np.array([1, 1, 1]))
    assert t.sum() == 1000 and sorted(t.tolist()) == [333, 333, 334]
    assert percentages(np.array([])).sum() == 0
