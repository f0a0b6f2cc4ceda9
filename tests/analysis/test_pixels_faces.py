"""faces and coordinates from edge.vision's face detector on real photos; overrides; EXIF
orientation; the detection cache pre-warmed for delivery."""

from __future__ import annotations

import pyvips
import pytest

from edge.analysis import AnalysisRequest, analyze


@pytest.mark.parametrize("name, count", [
    ("face_astronaut_eileen_collins.png", 1),
    ("people_three_women_coco_000536.jpg", 3),
    ("landscape_aitzgorri.jpg", 0),
    ("cat_chelsea.png", 0),
])
def test_face_count(image_bytes, analyze_with, name, count):
    out = analyze_with(image_bytes(name), faces=True)
    assert len(out["faces"]) == count
    if count:
        assert out["coordinates"] == {"faces": out["faces"]}
    else:
        assert "coordinates" not in out


def test_several_faces_on_a_family_photo(image_bytes, analyze_with):
    out = analyze_with(image_bytes("people_family_table_coco_000110.jpg"), faces=True)
    assert len(out["faces"]) >= 3
    areas = [w * h for _, _, w, h in out["faces"]]
    assert areas == sorted(areas, reverse=True)


def test_boxes_are_ints_in_original_pixels(image_bytes, analyze_with):
    data = image_bytes("face_astronaut_eileen_collins.png")
    im = pyvips.Image.new_from_buffer(data, "")
    (x, y, w, h), = analyze_with(data, faces=True)["faces"]
    assert all(isinstance(v, int) for v in (x, y, w, h))
    assert 0 <= x and 0 <= y and x + w <= im.width and y + h <= im.height
    # the astronaut's face is in the upper middle of the portrait
    assert 0.25 < (x + w / 2) / im.width < 0.75 and (y + h / 2) / im.height < 0.5
    # the same photo enlarged 2x: the box scales with it (analysis size does not leak out)
    big = im.resize(2.0).pngsave_buffer()
    (bx, by, bw, bh), = analyze_with(big, faces=True)["faces"]
    assert abs(bx - 2 * x) <= 8 and abs(by - 2 * y) <= 8 and abs(bw - 2 * w) <= 10


def test_exif_orientation_is_applied(image_bytes, analyze_with):
    im = pyvips.Image.new_from_buffer(image_bytes("face_astronaut_eileen_collins.png"), "")
    upright = analyze_with(im.jpegsave_buffer(Q=90), faces=True)["faces"][0]
    # store the pixels rotated, with orientation 6 saying "rotate 90 CW to display"
    stored = im.rot270().copy()
    stored.set_type(pyvips.GValue.gint_type, "orientation", 6)
    rotated = analyze_with(stored.jpegsave_buffer(Q=90), faces=True)["faces"][0]
    assert all(abs(a - b) <= 10 for a, b in zip(upright, rotated)), (upright, rotated)


def test_face_and_custom_coordinate_overrides(image_bytes, analyze_with):
    data = image_bytes("face_astronaut_eileen_collins.png")
    out = analyze_with(data, faces=True, face_coordinates="1,2,3,4|5,6,7,8", custom_coordinates="10,20,30,40")
    assert out["faces"] == [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert out["coordinates"] == {"custom": [[10, 20, 30, 40]], "faces": [[1, 2, 3, 4], [5, 6, 7, 8]]}
    # an override alone (no faces flag) still yields coordinates, and runs no detector
    out = analyze_with(data, custom_coordinates="10,20,30,40")
    assert out == {"coordinates": {"custom": [[10, 20, 30, 40]]}}
    # boxes are clipped to the image; one starting outside is dropped
    out = analyze_with(data, face_coordinates="400,500,9999,9999|99999,0,5,5")
    im = pyvips.Image.new_from_buffer(data, "")
    assert out["coordinates"]["faces"] == [[400, 500, im.width - 400, im.height - 500]]


def test_detections_prewarm_the_delivery_cache(image_bytes):
    from edge.vision import VisionFocus
    from edge.vision.cache import CACHE, cache_key
    from edge.vision.registry import manifest

    focus = VisionFocus("analysis-test/astronaut", "1700000001")
    data = image_bytes("face_astronaut_eileen_collins.png")
    analyze(data, AnalysisRequest(faces=True), focus=focus)
    key = cache_key("analysis-test/astronaut", "1700000001", "faces", manifest()["faces"].version)
    im = pyvips.Image.new_from_buffer(data, "")
    found, _ = CACHE.get(key, im.width / im.height, side=min(1024, max(im.width, im.height)))
    assert found is not None and len(found) == 1
