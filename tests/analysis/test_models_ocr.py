"""ocr=adv_ocr (upload-spec §4.7): recognised words on a slanted street sign and a scanned page."""

from __future__ import annotations

from edge.analysis import AnalysisRequest, analyze


def ocr(data: bytes) -> dict:
    out = analyze(data, AnalysisRequest.from_params({"ocr": "adv_ocr"}))
    body = out["info"]["ocr"]["adv_ocr"]
    assert body["status"] == "complete"
    (result,) = body["data"]
    return result


def words(result: dict) -> list[str]:
    return [a["description"] for a in result["textAnnotations"][1:]]


def test_street_sign_names_both_streets(image_bytes):
    result = ocr(image_bytes("signage_street_sign_coco_000250.jpg"))
    found = " ".join(words(result)).upper()
    assert "GREENWICH" in found and "VESEY" in found
    full = result["textAnnotations"][0]
    assert "GREENWICH" in full["description"] and full["locale"] == "und"
    # GREENWICH is on the left sign, VESEY on the right one (the pole is at x ~ 330)
    for ann in result["textAnnotations"][1:]:
        xs = [v["x"] for v in ann["boundingPoly"]["vertices"]]
        assert len(xs) == 4 and all(0 <= x <= 640 for x in xs)
        if "GREENWICH" in ann["description"].upper():
            assert max(xs) < 330
        if "VESEY" in ann["description"].upper():
            assert min(xs) > 330


def test_scanned_page_reads_its_words(image_bytes):
    result = ocr(image_bytes("text_scanned_page_gray.png"))
    text = result["fullTextAnnotation"]["text"]
    for expected in ("Region-based segmentation", "determine markers", "coins", "histogram of grey values"):
        assert expected in text, text
    assert "unambiguously" in words(result)
    page = result["fullTextAnnotation"]["pages"][0]
    assert (page["width"], page["height"]) == (384, 191)
    assert page["blocks"] and all(b["blockType"] == "TEXT" for b in page["blocks"])
    symbols = [s["text"] for b in page["blocks"] for p in b["paragraphs"] for w in p["words"] for s in w["symbols"]]
    assert "".join(symbols).startswith("Region-based")


def test_logo_and_orientation_labels(image_bytes):
    assert "adidas" in words(ocr(image_bytes("product_sneakers_white_bg.jpg")))
    # the EXIF-rotated photo is read as displayed: its printed labels come out upright
    assert {"top", "right", "bottom"} <= set(words(ocr(image_bytes("exif_orient6_waterfall.jpg"))))


def test_no_text_no_annotations(image_bytes):
    result = ocr(image_bytes("cat_chelsea.png"))
    assert result["textAnnotations"] == []
    assert result["fullTextAnnotation"]["text"] == ""
