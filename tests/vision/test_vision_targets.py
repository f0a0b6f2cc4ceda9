"""Target names: COCO classes, plurals, categories, synonyms, model prefixes, unknown names."""

from __future__ import annotations

import pytest

from edge.render.focus import FocusError
from edge.vision.labels import CATEGORIES, COCO80, plural, resolve
from edge.vision.targets import parse_target


def test_there_are_80_unique_classes_and_every_class_has_a_category():
    assert len(COCO80) == len(set(COCO80)) == 80
    covered = set().union(*CATEGORIES.values())
    assert covered == set(COCO80)
    assert set(CATEGORIES) == {"animal", "vehicle", "person", "kitchen", "furniture", "electronic",
                               "food", "sports", "accessory", "outdoor", "indoor", "appliance"}


@pytest.mark.parametrize("word,expected", [("cat", "cats"), ("bus", "buses"), ("person", "people"),
                                           ("knife", "knives"), ("wine glass", "wine glasses"),
                                           ("teddy bear", "teddy bears"), ("accessory", "accessories")])
def test_plural(word, expected):
    assert plural(word) == expected


@pytest.mark.parametrize("name,model,classes,is_plural", [
    ("cat", None, {"cat"}, False),
    ("cats", None, {"cat"}, True),
    ("birds", None, {"bird"}, True),
    ("people", None, {"person"}, True),
    ("traffic_light", None, {"traffic light"}, False),
    ("Traffic-Lights", None, {"traffic light"}, True),
    ("animal", None, CATEGORIES["animal"], False),
    ("vehicles", None, CATEGORIES["vehicle"], True),
    ("electronics", None, CATEGORIES["electronic"], True),
    ("mug", None, {"cup"}, False),
    ("coco_cat", None, {"cat"}, False),
    ("coco_v2_dogs", None, {"dog"}, True),
    ("cat", "coco", {"cat"}, False),
    ("cat", "coco_v2", {"cat"}, False),
    ("object", None, None, False),
])
def test_coco_targets(name, model, classes, is_plural):
    q = parse_target(name, model)
    assert q.model == "coco"
    assert q.classes == (frozenset(classes) if classes is not None else None)
    assert q.plural == is_plural


@pytest.mark.parametrize("name,model,expected", [
    ("faces", None, "faces"), ("face", None, "faces"), ("ocr_text", None, "text"),
    ("text", "cld-text", "text"), ("cld-text_text", None, "text"), ("saliency", None, "saliency"),
])
def test_special_targets(name, model, expected):
    assert parse_target(name, model).model == expected


@pytest.mark.parametrize("name,model", [
    ("unicorn", None), ("", None), ("lvis_sofa", None), ("cat", "lvis"), ("shoe", "cld-fashion"),
    ("ocr_text", "coco"), ("cat", "cld-text"), ("faces", "coco"), ("cat", "nosuchmodel"),
    ("saliency", "coco"),
])
def test_unknown_names_and_models_raise_focus_error(name, model):
    with pytest.raises(FocusError):
        parse_target(name, model)


def test_unknown_name_through_the_provider_is_a_focus_error(photo):
    from edge.vision import VisionFocus

    with pytest.raises(FocusError):
        VisionFocus().find(photo("tiny_hopper_128.jpg"), "unicorn")


def test_resolve_without_synonyms():
    assert resolve("mug", synonyms=False) is None
    assert resolve("cup", synonyms=False).classes == frozenset({"cup"})


def test_any_target_text_is_a_query_or_a_focus_error():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from edge.vision.targets import Query

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=40), st.one_of(st.none(), st.text(max_size=20)))
    def check(name, model):
        try:
            q = parse_target(name, model)
        except FocusError:
            return
        assert isinstance(q, Query) and q.model in {"coco", "faces", "text", "saliency"}

    check()
