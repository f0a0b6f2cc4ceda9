"""Analyze API v2 (issue 12) against a live server: the official SDK's `cloudinary.api.analyze`
(the form `/v2/<cloud>/analysis/analyze/uri`) and the documented `/v2/analysis/<cloud>/...`
paths by HTTP, on real photos; the §5.1 envelopes, errors, result caching and sources."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from api_live import API_KEY, API_SECRET, IMAGES, ApiLive, configure_sdk, start_server

from edge.analysis import models_v2
from edge.api.analyze import STORE_KEY

AUTH = (API_KEY, API_SECRET)
CAT = IMAGES / "cat_coco_000443.jpg"
BUS = IMAGES / "bus_coco_000532.jpg"
SIGN = IMAGES / "signage_street_sign_coco_000250.jpg"


def _post(api: ApiLive, model: str, source: dict[str, Any], **body: Any) -> httpx.Response:
    return api.client.post(f"/v2/analysis/demo/analyze/{model}", json={"source": source, **body}, auth=AUTH)


def _labels(analysis: dict[str, Any], min_conf: float = 0.3) -> set[str]:
    return {lab for lab, inst in analysis["tags"].items() if any(i["confidence"] >= min_conf for i in inst)}


def _upload(path: Any, public_id: str) -> dict[str, Any]:
    import cloudinary.uploader

    return cloudinary.uploader.upload(str(path) if not isinstance(path, bytes) else path, public_id=public_id)


def _assert_error(r: httpx.Response, status: int, code: str, category: str = "user_error") -> dict[str, Any]:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["category"] == category
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["details"], dict)
    assert err["request_id"] == r.headers["x-request-id"]
    assert r.headers["x-cld-error"]
    return err


# ---- the SDK form ------------------------------------------------------------------------
def test_sdk_analyze_coco_finds_the_cat(sdk: Any, photos_http: str) -> None:
    import cloudinary.api

    res = cloudinary.api.analyze("uri", "coco", uri=f"{photos_http}/{CAT.name}")
    assert re.fullmatch(r"[0-9a-f]{32}", res["request_id"]) and res.request_id == res["request_id"]
    assert res["limits"] == {"items": []}
    assert res["data"]["entity"] == f"{photos_http}/{CAT.name}"
    analysis = res["data"]["analysis"]
    assert analysis["model_version"] == 2
    cat = analysis["tags"]["cat"][0]
    assert cat["categories"] == ["animal"] and 0.3 <= cat["confidence"] <= 1
    x, y, w, h = cat["bounding-box"]
    assert w > 300 and h > 300 and 0 <= x < 640 and 0 <= y < 480  # the cat fills most of the 640x480 photo


def test_sdk_analyze_coco_finds_the_bus(sdk: Any, photos_http: str) -> None:
    import cloudinary.api

    res = cloudinary.api.analyze("uri", "coco", uri=f"{photos_http}/{BUS.name}")
    assert "bus" in _labels(res["data"]["analysis"], 0.5)
    assert "cat" not in _labels(res["data"]["analysis"])


def test_sdk_unavailable_model_is_bad_request(sdk: Any, photos_http: str) -> None:
    import cloudinary.api
    from cloudinary.exceptions import BadRequest

    with pytest.raises(BadRequest, match="not available on Edge.*coco"):
        cloudinary.api.analyze("uri", "captioning", uri=f"{photos_http}/{CAT.name}")


def test_sdk_bad_credentials_are_401(api: ApiLive, photos_http: str) -> None:
    from cloudinary.exceptions import AuthorizationRequired

    configure_sdk(api.url, secret="wrong-secret")
    import cloudinary.api

    with pytest.raises(AuthorizationRequired):
        cloudinary.api.analyze("uri", "coco", uri=f"{photos_http}/{CAT.name}")


def test_sdk_parameters_extensions_and_unknown_ones(api: ApiLive, sdk: Any, photos_http: str) -> None:
    import cloudinary.api
    from cloudinary.exceptions import BadRequest

    res = cloudinary.api.analyze("uri", "phash", uri=f"{photos_http}/{CAT.name}", parameters={"phash": {}})
    assert re.fullmatch(r"[0-9a-f]{16}", res["data"]["analysis"]["phash"])
    with pytest.raises(BadRequest, match="Unknown parameter parameters.phash.prompt"):
        cloudinary.api.analyze("uri", "phash", uri=f"{photos_http}/{CAT.name}",
                               parameters={"phash": {"prompt": "x"}})
    r = api.client.post("/v2/demo/analysis/analyze/asset", json={"analysis_type": "coco", "uri": "http://x/y.jpg"},
                        auth=AUTH)
    _assert_error(r, 400, "invalid_parameter")


# ---- the documented v2 paths ------------------------------------------------------------
def test_cld_text_finds_the_street_sign_text(api: ApiLive, photos_http: str) -> None:
    r = _post(api, "cld_text", {"uri": f"{photos_http}/{SIGN.name}"})
    assert r.status_code == 200, r.text
    analysis = r.json()["data"]["analysis"]
    boxes = analysis["tags"]["text"]
    assert len(boxes) >= 2 and all(b["categories"] == ["text"] for b in boxes)
    assert max(b["confidence"] for b in boxes) > 0.8
    text = analysis["edge_text"]["text"].upper()
    assert "VESEY" in text and "GREENWICH" in text  # the two street names on the sign
    assert all(w["text"] and len(w["bounding-box"]) == 4 for w in analysis["edge_text"]["words"])


def test_image_quality_ranks_sharp_above_blurred_and_noised(api: ApiLive, sdk: Any) -> None:
    import pyvips

    sharp = pyvips.Image.new_from_file(str(IMAGES / "kodim03_hats.png"))

    def noised(im: Any) -> Any:
        return (im.cast("float") + pyvips.Image.gaussnoise(im.width, im.height, sigma=25)).cast("uchar")

    variants = {"sharp": sharp, "blurred": sharp.gaussblur(3), "noised": noised(sharp),
                "blurred_noised": noised(sharp.gaussblur(3))}
    ids = {n: _upload(im.write_to_buffer(".png"), f"analyze/iqa_{n}")["asset_id"] for n, im in variants.items()}
    res = {n: _post(api, "image_quality", {"asset_id": a}).json()["data"]["analysis"] for n, a in ids.items()}
    for a in res.values():
        assert set(a) >= {"quality", "score", "confidence", "model_version"}
        assert 0 <= a["score"] <= 1 and a["quality"] in ("low", "medium", "high") and a["model_version"] == 1
        assert 0.5 <= a["confidence"] <= 1
    assert res["sharp"]["quality"] == "high"
    for name in ("blurred", "noised", "blurred_noised"):
        assert res["sharp"]["score"] > res[name]["score"] + 0.2, (name, res)
        assert res[name]["quality"] != "high"


def test_asset_source_is_cached_per_version(api: ApiLive, sdk: Any) -> None:
    up = _upload(BUS, "analyze/bus")
    cache_version = api.catalogue.get_by_asset_id(up["asset_id"]).cache_version
    runs = models_v2.RUNS["coco"]
    first = _post(api, "coco", {"asset_id": up["asset_id"]})
    assert first.status_code == 200 and first.json()["data"]["entity"] == up["asset_id"]
    assert "bus" in _labels(first.json()["data"]["analysis"], 0.5)
    assert models_v2.RUNS["coco"] == runs + 1
    stored = api.catalogue.get_by_asset_id(up["asset_id"]).analysis[STORE_KEY]["coco"]
    assert stored == first.json()["data"]["analysis"]
    # a stored analysis changes no pixel (derived-cache keys keep their version) and is not a
    # field of the Admin API's answer
    assert api.catalogue.get_by_asset_id(up["asset_id"]).cache_version == cache_version
    import cloudinary.api

    assert not [k for k in cloudinary.api.resource("analyze/bus") if k.startswith("_") or k == "analyze_v2"]
    again = _post(api, "coco", {"asset_id": up["asset_id"]})
    assert again.json()["data"]["analysis"] == first.json()["data"]["analysis"]
    assert models_v2.RUNS["coco"] == runs + 1  # no model ran
    _upload(CAT, "analyze/bus")  # a new version: the stored result is gone with the old one
    third = _post(api, "coco", {"asset_id": up["asset_id"]})
    assert "cat" in _labels(third.json()["data"]["analysis"]) and models_v2.RUNS["coco"] == runs + 2


def test_uri_source_is_cached_per_source_bytes(api: ApiLive, photos_http: str) -> None:
    uri = f"{photos_http}/{IMAGES.joinpath('dog_frisbee_coco_000394.jpg').name}"
    runs = models_v2.RUNS["colors"]
    a = _post(api, "colors", {"uri": uri})
    b = _post(api, "colors", {"uri": uri + "?again=1"})  # another uri, the same bytes
    assert a.status_code == b.status_code == 200
    assert a.json()["data"]["analysis"] == b.json()["data"]["analysis"]
    assert b.json()["data"]["entity"].endswith("?again=1")
    assert models_v2.RUNS["colors"] == runs + 1
    assert a.json()["request_id"] != b.json()["request_id"]


@pytest.mark.parametrize("model", models_v2.UNAVAILABLE)
def test_every_unavailable_model_answers_its_4xx_envelope(api: ApiLive, model: str) -> None:
    r = _post(api, model, {"uri": "https://example.com/cat.jpg"})
    err = _assert_error(r, 400, "model_not_available")
    assert model in err["message"] and "coco" in err["message"]
    assert err["details"]["models"] == models_v2.offered() and err["details"]["model"] == model
    r = api.client.post("/v2/demo/analysis/analyze/uri", json={"analysis_type": model, "uri": "https://example.com/a.jpg",
                                                               "parameters": None}, auth=AUTH)
    _assert_error(r, 400, "model_not_available")


def test_unknown_model_and_models_listing(api: ApiLive) -> None:
    err = _assert_error(_post(api, "no_such_model", {"uri": "https://example.com/a.jpg"}), 400, "unknown_model")
    assert "image_quality" in err["message"]
    r = api.client.get("/v2/analysis/demo/models", auth=AUTH)
    assert r.status_code == 200
    listed = {m["name"]: m["model_version"] for m in r.json()["data"]["models"]}
    assert listed["coco"] == 2 and set(listed) == set(models_v2.offered())
    assert "captioning" in r.json()["data"]["unavailable"]


def test_unknown_asset_is_404_and_bad_requests_are_400(api: ApiLive) -> None:
    _assert_error(_post(api, "coco", {"asset_id": "0" * 32}), 404, "asset_not_found")
    _assert_error(_post(api, "coco", {"asset_id": "not-hex"}), 400, "invalid_source")
    _assert_error(_post(api, "coco", {"uri": "ftp://example.com/a.jpg"}), 400, "invalid_source")
    _assert_error(_post(api, "coco", {"uri": "x", "asset_id": "0" * 32}), 400, "invalid_source")
    _assert_error(api.client.post("/v2/analysis/demo/analyze/coco", json={"uri": "x"}, auth=AUTH), 400,
                  "unknown_parameter")
    _assert_error(api.client.post("/v2/analysis/demo/analyze/coco", content=b"{nope", auth=AUTH), 400, "invalid_json")
    _assert_error(api.client.post("/v2/analysis/demo/analyze/coco", json=[1], auth=AUTH), 400, "invalid_json")
    _assert_error(_post(api, "coco", {"uri": "https://example.com/a.jpg"}, **{"async": "maybe"}), 400,
                  "invalid_parameter")
    _assert_error(api.client.get("/v2/analysis/demo/analyze/coco", auth=AUTH), 405, "method_not_allowed")
    _assert_error(api.client.post("/v2/analysis/other/analyze/coco", json={"source": {"uri": "x"}}, auth=AUTH), 404,
                  "not_found")
    _assert_error(api.client.get("/v2/analysis/demo/tasks/" + "a" * 40, auth=AUTH), 404, "task_not_found")
    _assert_error(api.client.post("/v2/analysis/demo/analyze/coco", content=b" " * 300_000, auth=AUTH), 413,
                  "request_too_large")


def test_bad_credentials_are_401(api: ApiLive) -> None:
    body = {"source": {"uri": "https://example.com/a.jpg"}}
    for auth in (None, (API_KEY, "wrong"), ("999", API_SECRET)):
        r = api.client.post("/v2/analysis/demo/analyze/coco", json=body, auth=auth)
        _assert_error(r, 401, "unauthorized", "auth_error")
        assert r.headers["www-authenticate"].startswith("Basic")
    _assert_error(api.client.get("/v2/analysis/demo/models"), 401, "unauthorized", "auth_error")


@pytest.mark.parametrize("name", ["broken_truncated.jpg", "broken_text_file.jpg", "broken_zero_bytes.jpg",
                                  "broken_truncated.png"])
def test_broken_source_is_a_clear_400(api: ApiLive, photos_http: str, name: str) -> None:
    err = _assert_error(_post(api, "coco", {"uri": f"{photos_http}/{name}"}), 400, "invalid_image")
    assert "Invalid image" in err["message"]


def test_missing_remote_source_is_400(api: ApiLive, photos_http: str) -> None:
    _assert_error(_post(api, "coco", {"uri": f"{photos_http}/no-such-photo.jpg"}), 400, "source_unreachable")


# ---- a strict server: SSRF rules, size limits, a delivery host that does not resolve -----
@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with start_server(tmp_path_factory.mktemp("analyze-strict"), fetch_allow="*", fetch_allow_private=False,
                      public_url="http://cdn.edge.invalid", analyze_max_source_mb=1,
                      analyze_max_megapixels=10) as live:
        yield live


@pytest.mark.parametrize("uri", ["http://127.0.0.1:9/cat.jpg", "http://10.1.2.3/cat.jpg",
                                 "http://169.254.169.254/latest/meta-data/", "http://[::1]/a.jpg",
                                 "http://0.0.0.0:8080/a.jpg", "http://localhost/a.jpg"])
def test_private_address_uri_is_refused(strict: ApiLive, uri: str) -> None:
    err = _assert_error(_post(strict, "coco", {"uri": uri}), 403, "source_not_allowed")
    assert "non-public address" in err["message"]


def test_oversized_sources_are_413(strict: ApiLive) -> None:
    configure_sdk(strict.url)
    big = _upload(IMAGES / "large_5312x2988_seeding.jpg", "analyze/too_big")  # 1.4 MB, 15.9 MP
    err = _assert_error(_post(strict, "phash", {"asset_id": big["asset_id"]}), 413, "source_too_large")
    assert err["details"]["limit"] == 1024 * 1024
    pixels = _upload(pyvips_png(5000, 2500), "analyze/many_pixels")  # 12.5 MP, a few kB
    err = _assert_error(_post(strict, "phash", {"asset_id": pixels["asset_id"]}), 413, "source_too_large")
    assert err["details"] == {"pixels": 12_500_000, "limit": 10_000_000}


def pyvips_png(width: int, height: int) -> bytes:
    """A flat grey PNG (a known pixel count is all this needs)."""
    import pyvips

    return (pyvips.Image.black(width, height) + 128).cast("uchar").write_to_buffer(".png")


def test_delivery_host_uri_is_read_in_process_with_its_transformation(strict: ApiLive) -> None:
    configure_sdk(strict.url)
    up = _upload(CAT, "analyze/cat")
    assert up["url"].startswith("http://cdn.edge.invalid/demo/image/upload/")
    base = "http://cdn.edge.invalid/demo/image/upload"
    # cdn.edge.invalid never resolves: only an in-process read can answer these
    plain = _post(strict, "metadata", {"uri": f"{base}/v{up['version']}/analyze/cat.jpg"})
    assert plain.status_code == 200, plain.text
    assert plain.json()["data"]["analysis"]["edge_source"]["width"] == 640
    cropped = _post(strict, "coco", {"uri": f"{base}/c_crop,g_north_west,w_300,h_200/analyze/cat.png"})
    assert cropped.status_code == 200, cropped.text
    src = cropped.json()["data"]["analysis"]["edge_source"]
    assert (src["width"], src["height"], src["format"]) == (300, 200, "png")
    # the Host the request came to is this Edge's delivery host too
    port_host = strict.url.split("://", 1)[1]
    r = _post(strict, "coco", {"uri": f"http://{port_host}/demo/image/upload/w_320/analyze/cat.jpg"})
    assert r.status_code == 200 and r.json()["data"]["analysis"]["edge_source"]["width"] == 320
    assert "cat" in _labels(r.json()["data"]["analysis"])
    _assert_error(_post(strict, "coco", {"uri": f"{base}/analyze/no_such_asset.jpg"}), 404, "asset_not_found")
    _assert_error(_post(strict, "coco", {"uri": f"{base}/w_abc/analyze/cat.jpg"}), 400, "invalid_source")


# ---- rate limits ------------------------------------------------------------------------
def test_rate_limit_block_and_429(tmp_path: Any, photos_http: str) -> None:
    with start_server(tmp_path, analyze_rate_limit=2, analyze_rate_window_s=600) as live:
        uri = f"{photos_http}/{CAT.name}"
        first = _post(live, "phash", {"uri": uri})
        assert first.status_code == 200
        item = first.json()["limits"]["items"][0]
        assert item["limit"] == 2 and item["remaining"] == 1 and item["used_by_request"] == 1
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["reset_time"])
        assert first.headers["x-featureratelimit-remaining"] == "1"
        assert _post(live, "phash", {"uri": uri}).json()["limits"]["items"][0]["remaining"] == 0
        third = _post(live, "phash", {"uri": uri})
        _assert_error(third, 429, "rate_limit_exceeded", "rate_limit_error")
        assert third.json()["limits"]["items"][0]["remaining"] == 0
        assert 500 <= int(third.headers["retry-after"]) <= 600
        configure_sdk(live.url)
        import cloudinary.api
        from cloudinary.exceptions import RateLimited

        with pytest.raises(RateLimited):
            cloudinary.api.analyze("uri", "phash", uri=uri)


def test_identical_concurrent_requests_share_one_model_run(api: ApiLive, photos_http: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    uri = f"{photos_http}/people_three_women_coco_000536.jpg"
    runs = models_v2.RUNS["faces"]

    def one(_: int) -> httpx.Response:
        with httpx.Client(base_url=api.url, timeout=60) as c:
            return c.post("/v2/analysis/demo/analyze/faces", json={"source": {"uri": uri}}, auth=AUTH)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(one, range(6)))
    assert all(r.status_code == 200 for r in answers)
    faces = answers[0].json()["data"]["analysis"]["faces"]
    assert len(faces) >= 2 and all(r.json()["data"]["analysis"]["faces"] == faces for r in answers)
    assert models_v2.RUNS["faces"] == runs + 1
