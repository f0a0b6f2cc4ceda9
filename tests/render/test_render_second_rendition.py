"""A second rendition of an asset whose detections are cached (issue 16 / issue 15's
`second_ratio`): object gravity answered by the detection cache decodes single-pass like a
centre fill, deciding the crop before any pixel is decoded, so decode, resize and encode
overlap as they do for `c_fill` alone; a provider that needs pixels after all (its entry
evicted between the check before decoding and the look-up) reads a random-access stand-in,
never the single-pass decode.

Real parts: the photo of bench/vision.py, Edge's VisionFocus and its DetectionCache, warmed by
a real first rendition (one model run)."""

from __future__ import annotations

import statistics
import time

import pyvips
import pytest

from edge.render import render
from edge.vision import VisionFocus
from edge.vision.cache import DetectionCache
from render_support import mad, photo, pixels, request


class Timed:
    """VisionFocus seen through the FocusProvider protocol, noting the process CPU time (s)
    at each `find` and, with `evict`, clearing the detection cache right after the first
    `cached` answer (an eviction between render's check and its look-up)."""

    def __init__(self, inner: VisionFocus, cache: DetectionCache, evict: bool = False) -> None:
        self.inner, self.cache, self.evict = inner, cache, evict
        self.found_at: list[float] = []
        self.images: list[pyvips.Image] = []

    def cached(self, target, model=None, *, aspect):  # type: ignore[no-untyped-def]
        answer = self.inner.cached(target, model, aspect=aspect)
        if self.evict and answer:
            self.cache.clear()
            self.evict = False
        return answer

    def uncached(self):  # type: ignore[no-untyped-def]
        return self.inner.uncached()

    def find(self, image, target, model=None):  # type: ignore[no-untyped-def]
        self.found_at.append(time.process_time())
        self.images.append(image)
        return self.inner.find(image, target, model)


@pytest.fixture(scope="module")
def source() -> bytes:
    """The bench/vision.py workload: the close-up at 2000 px, re-encoded as JPEG q90."""
    big = pyvips.Image.new_from_buffer(photo("face_closeup_big_glasses.jpg"), "")
    return big.thumbnail_image(2000, height=2000).jpegsave_buffer(Q=90)


@pytest.fixture(scope="module")
def warm(source: bytes) -> DetectionCache:
    """A detection cache holding the asset's COCO detections from another rendition."""
    cache = DetectionCache()
    render(source, request("c_fill,w_400,h_400,g_person", "jpg"), focus=VisionFocus("second", 1, cache=cache))
    return cache


def test_cached_object_gravity_decides_before_decoding(source: bytes, warm: DetectionCache) -> None:
    """The crop is decided before the pixel work (as a centre fill's plan is): on the code
    before this change the decode ran first (to memory), ~3/4 of the render's CPU time."""
    plain = request("c_fill,w_300,h_200", "jpg")
    objectg = request("c_fill,w_300,h_200,g_person", "jpg")
    before, totals = [], []
    for _ in range(5):
        timed = Timed(VisionFocus("second", 1, cache=warm), warm)
        start = time.process_time()
        render(source, objectg, focus=timed)
        c = time.process_time()
        render(source, plain)
        totals.append(time.process_time() - c)
        before.append(timed.found_at[0] - start)
    share = statistics.median(before) / statistics.median(totals)
    assert share < 0.35, f"{share:.2f} of a plain render's CPU spent before the detection look-up"


def test_second_rendition_costs_what_a_centre_fill_costs(source: bytes, warm: DetectionCache) -> None:
    """CPU time of the cached `g_person` rendition over the plain fill of the same size,
    interleaved (callgrind: 116.98 M instructions against 116.33 M, +0.6 %)."""
    plain = request("c_fill,w_300,h_200", "jpg")
    objectg = request("c_fill,w_300,h_200,g_person", "jpg")
    ratios = []
    for _ in range(7):
        c = time.process_time()
        render(source, objectg, focus=VisionFocus("second", 1, cache=warm))
        g = time.process_time() - c
        c = time.process_time()
        render(source, plain)
        ratios.append(g / (time.process_time() - c))
    assert statistics.median(ratios) < 1.15


def test_an_entry_evicted_after_the_check_reads_the_stand_in(source: bytes, warm: DetectionCache) -> None:
    """The cache said yes before decoding, then lost the entry: the model runs on a
    random-access stand-in of the same size (never on the single-pass decode, whose one
    read belongs to the encoder), and the crop is the one the cached detections gave."""
    objectg = request("c_fill,w_300,h_200,g_person", "jpg")
    expected = render(source, objectg, focus=VisionFocus("second", 1, cache=warm))
    cache = DetectionCache()
    render(source, request("c_fill,w_400,h_400,g_person", "jpg"), focus=VisionFocus("second", 1, cache=cache))
    timed = Timed(VisionFocus("second", 1, cache=cache), cache, evict=True)
    out = render(source, objectg, focus=timed)
    assert (out.width, out.height) == (300, 200)
    assert timed.images and all(im.width == 300 and im.height == 200 for im in timed.images)
    assert mad(pixels(out.data), pixels(expected.data)) < 1.0
