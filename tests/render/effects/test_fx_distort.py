"""distort (perspective, arc) and shear on a real photo."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fx_support import arr, run
from edge.render.effects.distort import homography
from edge.render.errors import LimitError
from edge.url.errors import UrlError


def test_homography_maps_the_four_points():
    src = [(0, 0), (100, 0), (100, 50), (0, 50)]
    dst = [(10, 5), (90, 20), (110, 70), (0, 40)]
    h = homography(src, dst)
    for (x, y), (u, v) in zip(src, dst):
        p = h @ [x, y, 1]
        assert p[0] / p[2] == pytest.approx(u) and p[1] / p[2] == pytest.approx(v)


def test_distort_identity_corners_reproduce_the_photo(hats):
    w, h = hats.width, hats.height
    out = arr(run("distort", hats, *map(str, [0, 0, w, 0, w, h, 0, h])))
    assert out.shape[:2] == (h, w)
    assert np.abs(out[2:-2, 2:-2, :3] - arr(hats)[2:-2, 2:-2]).mean() < 1.0


def test_distort_perspective_canvas_and_transparency(hats):
    pts = [20, 10, 300, 40, 280, 200, 0, 180]
    out = arr(run("distort", hats, *map(str, pts)))
    assert out.shape[:2] == (200 - 10, 300 - 0)
    # outside the quadrilateral is transparent (top-right corner), inside is opaque
    assert out[0, -1, 3] == 0
    assert out[100, 150, 3] == 255
    # source pixels land where the homography sends them (canvas origin at (0, 10))
    w, h = hats.width, hats.height
    fwd = homography([(0, 0), (w, 0), (w, h), (0, h)], [(20, 0), (300, 30), (280, 190), (0, 170)])
    src = arr(hats)
    errors = []
    for sx, sy in [(40, 40), (160, 100), (250, 60), (100, 180)]:
        p = fwd @ [sx + 0.5, sy + 0.5, 1]
        u, v = int(p[0] / p[2]), int(p[1] / p[2])
        errors.append(np.abs(out[v, u, :3] - src[sy, sx]).mean())
    assert np.median(errors) < 8


def test_distort_arc(hats):
    out = arr(run("distort", hats, "arc", "120"))
    assert out.shape[2] == 4
    # an arc's lower corners are empty, its top centre holds the photo's top centre
    assert out[-1, 0, 3] == 0 and out[-1, -1, 3] == 0
    assert out[2, out.shape[1] // 2, 3] == 255
    flipped = arr(run("distort", hats, "arc", "-120"))
    assert flipped[0, 0, 3] == 0 and flipped[0, -1, 3] == 0


@pytest.mark.parametrize(
    "args",
    [("arc", "0"), ("arc", "400"), ("arc",), ("1", "2", "3"), ("0", "0", "10", "0", "10", "0", "0", "0"), tuple("0 0 99999 0 99999 10 0 10".split())],
)
def test_distort_bad_arguments(hats, args):
    with pytest.raises(UrlError):
        run("distort", hats, *args)


@pytest.mark.parametrize("name,args", [("distort", tuple("0 0 12000 0 12000 10 0 10".split())), ("shear", ("0", "89")), ("shear", ("89", "0"))])
def test_huge_outputs_are_limit_errors(hats, name, args):
    with pytest.raises(LimitError) as info:
        run(name, hats, *args)
    assert info.value.status == 413


def test_shear_grows_canvas_and_slants(hats):
    out = arr(run("shear", hats, "20", "0"))
    extra = hats.height * math.tan(math.radians(20))
    assert abs(out.shape[1] - (hats.width + extra)) <= 2
    assert out.shape[0] == hats.height
    # one top corner and the opposite bottom corner are empty
    assert out[0, 0, 3] == 0 or out[0, -1, 3] == 0
    assert out[-1, 0, 3] == 0 or out[-1, -1, 3] == 0
    assert out[hats.height // 2, out.shape[1] // 2, 3] == 255
    both = run("shear", hats, "10", "15")
    assert both.height > hats.height and both.width > hats.width


@pytest.mark.parametrize("args", [("90", "0"), ("0", "-95"), ()])
def test_shear_bad_arguments(hats, args):
    with pytest.raises(UrlError):
        run("shear", hats, *args)
