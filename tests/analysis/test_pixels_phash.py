"""pHash: format (lowercase hex, no zero padding), near-duplicates close, different photos far."""

from __future__ import annotations

import re

import imagehash
import pyvips
import pytest
from PIL import Image
import io

from edge.analysis.phash import phash_distance


def _ph(analyze_with, data):
    return analyze_with(data, phash=True)["phash"]


def test_format_is_lowercase_hex_without_padding(image_bytes, analyze_with):
    for name in ("landscape_aitzgorri.jpg", "kodim03_hats.png", "rocket.jpg", "gray_cameraman.png"):
        h = _ph(analyze_with, image_bytes(name))
        assert re.fullmatch(r"[0-9a-f]{1,16}", h) and not h.startswith("0")


def test_near_duplicates_are_close_and_different_photos_far(image_bytes, analyze_with):
    original = image_bytes("landscape_aitzgorri.jpg")
    im = pyvips.Image.new_from_buffer(original, "")
    resized = im.resize(0.3).jpegsave_buffer(Q=55)
    recompressed_png = im.resize(0.5).pngsave_buffer()
    h0 = _ph(analyze_with, original)
    near = [phash_distance(h0, _ph(analyze_with, d)) for d in (resized, recompressed_png)]
    far = [phash_distance(h0, _ph(analyze_with, image_bytes(n)))
           for n in ("kodim03_hats.png", "rocket.jpg", "dog_bicycle_truck.jpg", "cat_chelsea.png")]
    assert max(near) <= 6, near
    assert min(far) >= 18, far


def test_agrees_with_imagehash_on_the_file(image_bytes, analyze_with):
    # an independent reading: imagehash on the PIL-decoded file (its own resize)
    for name in ("kodim03_hats.png", "cat_chelsea.png", "rocket.jpg"):
        data = image_bytes(name)
        ref = imagehash.phash(Image.open(io.BytesIO(data)).convert("RGB"))
        assert phash_distance(_ph(analyze_with, data), str(ref)) <= 6


def test_phash_distance():
    assert phash_distance("ebb822db6d10f1e", "0ebb822db6d10f1e") == 0
    assert phash_distance("0", "ffffffffffffffff") == 64
    assert phash_distance(0b1011, 0b0001) == 2
    with pytest.raises(ValueError):
        phash_distance("xyz", "0")
    with pytest.raises(ValueError):
        phash_distance("1" * 17, "0")
