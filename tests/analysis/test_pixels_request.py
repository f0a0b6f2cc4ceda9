"""AnalysisRequest.from_params: the Upload/Admin API wire forms, errors, the plug-in registry and
analyze()'s merge of plug-in results."""

from __future__ import annotations

import pytest

from edge.analysis import AnalysisError, AnalysisRequest, Label, analyze, registry


def test_upload_wire_form_of_the_sdk_vector_v2():
    # upload-spec §8 V2, as the Python SDK sends it (analysis fields only)
    params = {
        "faces": "1", "image_metadata": "1", "media_metadata": "1", "colors": "1", "phash": "1",
        "quality_analysis": "1", "accessibility_analysis": "1", "detection": "coco_v2",
        "auto_tagging": "0.6", "face_coordinates": "1,2,3,4|5,6,7,8",
        "custom_coordinates": "10,20,30,40", "public_id": "sample", "tags": "a,b",
    }
    r = AnalysisRequest.from_params(params)
    assert r.colors and r.phash and r.faces and r.image_metadata and r.media_metadata
    assert r.quality_analysis and r.accessibility_analysis and not r.exif and not r.pages
    assert r.detection == ("coco_v2",)
    assert r.auto_tagging == 0.6 and not r.auto_tagging_default
    assert r.face_coordinates == ((1, 2, 3, 4), (5, 6, 7, 8))
    assert r.custom_coordinates == ((10, 20, 30, 40),)
    assert r.names() == ("colors", "phash", "faces", "image_metadata", "quality_analysis",
                         "accessibility_analysis", "detection:coco_v2", "auto_tagging")
    assert r.any()


def test_admin_booleans_lists_and_json_values():
    r = AnalysisRequest.from_params({"colors": "true", "phash": "false", "pages": True, "exif": 0,
                                     "detection": ["coco", "cld-text", "coco"],
                                     "custom_coordinates": [[1.9, 2, 3, 4]]})
    assert r.colors and not r.phash and r.pages and not r.exif
    assert r.detection == ("coco", "cld-text")
    assert r.custom_coordinates == ((1, 2, 3, 4),)
    assert AnalysisRequest.from_params({"detection": " coco , ,cld-text "}).detection == ("coco", "cld-text")


def test_empty_request_and_clearing_coordinates():
    r = AnalysisRequest.from_params({"public_id": "x", "colors": ""})
    assert not r.any() and r.names() == ()
    r = AnalysisRequest.from_params({"face_coordinates": ""})
    assert r.face_coordinates == () and r.custom_coordinates is None and r.any()


def test_media_metadata_alone_names_image_metadata():
    r = AnalysisRequest.from_params({"media_metadata": "1"})
    assert r.wants_metadata() and r.names() == ("image_metadata",)


@pytest.mark.parametrize("params, message", [
    ({"detection": "captioning"}, "Edge does not support detection model 'captioning'"),
    ({"detection": "coco,lvis_v1"}, "Edge does not support detection model 'lvis_v1'"),
    ({"categorization": "imagga_tagging"}, "Edge does not support categorization model 'imagga_tagging'"),
    ({"ocr": "magic_ocr"}, "Edge does not support ocr model 'magic_ocr'"),
    ({"colors": "maybe"}, "Invalid boolean value for colors"),
    ({"auto_tagging": "1.5"}, "Invalid auto_tagging"),
    ({"auto_tagging": "high"}, "Invalid auto_tagging"),
    ({"auto_tagging": "nan"}, "Invalid auto_tagging"),
    ({"face_coordinates": "1,2,3"}, "Invalid face_coordinates"),
    ({"face_coordinates": "1,2,x,4"}, "Invalid face_coordinates"),
    ({"custom_coordinates": "-1,2,3,4"}, "Invalid custom_coordinates"),
    ({"custom_coordinates": "1,2,3,1e400"}, "Invalid custom_coordinates"),
])
def test_bad_values_are_analysis_errors(params, message):
    with pytest.raises(AnalysisError) as e:
        AnalysisRequest.from_params(params)
    assert isinstance(e.value, ValueError)
    assert message in e.value.message


def test_lenient_keeps_unsupported_models_and_analyze_reports_failed(image_bytes):
    r = AnalysisRequest.from_params({"detection": "captioning", "colors": "1"}, lenient=True)
    assert r.unsupported == (("detection", "captioning"),)
    out = analyze(image_bytes("tiny_hopper_128.jpg"), r)
    assert out["info"]["detection"]["captioning"]["status"] == "failed"
    assert "colors" in out


def test_alias_maps_a_third_party_categorizer_to_an_installed_one():
    registry.register("categorization", "edge_test_tagger", lambda ctx, req, name: {})
    try:
        r = AnalysisRequest.from_params({"categorization": "imagga_tagging"},
                                        aliases={"imagga_tagging": "edge_test_tagger"})
        assert r.categorization == ("imagga_tagging",)
        assert r.aliases == (("imagga_tagging", "edge_test_tagger"),)
    finally:
        registry.unregister("categorization", "edge_test_tagger")


def test_auto_tagging_default_uses_the_registry_threshold():
    r = AnalysisRequest.from_params({"auto_tagging": "default"})
    assert r.auto_tagging == registry.default_threshold() and r.auto_tagging_default


def test_plugin_results_are_merged_and_labels_become_tags(image_bytes):
    seen = []

    def fake(ctx, request, name):
        seen.append((name, ctx.width, ctx.height))
        return {"info": {"detection": {"object_detection": {"status": "complete", "data": {name: {"n": 1}}}}},
                "_labels": [Label("zebra", 0.9, name), Label("unicorn", 0.2, name)]}

    registry.register("detection", "edge_test_a", fake, side=256)
    registry.register("detection", "edge_test_b", fake, side=256)
    prev = registry.tag_merger()
    registry.set_tag_merger(registry.default_merge)
    try:
        r = AnalysisRequest.from_params({"detection": "edge_test_a,edge_test_b", "auto_tagging": "0.5"})
        out = analyze(image_bytes("tiny_hopper_128.jpg"), r)
    finally:
        registry.set_tag_merger(prev)
        registry.unregister("detection", "edge_test_a")
        registry.unregister("detection", "edge_test_b")
    assert [s[0] for s in seen] == ["edge_test_a", "edge_test_b"]
    assert seen[0][1:] == (128, 128)
    data = out["info"]["detection"]["object_detection"]["data"]
    assert data == {"edge_test_a": {"n": 1}, "edge_test_b": {"n": 1}}
    assert out["tags"] == ["zebra"]
    assert "_labels" not in out


def test_default_merge_orders_by_confidence_and_dedupes():
    labels = [Label("cat", 0.7, "a"), Label("dog", 0.9, "a"), Label("cat", 0.95, "b"), Label("x", 0.1, "a")]
    assert registry.default_merge(labels, 0.5) == ["cat", "dog"]
