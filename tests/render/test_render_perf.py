"""Issue 16 (performance): the shortcuts of the hot path keep their promises.

* `q_auto` trial encodes (`encode._saver(..., trial=True)`: no Huffman optimisation, no
  progressive scans, no metadata) decode to exactly the pixels of the final encoder's output,
  so the search picks what it picked with full encodes;
* JPEG trials encode only the Y plane (`quality._jpeg_y`, greyscale, by Pillow) and decode to
  exactly the Y plane of libvips' colour encode at the same quality; WebP trials by Pillow are
  the bytes of libvips' `webpsave_buffer`, and Pillow decodes them to libvips' pixels;
* the probe mosaic cut in numpy is pixel-identical to the libvips crop + arrayjoin mosaic;
* a 50 MP source rendered to 400x300 stays in bounded memory (shrink-on-load, streaming: a
  full decode alone would be 150 MB).
"""

from __future__ import annotations

import io
import json
import pathlib
import subprocess
import sys

import numpy as np
import pyvips
import pytest
from PIL import Image

from edge.render import quality
from edge.render.encode import _saver

IMAGES = pathlib.Path(__file__).resolve().parent.parent / "images"
REPO = pathlib.Path(__file__).resolve().parents[2]


def _image(name: str, width: int) -> pyvips.Image:
    return pyvips.Image.thumbnail(str(IMAGES / name), width).copy_memory()


@pytest.mark.parametrize("name", ["landscape_aitzgorri.jpg", "kodim03_hats.png"])
@pytest.mark.parametrize("flags", [{}, {"progressive": None}])
def test_trial_jpeg_encodes_decode_like_final_ones(name: str, flags: dict) -> None:
    probe = quality.sample(_image(name, 800))
    final, trial = _saver("jpg", flags), _saver("jpg", flags, trial=True)
    for q in (45, 70, 78, 93):
        a, b = final(probe, q, None), trial(probe, q, None)
        assert len(b) < len(a) + 2000  # the trial really is the cheaper encode (no ICC, no scans)
        decoded_a = pyvips.Image.new_from_buffer(a, "").numpy()
        decoded_b = pyvips.Image.new_from_buffer(b, "").numpy()
        assert np.array_equal(decoded_a, decoded_b), (name, flags, q)


@pytest.mark.parametrize("name", ["landscape_aitzgorri.jpg", "kodim03_hats.png", "text_scanned_page_gray.png"])
def test_trial_decodes_by_pillow_match_libvips(name: str) -> None:
    """`quality._decoded_luma` decodes JPEG trials with Pillow: the very floats a libvips
    decode gives (so the search picks what it picked), at every quality and chroma mode."""
    probe = quality.sample(_image(name, 800))
    trial = _saver("jpg", {}, trial=True)
    for q in (45, 60, 70, 78, 85, 93):
        for chroma in (None, "444"):
            data = trial(probe, q, chroma)
            reference = quality._luma(pyvips.Image.new_from_buffer(data, ""))
            assert np.array_equal(quality._decoded_luma(data), reference), (name, q, chroma)


def _y_plane(data: bytes) -> np.ndarray:
    """The Y plane of a colour JPEG, as libjpeg decodes it (no colour conversion)."""
    with Image.open(io.BytesIO(data)) as im:
        im.draft("L", im.size)
        return np.asarray(im.convert("L") if im.mode != "L" else im)


@pytest.mark.parametrize("name", ["landscape_aitzgorri.jpg", "kodim03_hats.png", "coffee.png", "cat_chelsea.png"])
def test_jpeg_y_plane_trials_decode_to_the_colour_encodes_y(name: str) -> None:
    """A greyscale trial of `_jpeg_y(probe)` decodes to the Y plane of the final colour
    encode (libvips, every chroma mode and progressive), at every quality of the JPEG bands."""
    probe = quality.sample(_image(name, 800))
    plane = quality._jpeg_y(probe.numpy())
    finals = [(_saver("jpg", {}), None), (_saver("jpg", {}), "444"), (_saver("jpg", {"progressive": None}), "420")]
    for q in (45, 52, 60, 70, 74, 78, 80, 85, 93):
        decoded = quality._decoded_luma(quality._jpeg_trial(plane, q))
        for save, chroma in finals:
            assert np.array_equal(decoded, _y_plane(save(probe, q, chroma)).astype(np.float32)), (name, q, chroma)


@pytest.mark.parametrize("name", ["landscape_aitzgorri.jpg", "kodim03_hats.png"])
def test_webp_trials_are_libvips_bytes_and_decode_to_libvips_pixels(name: str) -> None:
    probe = quality.sample(_image(name, 800))
    trial = _saver("webp", {}, trial=True)
    for q in (40, 54, 66, 72, 79, 90):
        data = trial(probe, q, None)
        assert data == probe.webpsave_buffer(Q=q, keep=pyvips.enums.ForeignKeep.NONE), (name, q)
        reference = quality._luma(pyvips.Image.new_from_buffer(data, ""))
        assert np.array_equal(quality._decoded_luma(data), reference), (name, q)


def test_window_means_match_strided_taps() -> None:
    """The phase-split window means are the floats of the plain strided-slice passes, on a
    real probe's luma planes and on odd sizes down to one window."""
    k, n, s = quality._KERNEL, len(quality._KERNEL), quality._STRIDE

    def strided(stack: np.ndarray) -> np.ndarray:
        h, w = stack.shape[-2] - n + 1, stack.shape[-1] - n + 1
        cols = k[0] * stack[..., :, 0:w:s]
        for j in range(1, n):
            cols += k[j] * stack[..., :, j : j + w : s]
        out = k[0] * cols[..., 0:h:s, :]
        for i in range(1, n):
            out += k[i] * cols[..., i : i + h : s, :]
        return out

    luma = quality._luma(quality.sample(_image("kodim03_hats.png", 800)))
    for stack in (np.stack([luma, luma * luma]), luma[None, :11, :11], luma[None, :12, :13], luma[None, :37, :50]):
        assert np.array_equal(quality._window_means(stack), strided(stack))


@pytest.mark.parametrize("name,width", [("landscape_aitzgorri.jpg", 800), ("coffee.png", 600), ("cat_chelsea.png", 451)])
def test_numpy_mosaic_matches_libvips_mosaic(name: str, width: int) -> None:
    image = _image(name, width)
    probe = quality.sample(image)
    tile = min(quality._TILE, image.width // 16 * 16, image.height // 16 * 16)
    aspect = image.width / image.height
    cols = max(1, min(image.width // tile, quality._TILES, round((quality._TILES * aspect) ** 0.5)))
    rows = max(1, min(image.height // tile, quality._TILES // cols))
    tiles = [image.crop(x, y, tile, tile) for y in quality._positions(image.height, rows, tile)
             for x in quality._positions(image.width, cols, tile)]
    expected = pyvips.Image.arrayjoin(tiles, across=cols)
    assert (probe.width, probe.height, probe.bands) == (expected.width, expected.height, expected.bands)
    assert np.array_equal(probe.numpy(), expected.numpy())


_CHILD = r"""
import json, sys
import pyvips
from edge.render import render
from edge.url import parse
pyvips.cache_set_max(0)
src = open(sys.argv[1], "rb").read()
def status(key):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key)) / 1024
base = status("VmRSS:")
out = render(src, parse("/demo/image/upload/c_fill,w_400,h_300,q_80/x.jpg"))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
peak = status("VmHWM:")
print(json.dumps({"w": out.width, "h": out.height, "added_mb": peak - base}))
"""


def test_50_megapixel_source_renders_in_bounded_memory(tmp_path: pathlib.Path) -> None:
    photo = pyvips.Image.new_from_file(str(IMAGES / "landscape_aitzgorri.jpg"))
    k = (49_900_000 / (photo.width * photo.height)) ** 0.5
    big = tmp_path / "big.jpg"
    photo.resize(k).jpegsave(str(big), Q=90)
    header = pyvips.Image.new_from_file(str(big))
    assert 49e6 < header.width * header.height < 50e6
    run = subprocess.run([sys.executable, "-c", _CHILD, str(big)], capture_output=True, text=True, timeout=300,
                         cwd=REPO)
    assert run.returncode == 0, run.stderr[-500:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert (result["w"], result["h"]) == (400, 300)
    # measured 36 MB on the 2-core box; the decoded 50 MP frame alone is 150 MB
    assert result["added_mb"] < 100, result
