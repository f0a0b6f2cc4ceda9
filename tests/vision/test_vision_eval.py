"""bench/vision_eval.py (issue 15) on a three-photo COCO-format set built from tests/images: the
challenges it derives and the pass rules it applies, through the real render path."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "tests" / "images"
spec = importlib.util.spec_from_file_location("vision_eval", ROOT / "bench" / "vision_eval.py")
ve = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ve)

# exact COCO boxes of the photos (instances_train2017), 0-based category ids as vision-dev has them
PHOTOS = {
    "dog_skateboard_coco_000490.jpg": (500, 495, [(16, (46, 193, 90, 143)), (36, (305, 137, 91, 251))]),
    "kitchen_refrigerator_coco_000486.jpg": (640, 427, [(72, (392, 176, 63, 110)), (69, (392, 275, 248, 152))]),
}
NAMES = {16: "dog", 36: "skateboard", 72: "refrigerator", 69: "oven"}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("vision-dev")
    (root / "images").mkdir()
    images, annotations = [], []
    for name, (w, h, boxes) in PHOTOS.items():
        shutil.copy(IMAGES / name, root / "images" / name)
        images.append({"file_name": name, "id": name, "width": w, "height": h})
        annotations += [{"id": len(annotations) + i, "image_id": name, "category_id": c, "bbox": list(b), "iscrowd": 0}
                        for i, (c, b) in enumerate(boxes)]
    (root / "instances.json").write_text(json.dumps(
        {"images": images, "annotations": annotations,
         "categories": [{"id": k, "name": v} for k, v in NAMES.items()]}))
    return root


def test_challenges_follow_the_fit_rules(data):
    chs = ve.challenges(data)
    fills = [c for c in chs if c["kind"] == "fill"]
    # the 63 x 110 refrigerator fits every window; the 248 px wide oven does not fit the 240 px portrait
    assert {c["aspect"] for c in fills if c["cls"] == "refrigerator"} == {"landscape", "square", "portrait"}
    assert {c["aspect"] for c in fills if c["cls"] == "oven"} == {"landscape", "square"}
    crops = {c["cls"]: c["url"] for c in chs if c["kind"] == "crop"}
    assert crops == {"dog": "c_crop,g_dog", "skateboard": "c_crop,g_skateboard",
                     "refrigerator": "c_crop,g_refrigerator", "oven": "c_crop,g_oven"}
    assert not [c for c in chs if c["kind"] == "faces"]  # no people
    # a portrait window can slide clear of the dog (x 46..136 in a 278 px window on 500 px)
    assert any(c["kind"] == "avoid" and c["cls"] == "dog" and c["aspect"] == "portrait" for c in chs)


def test_judge_applies_keep_iou_and_avoid_thresholds():
    fill = {"kind": "fill", "size": (100, 100), "boxes": [(10, 10, 20, 20)]}
    assert ve.judge(fill, (12, 0, 50, 50)) and not ve.judge(fill, (13, 0, 50, 50))  # 90 % kept / 85 %
    crop = {"kind": "crop", "size": (100, 100), "boxes": [(10, 10, 20, 20)]}
    assert ve.judge(crop, (10, 10, 25, 25)) and not ve.judge(crop, (10, 10, 40, 40))
    avoid = {"kind": "avoid", "size": (100, 100), "boxes": [(0, 0, 20, 100)]}
    assert ve.judge(avoid, (20, 0, 50, 100)) and not ve.judge(avoid, (10, 0, 50, 100))


def test_the_engine_beats_attention_on_these_photos(data):
    chs, _ = ve.run(data, None, baseline=True)
    mine = [c for c in chs if c["cls"] in ("dog", "refrigerator")]  # both failed before issue 15
    assert mine and all(c["ok"] for c in mine), [c["url"] for c in mine if not c["ok"]]
    total = ve.summary(chs)
    for kind in ("fill", "crop", "avoid"):
        assert total[kind]["edge"] > total[kind]["attention"], kind


def test_people_marked_faceless_are_no_face_challenge(tmp_path):
    """`faces` asks only for the heads of people whose face can be seen (vision_faces.json), as
    the by-eye head boxes; `faces_proxy` asks for the same people's person-box proxies and
    `faces_all` for every big person's (the three women of COCO 000536, exact COCO boxes; the
    third is given an id from the by-eye faceless list, so it stands for a person seen from
    behind)."""
    name = "people_three_women_coco_000536.jpg"
    (tmp_path / "images").mkdir()
    shutil.copy(IMAGES / name, tmp_path / "images" / name)
    faceless = min(ve.FACELESS)
    people = [(731, (292.9, 133.9, 155.1, 198.3)), (732, (169.4, 79.5, 108.4, 255.6)), (faceless, (88.3, 68.6, 98.2, 263.5))]
    (tmp_path / "instances.json").write_text(json.dumps({
        "images": [{"file_name": name, "id": 536, "width": 448, "height": 336}],
        "annotations": [{"id": i, "image_id": 536, "category_id": 0, "bbox": list(b), "iscrowd": 0} for i, b in people],
        "categories": [{"id": 0, "name": "person"}]}))
    chs = ve.challenges(tmp_path)
    faces = {c["aspect"]: c["boxes"] for c in chs if c["kind"] == "faces"}
    proxy = {c["aspect"]: c["boxes"] for c in chs if c["kind"] == "faces_proxy"}
    every = {c["aspect"]: c["boxes"] for c in chs if c["kind"] == "faces_all"}
    head = ve._head(people[2][1])
    assert head in every["landscape"] and head not in proxy["landscape"]  # the union fits 16:9
    assert len(proxy["landscape"]) == 2 and len(every["landscape"]) == 3
    assert proxy["portrait"] == [ve._head(people[0][1])]  # too wide together: the largest only
    # the by-eye heads are narrower than the proxies: both seen heads fit the 189 px portrait
    assert sorted(faces["portrait"]) == sorted([ve.HEADS[731], ve.HEADS[732]])
    assert ve.HEADS[731][2] < ve._head(people[0][1])[2]


def test_by_eye_heads_cover_every_seen_person():
    """Every big vision-dev person whose face can be seen has a by-eye head box, inside its
    person box's neighbourhood (a head outside the person's box would be a typo)."""
    data = ve.DATA / "instances.json"
    if not data.exists():
        pytest.skip("vision-dev not on this machine")
    doc = json.loads(data.read_text())
    sizes = {i["id"]: i["width"] * i["height"] for i in doc["images"]}
    seen = [a for a in doc["annotations"] if a["category_id"] == 0 and not a.get("iscrowd")
            and a["bbox"][2] * a["bbox"][3] >= ve.BIG * sizes[a["image_id"]] and a["id"] not in ve.FACELESS]
    assert {a["id"] for a in seen} == set(ve.HEADS)
    for a in seen:
        x, y, w, h = a["bbox"]
        hx, hy, hw, hh = ve.HEADS[a["id"]]
        assert x - 25 <= hx and hx + hw <= x + w + 25 and y - 25 <= hy and hy + hh <= y + h + 25, a["id"]
