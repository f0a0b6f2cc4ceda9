"""What the models find on the real photos of tests/images (the issue's acceptance list)."""

from __future__ import annotations

import pytest

from edge.render.focus import FocusError, FocusProvider, Region


def _contains(box, point) -> bool:
    x, y, w, h = box
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def _iou(a, b) -> float:
    ax0, ay0, aw, ah = a
    bx0, by0, bw, bh = b
    ix = max(0, min(ax0 + aw, bx0 + bw) - max(ax0, bx0))
    iy = max(0, min(ay0 + ah, by0 + bh) - max(ay0, by0))
    inter = ix * iy
    return inter / (aw * ah + bw * bh - inter)


def test_vision_focus_satisfies_the_protocol(focus):
    assert isinstance(focus, FocusProvider)


def test_close_up_cat_is_a_cat(focus, photo):
    image = photo("cat_chelsea.png")
    cats = focus.find(image, "cat")
    assert cats and all(isinstance(r, Region) for r in cats)
    assert cats[0].label == "cat" and cats[0].model == "coco"
    # the cat fills most of the frame: its box covers the image centre and > half the area
    assert _contains(cats[0].box, (image.width / 2, image.height / 2))
    assert cats[0].box[2] * cats[0].box[3] > 0.5 * image.width * image.height


def test_dog_and_bicycle_have_distinct_boxes(focus, photo):
    image = photo("dog_bicycle_truck.jpg")
    dog = focus.find(image, "dog")
    bike = focus.find(image, "bicycle")
    assert dog and bike
    assert _iou(dog[0].box, bike[0].box) < 0.5
    assert _contains(dog[0].box, (210, 400))  # the dog sits bottom-left, in front of the bike
    assert _contains(bike[0].box, (400, 300))  # the bicycle spans the middle
    # the category and "object" include both
    assert {r.label for r in focus.find(image, "animal")} == {"dog"}
    assert {"dog", "bicycle"} <= {r.label for r in focus.find(image, "object")}


def test_people_on_the_street(focus, photo):
    people = focus.find(photo("street_storefront_people_coco_000395.jpg"), "people")
    assert len(people) >= 3
    assert all(r.label == "person" for r in people)
    assert people[0].score > 0.5


def test_every_face_of_the_family_and_none_on_the_cat(focus, photo):
    image = photo("people_family_table_coco_000110.jpg")
    faces = focus.find(image, "faces")
    assert all(r.label == "face" and r.model == "faces" for r in faces)
    # the two faces in front (mother top right, girl left) and the diners behind
    for point in ((500, 80), (95, 240), (265, 20)):
        assert any(_contains(r.box, point) for r in faces), f"no face at {point}"
    assert len(faces) >= 3
    assert faces[0].box[2] * faces[0].box[3] >= faces[-1].box[2] * faces[-1].box[3]
    assert focus.find(photo("cat_chelsea.png"), "faces") == []


def test_cup_on_coffee(focus, photo):
    image = photo("coffee.png")
    cups = focus.find(image, "cup")
    assert cups and cups[0].label == "cup"
    assert _contains(cups[0].box, (290, 140))  # the espresso in the cup
    assert focus.find(image, "mug")[0].box == cups[0].box  # synonym


@pytest.mark.parametrize("name", ["signage_street_sign_coco_000250.jpg", "text_scanned_page_gray.png"])
def test_text_boxes(focus, photo, name):
    boxes = focus.find(photo(name), "ocr_text")
    assert len(boxes) >= 2
    assert all(r.label == "text" and r.model == "text" for r in boxes)


def test_text_boxes_sit_on_the_street_signs(focus, photo):
    boxes = focus.find(photo("signage_street_sign_coco_000250.jpg"), "ocr_text")
    assert any(_contains(r.box, (180, 315)) for r in boxes)  # GREENWICH
    assert any(_contains(r.box, (430, 320)) for r in boxes)  # VESEY


@pytest.mark.parametrize("name", ["cat_chelsea.png", "coffee.png"])
def test_no_text_on_photos_without_text(focus, photo, name):
    assert focus.find(photo(name), "ocr_text") == []


def test_saliency_is_one_region_with_a_mask_on_the_subject(focus, photo):
    image = photo("coffee.png")
    (region,) = focus.find(image, "saliency")
    x, y, w, h = region.box
    assert region.mask.shape == (h, w) and str(region.mask.dtype) == "float32"
    assert 0.0 <= float(region.mask.min()) and float(region.mask.max()) <= 1.0
    assert _contains(region.box, (290, 140))
    assert w < image.width * 0.9  # not the whole photo: the cup and saucer
    assert region.mask[140 - y, 290 - x] > 0.8  # the cup is salient
    assert region.mask[0, 0] < 0.5  # the box corner is table


def test_boxes_scale_with_the_image(focus, photo):
    image = photo("dog_bicycle_truck.jpg")
    big = focus.find(image, "dog")[0].box
    small = focus.find(image.resize(0.5), "dog")[0].box
    # the detector sees a different resampling: allow 5 % of the smaller image's side
    for a, b, side in zip(big, small, (384, 288, 384, 288)):
        assert abs(a / 2 - b) <= 0.05 * side


def test_rgba_and_grey_inputs_work(focus, photo):
    assert focus.find(photo("alpha_bird_rgba.png"), "saliency")
    grey = photo("text_scanned_page_gray.png")
    assert grey.bands in (1, 3)
    assert focus.find(pyvips_grey(grey), "ocr_text")


def test_a_multiband_image_without_colour_space_works(focus, photo):
    """Bands tagged `multiband` (no colour space to convert from) once raised pyvips.Error in
    the shared pre-processing: the first three bands are used as RGB, fewer as grey."""
    coffee = photo("coffee.png")
    five = coffee.bandjoin([coffee.extract_band(0), coffee.extract_band(1)]).copy(interpretation="multiband")
    assert focus.find(five, "cup")[0].box == focus.find(coffee, "cup")[0].box
    grey = coffee.extract_band(1)
    two = grey.bandjoin(grey).copy(interpretation="multiband")  # read as grey + alpha
    (region,) = focus.find(two, "saliency")
    assert region.mask.shape == region.box[:1:-1]


def test_an_unknown_model_is_a_focus_error(photo):
    from edge.vision import detect

    with pytest.raises(FocusError):
        detect(photo("tiny_hopper_128.jpg"), "unicorn")


def pyvips_grey(image):
    return image.colourspace("b-w") if image.bands >= 3 else image


@pytest.mark.parametrize("target", ["object", "faces", "ocr_text", "saliency"])
def test_a_one_pixel_image_does_not_break_any_model(focus, photo, target):
    image = photo("tiny_1x1.png")
    for r in focus.find(image, target):
        x, y, w, h = r.box
        assert 0 <= x < 1 and 0 <= y < 1 and w == 1 and h == 1


def test_concurrent_finds_agree(photo):
    from concurrent.futures import ThreadPoolExecutor

    from edge.vision import VisionFocus
    from edge.vision.cache import DetectionCache

    image = photo("dog_bicycle_truck.jpg")
    cache = DetectionCache()

    def one(i):
        return VisionFocus("dog", 1, cache=cache).find(image, "dog")[0].box

    with ThreadPoolExecutor(4) as pool:
        boxes = list(pool.map(one, range(8)))
    assert len(set(boxes)) == 1


def test_an_animation_is_analysed_on_its_first_frame(focus, photo):
    import pyvips

    frame = photo("coffee.png")
    stacked = pyvips.Image.arrayjoin([frame, frame.flip("vertical")], across=1).copy()
    stacked.set_type(pyvips.GValue.gint_type, "page-height", frame.height)
    cup = focus.find(stacked, "cup")[0].box
    assert cup[1] + cup[3] <= frame.height
    assert _contains(cup, (290, 140))
