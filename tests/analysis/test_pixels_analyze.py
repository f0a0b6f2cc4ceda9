"""analyze(): exactly the requested upload-response fields, one decode per call, pages,
cinemagraph, bad bytes, concurrency."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from edge.analysis import AnalysisError, AnalysisRequest, analyze

ALL_BUILTINS = {k: "1" for k in ("colors", "phash", "faces", "image_metadata", "exif", "quality_analysis",
                                 "accessibility_analysis", "pages", "cinemagraph_analysis")}


def test_all_builtins_give_exactly_the_upload_fields_from_one_decode(image_bytes):
    timings: dict = {}
    out = analyze(image_bytes("exif_gps_nikon_DSCN0010.jpg"), AnalysisRequest.from_params(ALL_BUILTINS),
                  timings=timings)
    assert set(out) == {"colors", "predominant", "illustration_score", "semi_transparent", "grayscale",
                        "phash", "image_metadata", "exif", "faces", "quality_analysis", "quality_score",
                        "accessibility_analysis", "pages", "cinemagraph_analysis"} | ({"coordinates"} if out["faces"] else set())
    assert timings["decodes"] == 1
    assert out["pages"] == 1 and out["cinemagraph_analysis"] == {"cinemagraph_score": 0.0}
    json.dumps(out)  # plain JSON types only


def test_large_photo_is_decoded_once_with_shrink_on_load(image_bytes):
    timings: dict = {}
    out = analyze(image_bytes("large_5312x2988_seeding.jpg"),
                  AnalysisRequest.from_params(ALL_BUILTINS), timings=timings)
    assert timings["decodes"] == 1
    assert out["quality_analysis"]["resolution"] == 1.0
    assert all(x + w <= 5312 and y + h <= 2988 for x, y, w, h in out["faces"])


def test_only_what_is_asked(image_bytes):
    data = image_bytes("kodim03_hats.png")
    assert analyze(data, AnalysisRequest()) == {}
    assert set(analyze(data, AnalysisRequest(phash=True))) == {"phash"}
    assert set(analyze(data, AnalysisRequest(media_metadata=True))) == {"image_metadata"}
    assert set(analyze(data, AnalysisRequest(exif=True))) == {"exif"}


def test_pages_of_an_animation(image_bytes):
    out = analyze(image_bytes("animated_newtons_cradle.gif"), AnalysisRequest(pages=True, colors=True, phash=True))
    assert out["pages"] > 1
    assert round(sum(p for _, p in out["colors"]) * 10) == 1000


@pytest.mark.parametrize("name", ["broken_text_file.jpg", "broken_zero_bytes.jpg"])
def test_unreadable_bytes_are_analysis_errors(image_bytes, name):
    with pytest.raises(AnalysisError):
        analyze(image_bytes(name), AnalysisRequest(colors=True))


def test_truncated_file_is_an_error_not_a_crash(image_bytes):
    try:
        out = analyze(image_bytes("broken_truncated.png"), AnalysisRequest(colors=True, phash=True))
    except AnalysisError:
        return
    assert "colors" in out  # libvips may decode what is there; then the shape still holds


def test_concurrent_calls_agree(image_bytes):
    data = [image_bytes(n) for n in ("kodim03_hats.png", "exif_gps_nikon_DSCN0010.jpg", "cat_chelsea.png",
                                     "exif_orient6_gps_canon.jpg")] * 2
    req = AnalysisRequest(colors=True, phash=True, quality_analysis=True, image_metadata=True,
                          accessibility_analysis=True)
    serial = [analyze(d, req) for d in data]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda d: analyze(d, req), data))
    assert parallel == serial


@pytest.mark.parametrize("name", ["broken_truncated.png", "broken_truncated.jpg"])
@pytest.mark.parametrize("flag", ["colors", "phash", "quality_analysis", "accessibility_analysis", "faces"])
def test_truncated_pixels_never_escape_as_libvips_errors(image_bytes, name, flag):
    """Whatever an analysis decodes of a truncated file, the caller sees a result or an
    AnalysisError (the API's 400), never pyvips.Error (a 500)."""
    try:
        out = analyze(image_bytes(name), AnalysisRequest(**{flag: True}))
    except AnalysisError as exc:
        assert str(exc)
    else:
        assert out
