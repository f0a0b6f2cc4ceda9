"""The Admin API request vectors of upload-spec §8 (V11-V14), byte for byte as captured from the
Python SDK 1.46.3 (`cloud_name=demo`, `api_key=123456789012345`, `api_secret=abcd`, so the
captured `Authorization` header is valid), sent to a live server with that account."""

from __future__ import annotations

import json
from typing import Iterator

import pytest

from api_live import IMAGES, ApiLive, configure_sdk, start_server

AUTH = {"Authorization": "Basic MTIzNDU2Nzg5MDEyMzQ1OmFiY2Q=", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def spec_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiLive]:
    with start_server(tmp_path_factory.mktemp("vectors"), api_key="123456789012345", api_secret="abcd") as live:
        import cloudinary.uploader as U

        configure_sdk(live.url, key="123456789012345", secret="abcd")
        U.upload(str(IMAGES / "dog_bicycle_truck.jpg"), public_id="sample", tags=["a"])
        U.upload(str(IMAGES / "tiny_hopper_128.jpg"), public_id="other", tags=["a"])
        yield live


def test_v11_resource_with_every_flag(spec_api: ApiLive) -> None:
    r = spec_api.client.get(
        "/v1_1/demo/resources/image/upload/sample?faces=true&colors=true&image_metadata=true&media_metadata=true"
        "&pages=true&phash=true&coordinates=true&quality_analysis=true&accessibility_analysis=true", headers=AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["public_id"] == "sample" and (body["width"], body["height"]) == (768, 576)
    for key in ("faces", "colors", "predominant", "image_metadata", "pages", "phash", "quality_analysis",
                "accessibility_analysis", "derived", "access_mode", "last_updated"):
        assert key in body, key
    assert r.headers["x-request-id"]


def test_v12_update_body(spec_api: ApiLive) -> None:
    body = {"categorization": "imagga_tagging", "detection": "coco", "tags": "x,y", "face_coordinates": "5,6,7,8",
            "custom_coordinates": "1,2,3,4", "context": "k=v", "auto_tagging": "0.6"}
    r = spec_api.client.post("/v1_1/demo/resources/image/upload/sample", headers=AUTH, content=json.dumps(body))
    assert r.status_code == 400 and "imagga_tagging" in r.json()["error"]["message"]  # no such model in Edge
    del body["categorization"]
    r = spec_api.client.post("/v1_1/demo/resources/image/upload/sample", headers=AUTH, content=json.dumps(body))
    assert r.status_code == 200, r.text
    res = r.json()
    assert {"x", "y", "dog"} <= set(res["tags"]) and "a" not in res["tags"]  # replaced, then auto tags
    assert res["context"] == {"custom": {"k": "v"}}
    assert res["coordinates"] == {"custom": [[1, 2, 3, 4]], "faces": [[5, 6, 7, 8]]}
    assert "coco" in res["info"]["detection"]["object_detection"]["data"]


def test_v13_resources_by_tag(spec_api: ApiLive) -> None:
    r = spec_api.client.get("/v1_1/demo/resources/image/tags/a?tags=true&context=true&max_results=20&direction=desc",
                            headers=AUTH)
    assert r.status_code == 200, r.text
    assert [x["public_id"] for x in r.json()["resources"]] == ["other"]  # sample's tags were replaced (V12)


def test_v14_delete_resources(spec_api: ApiLive) -> None:
    r = spec_api.client.request("DELETE", "/v1_1/demo/resources/image/upload", headers=AUTH,
                                content=json.dumps({"transformations": None, "invalidate": True,
                                                    "public_ids": ["sample", "other"]}))
    assert r.status_code == 200, r.text
    assert r.json()["deleted"] == {"sample": "deleted", "other": "deleted"}
    assert spec_api.client.get("/v1_1/demo/resources/image/upload/sample", headers=AUTH).status_code == 404
