"""The model-backed effects, called directly with VisionFocus as ctx.focus."""

from __future__ import annotations

import numpy as np
import pytest

from edge.render.effects import EffectContext, lookup
from edge.render.errors import RenderError
from edge.url.ast import Component, Effect
from edge.url.errors import UrlError


def _effect(name: str, *args: str) -> Effect:
    options = tuple(tuple(a.split("_", 1)) for a in args if "_" in a)
    text = name + "".join(":" + a for a in args)
    return Effect(name=name, args=tuple(args), text=text, options=options)


def _run(name, image, focus, *args):
    return lookup(name)(image, _effect(name, *args), EffectContext(component=Component(()), focus=focus))


def _band(image, band: int) -> np.ndarray:
    b = image.extract_band(band)
    return np.ndarray(buffer=b.write_to_memory(), dtype=np.uint8, shape=(image.height, image.width))


def _pixels(image) -> np.ndarray:
    return np.ndarray(buffer=image.write_to_memory(), dtype=np.uint8, shape=(image.height, image.width, image.bands))


@pytest.fixture
def coffee(photo):
    return photo("coffee.png")


def test_extract_cup_alpha_covers_the_cup(coffee, focus):
    out = _run("extract", coffee, focus, "prompt_cup")
    assert (out.width, out.height, out.bands) == (coffee.width, coffee.height, 4)
    alpha = _band(out, 3)
    cup = alpha[60:200, 220:360]  # the rim and the espresso
    assert (cup > 200).mean() > 0.95
    assert alpha[:, :60].max() < 30 and alpha[:, 560:].max() < 30  # the table left and right
    assert alpha[380:, :].mean() < 10  # the table below the saucer
    assert out.get_typeof("edge-extract") == 0  # no fallback
    assert (_pixels(out)[..., :3] == _pixels(coffee)).all()  # colours untouched


def test_extract_with_a_synonym_and_mask_mode(coffee, focus):
    mask = _run("extract", coffee, focus, "prompt_mug", "mode_mask")
    assert mask.bands == 3
    m = _band(mask, 0)
    assert m[120, 290] > 200 and m[10, 10] < 30


def test_extract_invert(coffee, focus):
    out = _run("extract", coffee, focus, "prompt_cup", "invert_true")
    alpha = _band(out, 3)
    assert alpha[120, 290] < 50 and alpha[10, 10] > 220


def test_extract_multiple_keeps_every_instance(photo, focus, monkeypatch):
    from edge.render.effects import extract as extract_module

    monkeypatch.setattr(extract_module, "MAX_CROPS", 1)  # 2nd and 3rd woman: whole-image mask
    image = photo("people_three_women_coco_000536.jpg")
    one = _band(_run("extract", image, focus, "prompt_person"), 3) > 128
    many = _band(_run("extract", image, focus, "prompt_person", "multiple_true"), 3) > 128
    assert many.sum() > 1.5 * one.sum()
    assert (many | one).sum() == many.sum()  # "multiple" keeps the first woman too


def test_extract_unknown_prompt_falls_back_to_the_salient_subject(coffee, focus):
    out = _run("extract", coffee, focus, "prompt_unicorn")
    assert out.get("edge-extract") == "fallback:unknown-prompt"
    alpha = _band(out, 3)
    assert alpha[120, 290] > 200 and alpha[5, 5] < 50


def test_extract_prompt_not_in_the_photo_falls_back(coffee, focus):
    out = _run("extract", coffee, focus, "prompt_giraffe")
    assert out.get("edge-extract") == "fallback:not-found"


@pytest.mark.parametrize("args", [(), ("prompt_",), ("prompt_cup", "mode_sketch"), ("prompt_cup", "invert_maybe")])
def test_extract_bad_options_are_url_errors(coffee, focus, args):
    with pytest.raises(UrlError):
        _run("extract", coffee, focus, *args)


def test_extract_without_provider_is_a_render_error(coffee):
    with pytest.raises(RenderError):
        _run("extract", coffee, None, "prompt_cup")


def test_background_removal(photo, focus):
    cat = photo("cat_chelsea.png")
    out = _run("background_removal", cat, focus)
    assert out.bands == 4
    alpha = _band(out, 3)
    assert alpha[150, 200] > 200  # the cat's face
    soft = _band(_run("background_removal", cat, focus, "fineedges_y"), 3)
    # hardened edges have fewer half-transparent pixels than the soft mask
    assert ((alpha > 20) & (alpha < 235)).sum() < ((soft > 20) & (soft < 235)).sum()


def test_background_removal_keeps_existing_transparency(photo, focus):
    bird = photo("alpha_bird_rgba.png")
    out = _run("background_removal", bird, focus)
    assert out.bands == 4
    before, after = _band(bird, 3), _band(out, 3)
    assert after[before == 0].max() == 0


def test_background_removal_needs_a_mask():
    from edge.render.saliency import SaliencyFocus
    import pyvips

    with pytest.raises(RenderError):
        _run("background_removal", pyvips.Image.black(64, 64, bands=3), SaliencyFocus())


@pytest.mark.parametrize("name,args", [("pixelate_faces", ()), ("pixelate_faces", ("20",)),
                                       ("blur_faces", ()), ("blur_faces", ("1000",))])
def test_face_effects_change_faces_only(photo, focus, name, args):
    image = photo("people_family_table_coco_000110.jpg")
    out = _run(name, image, focus, *args)
    a, b = _pixels(image).astype(int), _pixels(out).astype(int)
    changed = np.abs(a - b).sum(2) > 0
    assert changed[20:150, 450:560].mean() > 0.5  # the mother's face
    assert changed[200:290, 60:130].mean() > 0.5  # the girl's face
    assert not changed[380:, :].any()  # the pizza and table
    assert changed.mean() < 0.25


def test_face_effects_leave_a_faceless_photo_alone(photo, focus):
    cat = photo("cat_chelsea.png")
    assert (_pixels(_run("pixelate_faces", cat, focus)) == _pixels(cat)).all()
    assert (_pixels(_run("blur_faces", cat, None)) == _pixels(cat)).all()


@pytest.mark.parametrize("name,arg", [("pixelate_faces", "500"), ("blur_faces", "0"), ("blur_faces", "x")])
def test_face_effect_arguments_are_checked(photo, focus, name, arg):
    with pytest.raises(UrlError):
        _run(name, photo("cat_chelsea.png"), focus, arg)
