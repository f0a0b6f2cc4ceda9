"""Spatial filters: blur, pixelate (+ regions), sharpen, unsharp_mask, vignette, oil_paint,
cartoonify, ordered_dither, morphology, on real photos."""

from __future__ import annotations

import numpy as np
import pytest

from fx_support import FixedFocus, arr, gravity, hf_energy, px, rel, run
from edge.url.errors import UrlError


def test_blur_lowers_high_frequency_energy(coffee):
    e0 = hf_energy(coffee)
    e100 = hf_energy(run("blur", coffee))
    e2000 = hf_energy(run("blur", coffee, "2000"))
    assert e100 < e0 * 0.5
    assert e2000 < e100
    out = run("blur", coffee, "2000")
    assert (out.width, out.height) == (coffee.width, coffee.height)
    assert abs(arr(out).mean() - arr(coffee).mean()) < 3  # blur keeps the mean


def test_blur_keeps_transparent_colour_from_bleeding(bird):
    out = arr(run("blur", bird, "300"))
    assert out.shape[2] == 4
    assert out[..., 3].std() < arr(bird)[..., 3].std()


def test_blur_region_changes_only_the_box(coffee):
    out = arr(run("blur_region", coffee, "400", params=[("x", px(40)), ("y", px(30)), ("w", px(100)), ("h", px(80))]))
    src = arr(coffee)
    inside = (slice(30, 110), slice(40, 140))
    mask = np.ones(src.shape[:2], bool)
    mask[inside] = False
    assert np.array_equal(out[mask], src[mask])
    assert np.abs(out[inside] - src[inside]).mean() > 3


def test_blur_region_relative_box(coffee):
    out = arr(run("blur_region", coffee, params=[("x", rel(0.5)), ("w", rel(0.5))]))
    src = arr(coffee)
    half = coffee.width // 2
    assert np.array_equal(out[:, : half - 1], src[:, : half - 1])
    assert np.abs(out[:, half + 2 :] - src[:, half + 2 :]).mean() > 1


def test_blur_region_whole_image_without_region(coffee):
    assert hf_energy(run("blur_region", coffee)) < hf_energy(coffee) * 0.5


def test_blur_region_uses_focus_provider_for_ocr_text(coffee):
    focus = FixedFocus({"ocr_text": [(10, 10, 50, 40), (200, 100, 60, 50)]})
    out = arr(run("blur_region", coffee, "500", params=[("g", gravity("ocr_text"))], focus=focus))
    src = arr(coffee)
    assert focus.calls == ["ocr_text"]
    assert np.abs(out[10:50, 10:60] - src[10:50, 10:60]).mean() > 2
    assert np.abs(out[100:150, 200:260] - src[100:150, 200:260]).mean() > 2
    assert np.array_equal(out[60:90, 80:180], src[60:90, 80:180])


def test_pixelate_region_with_faces_and_nothing_found(coffee):
    focus = FixedFocus({})
    out = run("pixelate_region", coffee, params=[("g", gravity("faces"))], focus=focus)
    assert np.array_equal(arr(out), arr(coffee))  # no face found: untouched
    assert focus.calls == ["faces"]


def test_pixelate_makes_constant_blocks(hats):
    out = arr(run("pixelate", hats, "8"))
    blocks = out[: 8 * (hats.height // 8), : 8 * (hats.width // 8)]
    h, w = blocks.shape[0] // 8, blocks.shape[1] // 8
    tiles = blocks.reshape(h, 8, w, 8, 3)
    assert (tiles.max(axis=(1, 3)) - tiles.min(axis=(1, 3))).max() == 0
    # block value is the block's mean
    src = arr(hats)[:8, :8].reshape(-1, 3).mean(axis=0)
    assert np.abs(out[0, 0] - src).max() <= 1


def test_pixelate_auto_and_region(hats):
    auto = arr(run("pixelate", hats))
    assert hf_energy(run("pixelate", hats)) < hf_energy(hats)
    assert auto.shape == arr(hats).shape
    out = arr(run("pixelate_region", hats, "10", params=[("x", px(0)), ("y", px(0)), ("w", px(100)), ("h", px(50))]))
    assert np.array_equal(out[60:], arr(hats)[60:])
    assert (out[:10, :10].reshape(-1, 3).std(axis=0) == 0).all()


def test_sharpen_and_unsharp_mask_raise_high_frequency_energy(coffee):
    e0 = hf_energy(coffee)
    assert hf_energy(run("sharpen", coffee)) > e0 * 1.1
    assert hf_energy(run("sharpen", coffee, "1000")) > hf_energy(run("sharpen", coffee, "100"))
    assert hf_energy(run("unsharp_mask", coffee)) > e0 * 1.1
    assert hf_energy(run("unsharp_mask", coffee, "500")) > hf_energy(run("unsharp_mask", coffee, "100"))


def test_vignette_darkens_corners_not_centre(coffee):
    src, out = arr(coffee), arr(run("vignette", coffee, "60"))
    h, w = src.shape[:2]
    centre = (slice(h // 2 - 10, h // 2 + 10), slice(w // 2 - 10, w // 2 + 10))
    corner = (slice(0, 15), slice(0, 15))
    assert np.array_equal(out[centre], src[centre])
    assert out[corner].mean() < src[corner].mean() * 0.3
    assert np.array_equal(arr(run("vignette", coffee, "0")), src)


def test_oil_paint_flattens_texture(coffee):
    assert hf_energy(run("oil_paint", coffee, "80")) < hf_energy(run("oil_paint", coffee, "10")) < hf_energy(coffee)


def test_cartoonify_posterises_and_draws_lines(hats):
    out = arr(run("cartoonify", hats, "70", "80"))
    levels = max(2, round(24 - 22 * 0.8))
    assert len(np.unique(out[..., 0])) <= levels + 1
    assert (out.sum(axis=2) == 0).mean() > 0.01  # black edge lines
    no_lines = arr(run("cartoonify", hats, "0", "80"))
    assert (no_lines.sum(axis=2) == 0).mean() < (out.sum(axis=2) == 0).mean()
    bw = arr(run("cartoonify", hats, "50", "bw"))
    assert np.array_equal(bw[..., 0], bw[..., 2])


@pytest.mark.parametrize("level", ["0", "1", "5", "8", "12", "18"])
def test_ordered_dither_is_one_bit_and_keeps_tone(grey_photo, level):
    out = arr(run("ordered_dither", grey_photo, level))
    assert set(np.unique(out)) <= {0.0, 255.0}
    # a dither keeps the average tone (level 0 is a plain threshold)
    tolerance = 40 if level == "0" else 12
    assert abs(out.mean() - arr(grey_photo).mean()) < tolerance


def test_ordered_dither_pattern_differs_between_maps(grey_photo):
    assert not np.array_equal(arr(run("ordered_dither", grey_photo, "5")), arr(run("ordered_dither", grey_photo, "9")))


def test_morphology_erode_dilate_open_close(coffee):
    src = arr(coffee)
    eroded = arr(run("morphology", coffee))  # erode, disk, radius 2
    dilated = arr(run("morphology", coffee, "method_dilate", options=[("method", "dilate")]))
    assert (eroded <= src).all() and eroded.mean() < src.mean() - 3
    assert (dilated >= src).all() and dilated.mean() > src.mean() + 3
    # erosion equals the minimum over the disk at an inner pixel
    y, x = 100, 150
    r = 2
    offs = [(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1) if dx * dx + dy * dy <= r * r]
    expect = min(src[y + dy, x + dx, 0] for dy, dx in offs)
    assert eroded[y, x, 0] == expect
    opened = arr(run("morphology", coffee, options=[("method", "open")]))
    assert (opened <= src).all()
    more = arr(run("morphology", coffee, options=[("iterations", "3")]))
    assert more.mean() < eroded.mean()


def test_morphology_convolve_smooths(coffee):
    out = run("morphology", coffee, options=[("method", "convolve"), ("kernel", "square"), ("radius", "3")])
    assert hf_energy(out) < hf_energy(coffee) * 0.6


@pytest.mark.parametrize(
    "options",
    [[("method", "melt")], [("kernel", "star")], [("iterations", "6")], [("iterations", "1.5")], [("radius", "11")]],
)
def test_morphology_bad_options(coffee, options):
    with pytest.raises(UrlError):
        run("morphology", coffee, options=options)


@pytest.mark.parametrize("level", range(2, 19))
def test_threshold_maps_are_evenly_spaced_permutations(level):
    from edge.render.effects.dither import threshold_map

    t = np.array(threshold_map(level))
    assert t.shape[0] == t.shape[1]
    expected = (np.arange(t.size) + 0.5) / t.size
    assert np.allclose(np.sort(t.ravel()), expected)


def test_oil_paint_is_a_kuwahara_filter(coffee):
    """Each output pixel is the mean of its least-varied quadrant window (numpy reference)."""
    from edge.render.effects.artistic import kuwahara

    r = 3
    out = arr(kuwahara(coffee, r).cast("float"))
    a = arr(coffee)
    luma = a @ np.array([0.299, 0.587, 0.114])
    for y, x in [(40, 60), (100, 150), (150, 30), (r, r)]:
        windows = []
        for y0 in (y - r, y):
            for x0 in (x - r, x):
                win = a[y0 : y0 + r + 1, x0 : x0 + r + 1].reshape(-1, 3)
                windows.append((luma[y0 : y0 + r + 1, x0 : x0 + r + 1].var(), win.mean(axis=0)))
        expect = min(windows, key=lambda t: t[0])[1]
        assert np.abs(out[y, x] - expect).max() < 0.01


@pytest.mark.parametrize("name,args", [("pixelate_faces", ("12",)), ("blur_faces", ())])
def test_face_effects_cover_the_padded_face_box_only(hats, name, args):
    """A face box is grown by PAD of its size on each side (clipped to the image); only that
    area changes."""
    from edge.render.effects.faces import PAD

    focus = FixedFocus({"faces": [(100, 60, 80, 60), (-20, 150, 60, 200)]})
    out, src = arr(run(name, hats, *args, focus=focus)), arr(hats)
    assert focus.calls == ["faces"]
    changed = np.abs(out - src).sum(axis=2) > 0
    px_, py_ = round(80 * PAD), round(60 * PAD)
    inside = np.zeros(changed.shape, bool)
    inside[60 - py_ : 120 + py_, 100 - px_ : 180 + px_] = True
    inside[150 - 30 :, : 40 + 9] = True  # the second box, clipped at the left and bottom edges
    assert not changed[~inside].any()
    assert changed[60:120, 100:180].mean() > 0.5 and changed[60 - py_ : 60, 100:180].mean() > 0.3
    assert changed[:, :49][150 - 30 :].mean() > 0.3
