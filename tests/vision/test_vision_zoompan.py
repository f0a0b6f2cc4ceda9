"""e_zoompan: a still image becomes a stacked animation along the zoom/pan path."""

from __future__ import annotations

import numpy as np
import pytest

from edge.render.effects import EffectContext, lookup
from edge.render.effects.zoompan import views_for_mode
from edge.render.errors import RenderError
from edge.url.ast import Component, Effect
from edge.url.errors import UrlError


def _zoompan(image, focus, *options: str):
    opts = tuple(tuple(o.split("_", 1)) for o in options)
    effect = Effect(name="zoompan", args=tuple(options), text="zoompan:" + ";".join(options), options=opts)
    return lookup("zoompan")(image, effect, EffectContext(component=Component(()), focus=focus))


def _frames(anim) -> list[np.ndarray]:
    ph = anim.get("page-height")
    arr = np.ndarray(buffer=anim.write_to_memory(), dtype=np.uint8, shape=(anim.height, anim.width, anim.bands))
    return [arr[y:y + ph] for y in range(0, anim.height, ph)]


def _mean_diff(a, b) -> float:
    return float(np.abs(a.astype(int) - b.astype(int)).mean())


@pytest.fixture
def small_dog(photo):
    return photo("dog_bicycle_truck.jpg").resize(0.4)


def test_default_zooms_into_the_centre(small_dog, focus):
    anim = _zoompan(small_dog, focus, "du_1", "fps_10")
    frames = _frames(anim)
    assert len(frames) == 10
    assert anim.get("delay") == [100] * 10 and anim.get("loop") == 0
    first = np.ndarray(buffer=small_dog.write_to_memory(), dtype=np.uint8,
                       shape=(small_dog.height, small_dog.width, 3))
    assert frames[0].shape == first.shape
    assert _mean_diff(frames[0], first) < 3  # starts with the whole image
    assert _mean_diff(frames[-1], first) > 10  # ends zoomed in


def test_zoom_out_mode_is_the_reverse(small_dog, focus):
    zin = _frames(_zoompan(small_dog, focus, "du_1", "fps_6"))
    zout = _frames(_zoompan(small_dog, focus, "mode_ofc", "du_1", "fps_6"))
    assert _mean_diff(zin[0], zout[-1]) < 3 and _mean_diff(zin[-1], zout[0]) < 3


def test_from_an_object_starts_on_it(small_dog, focus):
    frames = _frames(_zoompan(small_dog, focus, "du_1", "fps_5", "from_(g_dog;zoom_3)"))
    # the first frame shows the dog (light fur) filling the frame: brighter than the whole scene
    assert frames[0].mean() != pytest.approx(frames[-1].mean(), abs=1)
    dog = focus.find(small_dog, "dog")[0].box
    x, y, w, h = dog
    crop = small_dog.crop(x, y, w, h)
    assert abs(float(frames[0].mean()) - crop.avg()) < abs(float(frames[-1].mean()) - crop.avg())


def test_frame_budget_keeps_big_requests_small(photo, focus):
    anim = _zoompan(photo("landscape_aitzgorri.jpg"), focus, "du_30", "fps_60")
    n = anim.height // anim.get("page-height")
    assert n <= 100
    assert anim.width * anim.height <= 6_000_000


def test_views_for_modes_touch_their_corner():
    start, end = views_for_mode("ztl", 2.0)
    assert (start.zoom, end.zoom) == (1.0, 2.0)
    assert (end.cx, end.cy) == (0.25, 0.25)
    a, b = views_for_mode("plr", 2.0)
    assert a.cx < b.cx and a.zoom == b.zoom == 2.0


@pytest.mark.parametrize("options", [("mode_spin",), ("maxzoom_20",), ("fps_1",), ("from_(q_5)",), ("to_(g_cat;zoom_99)",)])
def test_bad_options_are_url_errors(small_dog, focus, options):
    with pytest.raises(UrlError):
        _zoompan(small_dog, focus, *options)


def test_unknown_object_is_a_render_error(small_dog, focus):
    with pytest.raises(RenderError):
        _zoompan(small_dog, focus, "to_(g_unicorn)")
