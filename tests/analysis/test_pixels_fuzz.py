"""Whatever a client sends: from_params raises only AnalysisError; the header readers and
analyze() never fail with anything but AnalysisError on damaged files."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from edge.analysis import AnalysisError, AnalysisRequest, analyze
from edge.analysis.jpeg import read_jpeg_header
from edge.analysis.metadata import read_metadata
from edge.analysis.request import BOOL_FLAGS

KEYS = list(BOOL_FLAGS) + ["detection", "categorization", "ocr", "auto_tagging", "face_coordinates",
                           "custom_coordinates", "public_id"]
VALUES = st.one_of(st.text(max_size=30), st.sampled_from(["1", "0", "true", "coco", "coco,lvis", "0.5",
                                                          "default", "1,2,3,4|5,6,7,8", "[[1,2,3,4]]", "[",
                                                          "adv_ocr", "-1", "1e999"]),
                   st.booleans(), st.integers(), st.floats(allow_nan=True), st.none(),
                   st.lists(st.text(max_size=8), max_size=3))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
def test_from_params_raises_only_analysis_errors(params):
    try:
        r = AnalysisRequest.from_params(params)
    except AnalysisError as e:
        assert e.message
        return
    assert isinstance(r.names(), tuple)
    hash(r)


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=6000), flip=st.integers(min_value=0, max_value=6000),
       value=st.integers(min_value=0, max_value=255))
def test_damaged_jpeg_headers_never_crash(image_bytes, cut, flip, value):
    data = bytearray(image_bytes("exif_gps_nikon_DSCN0010.jpg")[: 200 + cut])
    if flip < len(data):
        data[flip] = value
    data = bytes(data)
    read_jpeg_header(data)
    read_metadata(data)
    try:
        analyze(data, AnalysisRequest(colors=True, phash=True, quality_analysis=True, image_metadata=True))
    except AnalysisError:
        pass
