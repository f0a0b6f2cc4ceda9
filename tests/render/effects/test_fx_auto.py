"""Automatic corrections (edge/render/effects/auto.py) on real photos."""

from __future__ import annotations

import numpy as np
import pyvips
import pytest

from fx_support import arr, run
from edge.url.errors import UrlError


def _flat(image: pyvips.Image) -> pyvips.Image:
    """The photo with its contrast squeezed into 80..170 (a washed-out version of it)."""
    return (image * (90 / 255) + 80).cast("uchar").copy(interpretation="srgb")


def _cast(image: pyvips.Image) -> pyvips.Image:
    """The photo with a strong blue cast (red and green dimmed)."""
    return image.linear([0.6, 0.8, 1.0], [0, 0, 40]).cast("uchar").copy(interpretation="srgb")


def test_auto_contrast_stretches_a_flat_photo(coffee):
    flat = _flat(coffee)
    out = arr(run("auto_contrast", flat))
    assert np.percentile(out, 99) - np.percentile(out, 1) > 1.8 * (np.percentile(arr(flat), 99) - np.percentile(arr(flat), 1))
    assert np.array_equal(arr(run("auto_contrast", flat, "0")), arr(flat))  # blend 0 = original


def test_auto_color_removes_a_colour_cast(grey_photo, coffee):
    cast = _cast(grey_photo)  # a neutral photo with a blue cast
    out = arr(run("auto_color", cast))
    imbalance = lambda a: np.ptp(a.reshape(-1, 3).mean(axis=0))  # noqa: E731
    assert imbalance(arr(cast)) > 30
    assert imbalance(out) < imbalance(arr(cast)) * 0.3
    # on a colour photo the cast is largely undone: closer to the stretched original
    fixed = arr(run("auto_color", _cast(coffee)))
    reference = arr(run("auto_color", coffee))
    assert np.abs(fixed - reference).mean() < np.abs(arr(_cast(coffee)) - reference).mean() * 0.5


def test_auto_brightness_lifts_a_dark_photo(concert):
    src = arr(concert)
    assert src.mean() < 70
    out = arr(run("auto_brightness", concert))
    assert abs(out.mean() - 127.5) < abs(src.mean() - 127.5) * 0.6
    half = arr(run("auto_brightness", concert, "50"))
    assert src.mean() < half.mean() < out.mean()


def test_improve_outdoor_indoor_and_blend(coffee):
    flat = _flat(_cast(coffee))
    src = arr(flat)
    outdoor = arr(run("improve", flat))
    indoor = arr(run("improve", flat, "indoor", "100"))
    assert outdoor.std() > src.std() * 1.5
    assert not np.array_equal(outdoor, indoor)
    assert np.array_equal(arr(run("improve", flat, "0")), src)
    with pytest.raises(UrlError):
        run("improve", flat, "sideways")


def test_fill_light_lifts_shadows_more_than_highlights(concert):
    src = arr(concert)[..., 0]
    out = arr(run("fill_light", concert))[..., 0]
    dark, bright = src < 40, src > 200
    assert dark.sum() > 100
    gain_dark = (out[dark] - src[dark]).mean()
    gain_bright = (out[bright] - src[bright]).mean() if bright.any() else 0.0
    assert gain_dark > 10 and out[dark].mean() > src[dark].mean() * 1.4 and gain_dark > gain_bright
    weaker = arr(run("fill_light", concert, "100", "-80"))[..., 0]
    assert weaker[dark].mean() < out[dark].mean()


def test_chained_corrections_compose_into_one_lut(coffee):
    """`corrected` measures each step on the thumbnail as corrected so far and maps the full
    image once; for fixed LUTs that equals applying them one after the other."""
    from edge.render.effects._lut import apply_lut, lut_array, lut_image
    from edge.render.effects.auto import corrected

    invert = np.stack([lut_array(lambda x: 255 - x)] * 3)
    darken = np.stack([lut_array(lambda x: x * 0.5), lut_array(lambda x: x), lut_array(lambda x: x * 0.8)])
    seen: list[float] = []

    def watch(lut):
        def step(small):
            seen.append(float(small.mean()))
            return lut
        return step

    out = corrected(coffee, [watch(invert), watch(darken)])
    expect = apply_lut(apply_lut(coffee, lut_image(invert)), lut_image(darken))
    assert np.array_equal(arr(out), arr(expect))
    assert seen[1] == pytest.approx(255 - seen[0], abs=0.01)  # step 2 saw the inverted thumbnail
