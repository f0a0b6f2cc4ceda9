"""cinemagraph_analysis: 0.0 for stills, high for a still photo with one small moving part, 0.0
for a slideshow of different photos."""

from __future__ import annotations

import pyvips

from edge.analysis import AnalysisRequest, analyze


def _gif(frames: list[pyvips.Image]) -> bytes:
    strip = pyvips.Image.arrayjoin(frames, across=1).copy()
    strip.set_type(pyvips.GValue.gint_type, "page-height", frames[0].height)
    return strip.gifsave_buffer()


def _score(data: bytes) -> float:
    return analyze(data, AnalysisRequest(cinemagraph_analysis=True))["cinemagraph_analysis"]["cinemagraph_score"]


def test_still_scores_zero(image_bytes):
    assert _score(image_bytes("kodim03_hats.png")) == 0.0
    assert _score(image_bytes("landscape_aitzgorri.jpg")) == 0.0


def test_photo_with_one_moving_patch_is_a_cinemagraph(image_bytes):
    base = pyvips.Image.new_from_buffer(image_bytes("kodim03_hats.png"), "").resize(0.25)
    patch = base.crop(20, 20, 30, 20)
    frames = [base.insert(patch.flip("horizontal" if i % 2 else "vertical"), 120 + i, 60) for i in range(8)]
    assert _score(_gif(frames)) >= 0.9


def test_slideshow_of_different_photos_is_not(image_bytes):
    frames = [pyvips.Image.new_from_buffer(image_bytes(n), "").thumbnail_image(160, height=120, size="force")
              for n in ("kodim03_hats.png", "cat_chelsea.png", "rocket.jpg", "landscape_aitzgorri.jpg")]
    frames = [f.extract_band(0, n=3) if f.bands > 3 else f for f in frames]
    assert _score(_gif(frames)) == 0.0


def test_newtons_cradle_loop_scores_high(image_bytes):
    assert _score(image_bytes("animated_newtons_cradle.gif")) >= 0.5
