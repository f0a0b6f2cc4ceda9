"""Gravity rules over FocusProvider regions (stub provider), saliency default, fl_getinfo."""

from __future__ import annotations

import json

import numpy as np
import pytest
import pyvips

from edge.render import FocusProvider, Region, RenderError, SaliencyFocus
from edge.render.gravity import decide, is_plural, union
from edge.url import parse
from render_support import StubFocus, pixels, run, source_pixels

SRC = "coffee.png"  # 600x400
SIZE = (600, 400)


def gravity(text: str):
    return parse(f"/demo/image/upload/c_fill,w_10,h_10,g_{text}/x.jpg").components[0].get("g")


@pytest.fixture(scope="module")
def image() -> pyvips.Image:
    return pyvips.Image.new_from_file(str(__import__("render_support").IMAGES / SRC))


def stub(**regions) -> StubFocus:
    return StubFocus({k.replace("__", " "): v for k, v in regions.items()}, SIZE, unknown=("unicorn",))


CAT = Region("cat", 0.9, (20, 30, 100, 80))
CAT2 = Region("cat", 0.8, (450, 250, 120, 100))
DOG = Region("dog", 0.9, (300, 50, 200, 200))
FACE_SMALL = Region("face", 0.9, (500, 20, 40, 40))
FACE_BIG = Region("face", 0.8, (100, 200, 90, 90))
TEXT = Region("text", 0.9, (0, 0, 200, 60))
SAL = Region("saliency", 1.0, (250, 150, 100, 100))


def test_stub_satisfies_protocol():
    assert isinstance(stub(), FocusProvider)
    assert isinstance(SaliencyFocus(), FocusProvider)


def test_compass_needs_no_provider(image):
    d = decide(gravity("north_east"), image, stub())
    assert d.compass == "north_east" and d.focus is None


def test_object_list_first_found_wins(image):
    d = decide(gravity("dog:cat"), image, stub(cat=[CAT], dog=[DOG]))
    assert d.focus == DOG.box and d.gravity == "dog"
    d = decide(gravity("bird:cat"), image, stub(cat=[CAT]))
    assert d.focus == CAT.box


def test_singular_most_prominent_plural_union(image):
    d = decide(gravity("cat"), image, stub(cat=[CAT, CAT2]))
    assert d.focus == CAT2.box  # larger and more central
    d = decide(gravity("cats"), image, stub(cats=[CAT, CAT2]))
    assert d.focus == union([CAT.box, CAT2.box]) == (20, 30, 550, 320)
    assert is_plural("cats") and not is_plural("bus") and not is_plural("skis")
    assert is_plural("people") and is_plural("mice") and not is_plural("person")


def test_object_list_nothing_found_centre_or_auto(image):
    d = decide(gravity("cat"), image, stub())
    assert d.compass == "center" and d.focus is None
    d = decide(gravity("cat:auto"), image, stub(saliency=[SAL]))
    assert d.focus == SAL.box and "auto" in d.gravity


def test_face_and_faces_with_fallbacks(image):
    faces = stub(faces=[FACE_SMALL, FACE_BIG])
    assert decide(gravity("face"), image, faces).focus == FACE_BIG.box
    assert decide(gravity("faces"), image, faces).focus == union([FACE_SMALL.box, FACE_BIG.box])
    assert decide(gravity("face"), image, stub()).compass == "north"
    assert decide(gravity("face:center"), image, stub()).compass == "center"
    assert decide(gravity("faces:auto"), image, stub(saliency=[SAL])).focus == SAL.box


def test_ocr_text(image):
    assert decide(gravity("ocr_text"), image, stub(ocr_text=[TEXT])).focus == TEXT.box
    assert decide(gravity("ocr_text"), image, stub()).compass == "center"


def test_auto_weighs_faces_over_saliency(image):
    d = decide(gravity("auto"), image, stub(faces=[FACE_BIG], saliency=[SAL]))
    # the face group wins; its box is nudged at most a quarter toward the saliency centroid
    fx, fy, fw, fh = d.focus
    assert (fw, fh) == (90, 90)
    assert abs(fx - 100) <= 23 and abs(fy - 200) <= 23
    assert {r.label for r in d.regions} == {"face", "saliency"}


def test_auto_named_object_weighs_most_and_falls_back(image):
    d = decide(gravity("auto:dog"), image, stub(dog=[DOG], faces=[FACE_BIG], saliency=[SAL]))
    assert d.focus[2:] == DOG.box[2:]
    d = decide(gravity("auto:dog"), image, stub(saliency=[SAL]))
    assert d.focus == SAL.box


def test_auto_avoid(image):
    d = decide(gravity("auto:cat_avoid"), image, stub(cat=[CAT], saliency=[SAL]))
    assert d.avoid == (CAT.box,) and d.focus == SAL.box


def test_unknown_object_is_a_400(image):
    with pytest.raises(RenderError) as info:
        decide(gravity("auto:unicorn"), image, stub())
    assert info.value.status == 400


def test_render_g_object_fill_pixels():
    src = source_pixels(SRC)
    out = run(SRC, "c_crop,g_cat,w_100,h_80", focus=stub(cat=[CAT]))
    assert np.array_equal(pixels(out.data), src[30:110, 20:120])


def test_render_avoid_moves_the_window_off_the_object():
    # fill 200x400 out of 600x400: the window would be centred on saliency (250..350);
    # a dog at 300..500 must end up outside
    dog = Region("dog", 0.9, (300, 0, 300, 400))
    out = run(SRC, "c_fill,g_auto:dog_avoid,w_200,h_400,fl_getinfo", ext="json", focus=stub(dog=[dog], saliency=[SAL]))
    info = json.loads(out.data)
    crop = info["crop"]
    assert crop["x"] + crop["width"] <= 300
    src = source_pixels(SRC)
    img = run(SRC, "c_fill,g_auto:dog_avoid,w_200,h_400", focus=stub(dog=[dog], saliency=[SAL]))
    assert np.array_equal(pixels(img.data), src[:, crop["x"]:crop["x"] + 200])


def test_ocr_text_avoid_on_real_text_page():
    # text boxes cover the right part; the crop must keep left
    text = Region("text", 0.9, (200, 0, 184, 191))
    out = run("text_scanned_page_gray.png", "c_fill,g_auto:ocr_text_avoid,w_150,h_191,fl_getinfo", focus=StubFocus({"ocr_text": [text]}, (384, 191)))
    assert json.loads(out.data)["crop"]["x"] + 150 <= 200


def test_getinfo_reports_crop_gravity_and_regions():
    out = run(SRC, "c_thumb,g_face,w_50,h_50,fl_getinfo", focus=stub(faces=[FACE_BIG]))
    assert out.content_type == "application/json" and out.info is not None
    info = json.loads(out.data)
    assert info["input"] == {"width": 600, "height": 400, "format": "png", "frames": 1}
    assert info["output"]["width"] == 50 and info["output"]["height"] == 50
    crop = info["crop"]  # source px; +-1 from rounding through the 333x222 resize
    assert [abs(crop[k] - v) <= 1 for k, v in {"x": 100, "y": 200, "width": 90, "height": 90}.items()] == [True] * 4
    assert info["gravity"] == "face"
    assert info["regions"][0]["label"] == "face" and info["regions"][0]["x"] == 100


def test_getinfo_crop_box_in_source_pixels_after_shrink_on_load():
    out = run("landscape_aitzgorri.jpg", "c_fill,g_west,w_400,h_300,fl_getinfo", ext="jpg")
    info = json.loads(out.data)
    assert info["input"]["width"] == 3088
    crop = info["crop"]
    assert crop["x"] == 0 and abs(crop["height"] - 2056) <= 2 and abs(crop["width"] - 2741) <= 8


def test_default_saliency_focus_on_real_photo():
    # the rocket launch: the bright plume is the salient part, in the lower middle of the frame
    regions = SaliencyFocus().find(pyvips.Image.new_from_file(str(__import__("render_support").IMAGES / "rocket.jpg")), "saliency")
    assert len(regions) == 1
    x, y, w, h = regions[0].box
    assert w > 0 and h > 0 and x + w <= 640 and y + h <= 427
    assert SaliencyFocus().find(pyvips.Image.black(10, 10), "cat") == []


def test_g_auto_without_provider_uses_saliency():
    out = run("rocket.jpg", "c_fill,g_auto,w_100,h_400,fl_getinfo", ext="jpg")
    info = json.loads(out.data)
    assert info["regions"] and info["regions"][0]["label"] == "saliency"
    assert info["gravity"] == "auto"


def test_animations_ignore_content_gravity_and_refuse_fill_pad():
    focus = stub(faces=[FACE_BIG])
    out = run("animated_newtons_cradle.gif", "c_fill,g_face,w_50,h_50,fl_getinfo", ext="gif", focus=focus)
    info = json.loads(out.data)
    crop = info["crop"]  # the centred 150x150 square, +-1 px of rounding through 67x50
    assert abs(crop["x"] - 25) <= 1 and abs(crop["width"] - 150) <= 1 and crop["height"] == 150
    assert focus.calls == []
    with pytest.raises(RenderError):
        run("animated_newtons_cradle.gif", "c_fill_pad,g_auto,w_50,h_50", ext="gif")


def test_auto_objects_nudge_and_stand_in_for_missing_saliency(image):
    dog = Region("dog", 0.9, (450, 250, 100, 100))
    d = decide(gravity("auto"), image, stub(object=[dog]))
    assert d.focus == dog.box and d.gravity == "auto"
    d = decide(gravity("auto"), image, stub(object=[dog], saliency=[SAL]))
    # saliency outweighs generic objects: its box, nudged toward the dog (<= a quarter)
    assert d.focus[2:] == SAL.box[2:] and SAL.box[0] < d.focus[0] <= SAL.box[0] + 25
