"""Acceptance of object-aware gravity (issue 5): the real combination
``edge.render.render(source, edge.url.parse(url), focus=edge.vision.VisionFocus(...))`` on the
real photos of tests/images.

Facts are read from `fl_getinfo` (the crop window in source px and the regions that placed it)
and from the rendered pixels.  "By eye" boxes were read off the photos by a person and are
deliberately loose: they check that a model found the right thing, not its exact edges.

Speed: one `VisionFocus` per photo over a module-private `DetectionCache`, so every photo runs
each model about once for the whole module; sources and getinfo documents are memoised.
"""

from __future__ import annotations

import functools
import json
import uuid
from pathlib import Path

import numpy as np
import pytest
import pyvips

from edge.render import RenderError, render
from edge.render.effects.faces import PAD
from edge.url import parse
from edge.vision import CACHE, VisionFocus
from edge.vision.cache import DetectionCache

IMAGES = Path(__file__).resolve().parents[1] / "images"
Box = tuple[int, int, int, int]

_CACHE = DetectionCache()  # this module's detections only: independent of test order elsewhere

CAT_PHOTOS = {
    # photo -> by-eye core of the cat (x, y, w, h): chelsea eyes to nose; coco paws to head
    "cat_chelsea.png": (130, 80, 220, 190),
    "cat_coco_000443.jpg": (230, 90, 280, 300),
}
DOG_CORE = (150, 240, 140, 260)  # dog_bicycle_truck.jpg, by eye: chest to paws
BICYCLE_CORE = (160, 160, 360, 240)  # by eye: both wheels' hubs and the frame
FAMILY = "people_family_table_coco_000110.jpg"
MOTHER_FACE = (435, 5, 134, 168)  # by eye, the woman in front on the right (source px)
ASTRONAUT = "face_astronaut_eileen_collins.png"
ASTRONAUT_FACE = (175, 55, 100, 130)  # by eye: hairline to chin
SIGN = "signage_street_sign_coco_000250.jpg"
SIGN_WORDS = {"GREENWICH": (180, 320), "VESEY": (430, 330)}  # by eye: a point inside each word
STOREFRONT = "street_storefront_people_coco_000395.jpg"


# --- helpers ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def source(name: str) -> bytes:
    return (IMAGES / name).read_bytes()


@functools.lru_cache(maxsize=None)
def focus(name: str) -> VisionFocus:
    """The one provider of photo `name` (cached detections, as the server builds it)."""
    return VisionFocus(f"accept/{name}", 1, cache=_CACHE)


@functools.lru_cache(maxsize=None)
def decoded(name: str) -> pyvips.Image:
    im = pyvips.Image.new_from_file(str(IMAGES / name))
    return (im.colourspace("srgb") if im.interpretation != "srgb" else im).copy_memory()


def url(name: str, transformation: str) -> str:
    return f"/demo/image/upload/{transformation}/{name}"


@functools.lru_cache(maxsize=None)
def info(name: str, transformation: str) -> dict:
    """The `fl_getinfo` document of `transformation` on photo `name`."""
    r = render(source(name), parse(url(name, transformation + "/fl_getinfo")), focus=focus(name))
    assert r.format == "json"
    return json.loads(r.data)


def pixels(data: bytes) -> np.ndarray:
    """Decoded output bytes as a (h, w, bands) uint8 array."""
    im = pyvips.Image.new_from_buffer(data, "")
    return np.ndarray(buffer=im.write_to_memory(), dtype=np.uint8, shape=(im.height, im.width, im.bands))


def rendered(name: str, transformation: str) -> np.ndarray:
    return pixels(render(source(name), parse(url(name, transformation)), focus=focus(name)).data)


def crop_of(doc: dict) -> Box:
    c = doc["crop"]
    return (c["x"], c["y"], c["width"], c["height"])


def boxes_of(items: list[dict], label: str | None = None) -> list[Box]:
    return [(r["x"], r["y"], r["width"], r["height"]) for r in items if label is None or r["label"] == label]


def contains(outer: Box, inner: Box, tol: int = 0) -> bool:
    ox, oy, ow, oh = outer
    ix, iy, iw, ih = inner
    return ix >= ox - tol and iy >= oy - tol and ix + iw <= ox + ow + tol and iy + ih <= oy + oh + tol


def centre(box: Box) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def inside(point: tuple[float, float], box: Box) -> bool:
    return box[0] <= point[0] <= box[0] + box[2] and box[1] <= point[1] <= box[1] + box[3]


def covered(window: Box, boxes: list[Box], size: tuple[int, int]) -> int:
    """Pixels of `window` covered by the union of `boxes` (an image of `size` = (w, h))."""
    mask = np.zeros((size[1], size[0]), bool)
    for x, y, w, h in boxes:
        mask[max(0, y) : y + h, max(0, x) : x + w] = True
    x, y, w, h = window
    return int(mask[y : y + h, x : x + w].sum())


def same_box(a: Box, b: Box, tol: int) -> bool:
    return all(abs(p - q) <= tol for p, q in zip(a, b))


# --- g_auto:cat / g_cat ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CAT_PHOTOS))
def test_g_cat_without_size_crops_tightly_around_the_cat(name):
    doc = info(name, "c_crop,g_cat")
    assert doc["gravity"] == "cat"
    (cat,) = boxes_of(doc["regions"])
    assert doc["regions"][0]["label"] == "cat" and doc["regions"][0]["model"] == "coco"
    assert contains(cat, CAT_PHOTOS[name]), f"the detected cat {cat} misses the cat"
    assert crop_of(doc) == cat  # the crop is the cat box itself
    assert (doc["output"]["width"], doc["output"]["height"]) == cat[2:]


@pytest.mark.parametrize("name", sorted(CAT_PHOTOS))
def test_g_auto_cat_without_size_keeps_the_cat(name):
    doc = info(name, "c_crop,g_auto:cat")
    assert doc["gravity"] == "auto:cat"
    cat = boxes_of(doc["regions"], "cat")[0]
    crop = crop_of(doc)
    # g_auto re-centres the heaviest group's box on the weighted centroid of everything found
    # (gravity.py `_weighted`, at most a quarter of its size): the window keeps the cat's size
    # and at least 95 % of it, and the whole by-eye core.
    assert crop[2:] == cat[2:]
    assert covered(crop, [cat], (doc["input"]["width"], doc["input"]["height"])) >= 0.95 * cat[2] * cat[3]
    assert contains(crop, CAT_PHOTOS[name])
    # each region once in fl_getinfo (the named cat is not repeated among "other objects")
    keys = [(r["label"], r["model"], r["x"], r["y"], r["width"], r["height"]) for r in doc["regions"]]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("name", sorted(CAT_PHOTOS))
@pytest.mark.parametrize("gravity", ["g_auto:cat", "g_cat"])
def test_portrait_fill_is_centred_on_the_cat(name, gravity):
    doc = info(name, f"c_fill,{gravity},w_150,h_300")
    assert (doc["output"]["width"], doc["output"]["height"]) == (150, 300)
    cat = boxes_of(doc["regions"], "cat")[0]
    crop = crop_of(doc)
    assert abs(crop[2] * 2 - crop[3]) <= 2  # the 1:2 window in source px, full height
    assert crop[3] == doc["input"]["height"]
    # the window's centre sits in the middle half of the cat, and the window is mostly cat
    cx, _ = centre(crop)
    assert abs(cx - centre(cat)[0]) <= cat[2] / 4
    # (cat_coco_000443's COCO box is (199, 53, 372, 381): the cat spans 79 % of the height, so a
    # faithful box cannot fill 80 % of a full-height window)
    assert covered(crop, [cat], (doc["input"]["width"], doc["input"]["height"])) >= 0.75 * crop[2] * crop[3]


def test_portrait_fill_pixels_come_from_the_cat_window():
    name = "cat_coco_000443.jpg"
    doc = info(name, "c_fill,g_auto:cat,w_150,h_300")
    out = rendered(name, "c_fill,g_auto:cat,w_150,h_300/f_png").astype(np.float32)
    x, y, w, h = crop_of(doc)
    window = decoded(name).crop(x, y, w, h).thumbnail_image(150, height=300, size="force")
    expect = np.ndarray(buffer=window.write_to_memory(), dtype=np.uint8, shape=(300, 150, 3)).astype(np.float32)
    centred = decoded(name).crop((640 - w) // 2, 0, w, h).thumbnail_image(150, height=300, size="force")
    other = np.ndarray(buffer=centred.write_to_memory(), dtype=np.uint8, shape=(300, 150, 3)).astype(np.float32)
    assert np.abs(out - expect).mean() < 4  # resampling noise only
    assert np.abs(out - other).mean() > 4 * np.abs(out - expect).mean()


# --- g_dog:bicycle / g_bicycle:dog ----------------------------------------------------------

DOG = "dog_bicycle_truck.jpg"


def test_first_listed_object_that_is_found_wins():
    dog = info(DOG, "c_crop,g_dog:bicycle")
    bike = info(DOG, "c_crop,g_bicycle:dog")
    assert dog["gravity"] == "dog" and [r["label"] for r in dog["regions"]] == ["dog"]
    assert bike["gravity"] == "bicycle" and [r["label"] for r in bike["regions"]] == ["bicycle"]
    assert contains(boxes_of(dog["regions"])[0], DOG_CORE)
    assert contains(boxes_of(bike["regions"])[0], BICYCLE_CORE)
    assert crop_of(dog) != crop_of(bike)
    # a listed object that is absent is skipped
    assert info(DOG, "c_crop,g_cat:dog")["gravity"] == "dog"
    assert crop_of(info(DOG, "c_crop,g_cat:dog")) == crop_of(dog)


def test_dog_and_bicycle_give_different_fill_crops():
    dog = info(DOG, "c_fill,g_dog:bicycle,w_100,h_400")
    bike = info(DOG, "c_fill,g_bicycle:dog,w_100,h_400")
    d, b = crop_of(dog), crop_of(bike)
    assert d[2:] == b[2:] and abs(d[0] - b[0]) >= 50  # the same 1:4 window, placed elsewhere
    assert inside(centre(boxes_of(dog["regions"])[0]), d)
    assert inside(centre(boxes_of(bike["regions"])[0]), b)
    assert abs(centre(d)[0] - centre(boxes_of(dog["regions"])[0])[0]) <= 2


def test_g_dog_without_size_is_tight_around_the_dog():
    doc = info(DOG, "c_crop,g_dog")
    (dog,) = boxes_of(doc["regions"], "dog")
    assert crop_of(doc) == dog
    assert contains(dog, DOG_CORE)
    # tight: the dog box is far smaller than the photo (bicycle, truck and porch left out)
    assert dog[2] * dog[3] < 0.3 * doc["input"]["width"] * doc["input"]["height"]


# --- g_auto:person_avoid --------------------------------------------------------------------


def test_person_avoid_leaves_the_people_out():
    # a 640 x 100 window: the strip above the crowd is people-free, everything below is not
    t = "c_fill,{},w_640,h_100"
    avoid = info(STOREFRONT, t.format("g_auto:person_avoid"))
    people = boxes_of(avoid["components"][0]["avoid"])
    assert len(people) >= 3
    assert people == boxes_of([r for r in avoid["regions"] if r["label"] == "person"])
    size = (avoid["input"]["width"], avoid["input"]["height"])
    kept = covered(crop_of(avoid), people, size)
    auto = covered(crop_of(info(STOREFRONT, t.format("g_auto"))), people, size)
    centred = covered(crop_of(info(STOREFRONT, t.format("g_center"))), people, size)
    window = crop_of(avoid)[2] * crop_of(avoid)[3]
    assert kept <= 0.02 * window
    assert kept < auto and kept < centred
    assert auto > 0.2 * window  # plain g_auto goes for the people (the check can fail)


# --- g_faces / g_face -------------------------------------------------------------------------


def test_g_faces_without_size_keeps_every_face():
    doc = info(FAMILY, "c_crop,g_faces")
    faces = boxes_of(doc["regions"], "face")
    assert len(faces) >= 3 and len(faces) == len(doc["regions"])
    assert any(same_box(f, MOTHER_FACE, 12) for f in faces)
    crop = crop_of(doc)
    assert all(contains(crop, f) for f in faces)
    assert crop == (
        min(f[0] for f in faces),
        min(f[1] for f in faces),
        max(f[0] + f[2] for f in faces) - min(f[0] for f in faces),
        max(f[1] + f[3] for f in faces) - min(f[1] for f in faces),
    )


def test_thumb_g_faces_keeps_every_face():
    doc = info(FAMILY, "c_thumb,g_faces,w_300,h_200")
    assert (doc["output"]["width"], doc["output"]["height"]) == (300, 200)
    crop = crop_of(doc)
    assert abs(crop[2] * 2 - crop[3] * 3) <= 3  # 3:2 window
    faces = boxes_of(doc["regions"], "face")
    assert len(faces) >= 3
    assert all(contains(crop, f, tol=1) for f in faces)
    assert crop[2] * crop[3] < 0.8 * doc["input"]["width"] * doc["input"]["height"]  # zoomed in


def test_g_face_centres_on_the_face():
    doc = info(ASTRONAUT, "c_fill,g_face,w_100,h_300")
    (face,) = boxes_of(doc["regions"], "face")
    assert same_box(face, ASTRONAUT_FACE, 25)
    crop = crop_of(doc)
    assert crop[3] == 512 and abs(crop[2] * 3 - crop[3]) <= 3
    assert abs(centre(crop)[0] - centre(face)[0]) <= 2
    assert contains(crop, face)
    # c_thumb zooms onto it: a square around the face, not much larger than the face
    thumb = crop_of(info(ASTRONAUT, "c_thumb,g_face,w_100,h_100"))
    assert contains(thumb, face, tol=1) and thumb[2] < 1.6 * max(face[2:])
    assert abs(centre(thumb)[0] - centre(face)[0]) <= 3 and abs(centre(thumb)[1] - centre(face)[1]) <= 3


# --- g_ocr_text / ocr_text_avoid ----------------------------------------------------------------


def test_g_ocr_text_includes_the_sign_text():
    doc = info(SIGN, "c_crop,g_ocr_text")
    assert doc["gravity"] == "ocr_text"
    texts = boxes_of(doc["regions"], "text")
    for word, point in SIGN_WORDS.items():
        assert any(inside(point, b) for b in texts), f"{word} not found"
    crop = crop_of(doc)
    assert all(contains(crop, b) for b in texts)
    assert crop[2] * crop[3] < 0.4 * 640 * 480  # the signs, not the sky and the towers


def test_ocr_text_avoid_avoids_the_sign_text():
    t = "c_fill,{},w_640,h_200"
    avoid = info(SIGN, t.format("g_auto:ocr_text_avoid"))
    texts = boxes_of(avoid["components"][0]["avoid"])
    assert any(inside(SIGN_WORDS["GREENWICH"], b) for b in texts)
    size = (640, 480)
    kept = covered(crop_of(avoid), texts, size)
    assert kept == 0
    assert covered(crop_of(info(SIGN, t.format("g_auto"))), texts, size) > 0
    assert covered(crop_of(info(SIGN, t.format("g_ocr_text"))), texts, size) > 0


# --- model-backed effects through render() ------------------------------------------------------


def test_extract_cup_gives_a_png_with_alpha():
    r = render(source("coffee.png"), parse(url("coffee.png", "e_extract:prompt_cup/f_png")), focus=focus("coffee.png"))
    assert r.format == "png" and r.data[:8] == b"\x89PNG\r\n\x1a\n"
    px = pixels(r.data)
    assert px.shape == (400, 600, 4)
    (cup, *_) = focus("coffee.png").find(decoded("coffee.png"), "cup")
    cx, cy = (int(v) for v in centre(cup.box))
    assert px[cy - 5 : cy + 5, cx - 5 : cx + 5, 3].min() > 200  # opaque over the cup
    for corner in (px[:20, :20], px[:20, -20:], px[-20:, :20], px[-20:, -20:]):
        assert corner[..., 3].max() < 10  # the table is cut away
    assert r.notice is None  # the cup was found: no fallback


def _face_effect(effect: str) -> tuple[np.ndarray, np.ndarray, list[Box]]:
    out = rendered(FAMILY, f"{effect}/f_png").astype(np.int16)
    base = rendered(FAMILY, "f_png").astype(np.int16)
    faces = [r.box for r in focus(FAMILY).find(decoded(FAMILY), "faces")]
    assert len(faces) >= 3
    return out, base, faces


def _outside(faces: list[Box], shape: tuple[int, int]) -> np.ndarray:
    """Pixels outside every face box grown as the face effects grow them (`PAD` per side)."""
    mask = np.ones(shape, bool)
    for x, y, w, h in faces:
        mx, my = int(w * PAD) + 2, int(h * PAD) + 2
        mask[max(0, y - my) : y + h + my, max(0, x - mx) : x + w + mx] = False
    return mask


def _detail(a: np.ndarray) -> float:
    """Mean absolute horizontal + vertical difference of neighbours (high-frequency energy)."""
    g = a.mean(axis=2)
    return float(np.abs(np.diff(g, axis=0)).mean() + np.abs(np.diff(g, axis=1)).mean())


@pytest.mark.parametrize("effect", ["e_pixelate_faces", "e_blur_faces"])
def test_face_effects_hide_every_face_and_nothing_else(effect):
    out, base, faces = _face_effect(effect)
    assert out.shape == base.shape
    for x, y, w, h in faces:
        inner = (slice(y + h // 4, y + 3 * h // 4), slice(x + w // 4, x + 3 * w // 4))
        assert _detail(out[inner]) < 0.6 * _detail(base[inner]), f"face {x, y, w, h} still sharp"
    outside = _outside(faces, base.shape[:2])
    assert np.abs(out - base)[outside].max() == 0  # everything else untouched


def test_background_removal_makes_the_white_background_transparent():
    px = rendered("product_sneakers_white_bg.jpg", "w_800,e_background_removal/f_png")
    assert px.shape == (600, 800, 4)
    alpha = px[..., 3]
    for corner in (alpha[:30, :30], alpha[:30, -30:], alpha[-30:, :30], alpha[-30:, -30:]):
        assert corner.max() < 10
    # by eye: the left shoe's side and the right shoe's heel counter
    assert alpha[250:270, 300:320].min() > 200 and alpha[330:350, 620:640].min() > 200
    assert 0.15 < (alpha > 128).mean() < 0.8  # a real cut-out, not all or nothing


# --- the detection cache --------------------------------------------------------------------------


def _getinfo(name: str, transformation: str, provider: VisionFocus) -> dict:
    return json.loads(render(source(name), parse(url(name, transformation + "/fl_getinfo")), focus=provider).data)


def test_second_rendition_runs_no_model(onnx_runs):
    name = "cat_coco_000443.jpg"
    public_id = f"cache/{uuid.uuid4().hex}"  # the process-wide cache, a never-seen asset
    first = _getinfo(name, "c_fill,g_auto:cat,w_150,h_300", VisionFocus(public_id, 7))
    assert onnx_runs["coco"] >= 1 and onnx_runs["saliency"] >= 1 and onnx_runs["faces"] >= 1
    onnx_runs.clear()
    second = _getinfo(name, "c_fill,g_auto:cat,w_400,h_100", VisionFocus(public_id, 7))
    chained = _getinfo(name, "w_320/c_fill,g_cat,w_100,h_100", VisionFocus(public_id, 7))
    assert sum(onnx_runs.values()) == 0
    cat = boxes_of(first["regions"], "cat")[0]
    # the same cat, up to rounding: the warm rendition decodes at its own (smaller) size and
    # its boxes are scaled back to source pixels
    assert same_box(boxes_of(second["regions"], "cat")[0], cat, 2)
    # the second component sees the asset at half size: the same cat in its pixels
    (decision,) = chained["components"]  # only the second component decides a gravity
    assert decision["component"] == 1
    later = boxes_of(decision["regions"], "cat")[0]
    assert same_box(later, tuple(v // 2 for v in cat), 2)
    # another version is another asset: the models run again (the spy does count)
    _getinfo(name, "c_fill,g_auto:cat,w_150,h_300", VisionFocus(public_id, 8))
    assert onnx_runs["coco"] >= 1


def test_a_crop_never_poisons_the_asset_detections(onnx_runs):
    """Found on a crop of the same aspect ratio, faces must not be cached for the asset (this
    once returned the crop's faces, in the wrong place, for every later rendition)."""
    public_id = f"cache/{uuid.uuid4().hex}"
    t = "c_crop,w_320,h_240,g_north_east,e_pixelate_faces/f_png"
    out = pixels(render(source(FAMILY), parse(url(FAMILY, t)), focus=VisionFocus(public_id, 1)).data).astype(np.int16)
    plain = rendered(FAMILY, "c_crop,w_320,h_240,g_north_east/f_png").astype(np.int16)
    x, y, w, h = MOTHER_FACE[0] - 320, MOTHER_FACE[1], MOTHER_FACE[2], MOTHER_FACE[3]
    assert _detail(out[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4]) < 0.6 * _detail(
        plain[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4]
    )  # the face inside the crop was found and pixelated
    faces = boxes_of(_getinfo(FAMILY, "c_crop,g_faces", VisionFocus(public_id, 1))["regions"])
    truth = boxes_of(info(FAMILY, "c_crop,g_faces")["regions"])
    assert len(faces) == len(truth)
    assert all(any(same_box(f, t, 3) for t in truth) for f in faces)


def test_a_thumbnail_gravity_sees_every_face_of_the_photo():
    """Shrink-on-load stops at 1024 px when gravity asks the models (ops/load.py): a 100 px
    thumbnail once analysed a 133 x 100 copy, lost faces and cached that for the asset."""
    public_id = f"cache/{uuid.uuid4().hex}"
    thumb = _getinfo(FAMILY, "c_fill,g_faces,w_100,h_100", VisionFocus(public_id, 1))
    truth = boxes_of(info(FAMILY, "c_crop,g_faces")["regions"])
    faces = boxes_of(thumb["regions"])
    assert len(faces) == len(truth)
    assert all(any(same_box(f, t, 3) for t in truth) for f in faces)
    later = boxes_of(_getinfo(FAMILY, "c_crop,g_faces", VisionFocus(public_id, 1))["regions"])
    assert len(later) == len(truth)


def test_a_tiny_rendition_never_degrades_the_cached_detections(onnx_runs):
    """`w_64,e_pixelate_faces` analyses a 64 px image; a later full-size rendition must not be
    served what was (not) found there: the cache recomputes from sharper pixels."""
    truth = boxes_of(info(FAMILY, "c_crop,g_faces")["regions"])
    onnx_runs.clear()
    public_id = f"cache/{uuid.uuid4().hex}"
    render(source(FAMILY), parse(url(FAMILY, "w_64,e_pixelate_faces")), focus=VisionFocus(public_id, 1))
    assert onnx_runs["faces"] == 1
    faces = boxes_of(_getinfo(FAMILY, "c_crop,g_faces", VisionFocus(public_id, 1))["regions"])
    assert onnx_runs["faces"] == 2  # recomputed on the sharper image ...
    assert len(faces) == len(truth) and all(any(same_box(f, t, 3) for t in truth) for f in faces)
    _getinfo(FAMILY, "c_crop,g_faces", VisionFocus(public_id, 1))
    render(source(FAMILY), parse(url(FAMILY, "w_64,e_pixelate_faces")), focus=VisionFocus(public_id, 1))
    assert onnx_runs["faces"] == 2  # ... and that result serves both sizes from then on


def test_a_thumbnail_entry_does_not_let_the_next_gravity_shrink_on_load(onnx_runs):
    """After `w_64,e_pixelate_faces` cached what a 64 px image shows, `VisionFocus.cached`
    once said yes, so `g_faces` decoded a 150 px copy, lost a face and cached that."""
    truth = boxes_of(info(FAMILY, "c_crop,g_faces")["regions"])
    onnx_runs.clear()
    public_id = f"cache/{uuid.uuid4().hex}"
    render(source(FAMILY), parse(url(FAMILY, "w_64,e_pixelate_faces")), focus=VisionFocus(public_id, 1))
    assert not VisionFocus(public_id, 1).cached("faces", aspect=640 / 480)
    thumb = _getinfo(FAMILY, "c_fill,g_faces,w_100,h_100", VisionFocus(public_id, 1))
    assert onnx_runs["faces"] == 2  # analysed again, at analysis size
    faces = boxes_of(thumb["regions"])
    assert len(faces) == len(truth) and all(any(same_box(f, t, 3) for t in truth) for f in faces)


def test_concurrent_renditions_of_a_new_asset_run_each_model_once(onnx_runs):
    """A browser's srcset: two sizes of one never-seen asset arrive together.  The first
    runs the models; the second waits for it (single-flight per detection-cache key) and
    reads the same detections from the cache."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    faces = boxes_of(info(FAMILY, "c_crop,g_faces")["regions"])
    onnx_runs.clear()
    _getinfo(FAMILY, "c_fill,g_auto,w_200,h_200", VisionFocus(f"cache/{uuid.uuid4().hex}", 1))
    one_rendition = dict(onnx_runs)  # coco runs NanoDet twice (two letterbox scales)
    assert set(one_rendition) >= {"coco", "faces", "saliency"}
    onnx_runs.clear()
    onnx_runs.delay = 0.3  # each model run takes long enough for the renders to overlap
    public_id = f"cache/{uuid.uuid4().hex}"
    start = threading.Barrier(2)

    def rendition(transformation: str) -> dict:
        start.wait()
        return _getinfo(FAMILY, transformation, VisionFocus(public_id, 1))

    with ThreadPoolExecutor(2) as pool:
        small, large = pool.map(rendition, ["c_fill,g_auto,w_200,h_200", "c_fill,g_auto,w_400,h_300"])
    assert dict(onnx_runs) == one_rendition  # the pair cost what one rendition costs
    assert (small["output"]["width"], large["output"]["width"]) == (200, 400)
    for doc in (small, large):
        found = boxes_of(doc["regions"], "face")
        assert len(found) == len(faces) and all(any(same_box(f, t, 3) for t in faces) for f in found)
    assert len(CACHE.flights) == 0  # the lock table empties when the flights land


def test_a_warm_cache_lets_the_next_rendition_shrink_on_load(monkeypatch):
    """With every target in the detection cache (`VisionFocus.cached`), the next rendition
    decodes straight to its output size instead of stopping at the analysis size."""
    import edge.render.ops.load as load_step

    seen: list = []
    real = load_step.decode

    def spy(*args, **kwargs):
        seen.append(kwargs.get("shrink_to"))
        return real(*args, **kwargs)

    monkeypatch.setattr(load_step, "decode", spy)
    public_id = f"cache/{uuid.uuid4().hex}"
    name, big = "landscape_aitzgorri.jpg", "c_fill,g_auto:person,w_150,h_100"
    fresh = VisionFocus(public_id, 1)
    assert not fresh.cached("person", aspect=3088 / 2056)
    render(source(name), parse(url(name, big)), focus=fresh)
    assert max(seen[-1]) == load_step.ANALYSIS_SIDE  # cold: the models needed pixels
    warm = VisionFocus(public_id, 1)
    assert all(warm.cached(t, m, aspect=3088 / 2056) for t, m in [("person", None), ("faces", None), ("saliency", None)])
    render(source(name), parse(url(name, big)), focus=warm)
    assert max(seen[-1]) < load_step.ANALYSIS_SIDE  # warm: straight to the fill size
    assert not warm.cached("ocr_text", aspect=3088 / 2056)  # never computed for this asset


# --- unknown names ------------------------------------------------------------------------------------


@pytest.mark.parametrize("gravity", ["g_auto:unicorn", "g_unicorn", "g_unicorn:cat", "g_cat:unicorn"])
def test_unknown_object_is_a_400(gravity):
    with pytest.raises(RenderError) as err:
        render(source("cat_chelsea.png"), parse(url("cat_chelsea.png", f"c_fill,{gravity},w_10,h_10")), focus=focus("cat_chelsea.png"))
    assert err.value.status == 400
    assert "unicorn" in str(err.value)
