"""Admin API against a live server, with the official Python SDK (`cloudinary` 1.46.3) as the
oracle: listing with prefix + pagination, by tag, by asset ids, details (derived, versions,
semantic fields computed once and stored), update (spec §8 V12), delete (V14) by ids, prefix,
tag and all, tags, ping, usage; and the errors: wrong credentials 401, unknown asset 404,
malformed input 400 (never 500).  Photos are the real ones of tests/images."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from api_live import API_KEY, API_SECRET, CLOUD, IMAGES, configure_sdk, start_server

DOG = IMAGES / "dog_bicycle_truck.jpg"  # 768x576
CAT = IMAGES / "cat_coco_000443.jpg"
HOPPER = IMAGES / "tiny_hopper_128.jpg"
LANDSCAPE = IMAGES / "landscape_aitzgorri.jpg"
BASIC = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()


def up(sdk: Any, path: Path, public_id: str, **options: Any) -> dict[str, Any]:
    """Upload `path` through the SDK (signed) as `public_id`."""
    import cloudinary.uploader

    return cloudinary.uploader.upload(str(path), public_id=public_id, **options)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


# ---- ping, usage, credentials ---------------------------------------------------------------

def test_ping_and_usage(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    assert A.ping() == {"status": "ok"}
    before = A.usage()
    up(sdk, HOPPER, "adm/usage/one")
    after = A.usage()
    assert after["resources"] == before["resources"] + 1
    assert after["storage"]["usage"] >= before["storage"]["usage"] + HOPPER.stat().st_size
    assert after["media_limits"]["image_max_size_bytes"] == api.settings.max_upload_mb * 1024 * 1024
    assert "bandwidth" not in after  # Edge meters no bandwidth: no invented figure


def test_wrong_credentials_are_401(api: Any) -> None:
    import cloudinary.api as A
    from cloudinary.exceptions import AuthorizationRequired

    configure_sdk(api.url, secret="not-the-secret")
    with pytest.raises(AuthorizationRequired):
        A.ping()
    configure_sdk(api.url, key="999999999999999")
    with pytest.raises(AuthorizationRequired, match="Invalid api_key 999999999999999"):
        A.resources()
    r = api.client.get(f"/v1_1/{CLOUD}/resources/image")
    assert r.status_code == 401 and "error" in r.json()
    assert r.headers.get("www-authenticate", "").startswith("Basic")
    # an Upload API style signature is no credential on the Admin API
    r = api.client.get(f"/v1_1/{CLOUD}/ping", params={"api_key": API_KEY, "timestamp": "1", "signature": "0" * 40})
    assert r.status_code == 401


def test_other_cloud_is_404(api: Any) -> None:
    r = api.client.get("/v1_1/othercloud/ping", headers={"Authorization": BASIC})
    assert r.status_code == 404 and "othercloud" in r.json()["error"]["message"]


# ---- listing --------------------------------------------------------------------------------

def test_resources_by_prefix_paginates_with_next_cursor(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    photos = [DOG, CAT, HOPPER, LANDSCAPE, DOG]
    ids = [f"adm/page/p{i}" for i in range(len(photos))]
    for pid, photo in zip(ids, photos):
        up(sdk, photo, pid)
    up(sdk, HOPPER, "adm/pagex")  # shares the text prefix "adm/page" but not "adm/page/"
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        opts = {"next_cursor": cursor} if cursor else {}
        res = A.resources(type="upload", prefix="adm/page/", max_results=2, **opts)
        assert len(res["resources"]) <= 2
        seen += [r["public_id"] for r in res["resources"]]
        pages += 1
        cursor = res.get("next_cursor")
        if not cursor:
            break
    assert pages == 3
    assert seen == list(reversed(ids))  # newest first, each exactly once
    asc = A.resources(type="upload", prefix="adm/page/", max_results=10, direction="asc")
    assert [r["public_id"] for r in asc["resources"]] == ids
    assert "next_cursor" not in asc
    first = asc["resources"][0]
    assert first["format"] == "jpg" and (first["width"], first["height"]) == (768, 576)
    assert first["bytes"] == DOG.stat().st_size and first["type"] == "upload"
    assert first["url"].endswith(f"/v{first['version']}/adm/page/p0.jpg")
    assert api.get(first["url"]).status_code == 200  # the listed URL delivers
    # without the type segment (all delivery types)
    assert {r["public_id"] for r in A.resources(prefix="adm/page/", max_results=10)["resources"]} == set(ids)


def test_resources_by_ids_and_by_asset_ids(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    a = up(sdk, CAT, "adm/ids/a", tags=["t1"])
    b = up(sdk, HOPPER, "adm/ids/b")
    res = A.resources_by_ids(["adm/ids/a", "adm/ids/b", "adm/ids/none"], tags=True)
    got = {r["public_id"]: r for r in res["resources"]}
    assert set(got) == {"adm/ids/a", "adm/ids/b"} and got["adm/ids/a"]["tags"] == ["t1"]
    res = A.resources_by_asset_ids([b["asset_id"], a["asset_id"]])
    assert [r["public_id"] for r in res["resources"]] == ["adm/ids/b", "adm/ids/a"]
    one = A.resource_by_asset_id(a["asset_id"])
    assert one["public_id"] == "adm/ids/a" and one["etag"] == md5(CAT)


def test_resources_by_tag_vector_v13(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    for i in range(3):
        up(sdk, HOPPER, f"adm/tag/{i}", tags=["admtag", f"n{i}"], context={"alt": f"hopper {i}"})
    up(sdk, HOPPER, "adm/tag/other", tags=["elsewhere"])
    res = A.resources_by_tag("admtag", max_results=20, tags=True, context=True, direction="desc")
    assert [r["public_id"] for r in res["resources"]] == ["adm/tag/2", "adm/tag/1", "adm/tag/0"]
    assert res["resources"][0]["tags"] == ["admtag", "n2"]
    assert res["resources"][0]["context"] == {"custom": {"alt": "hopper 2"}}
    page = A.resources_by_tag("admtag", max_results=2)
    assert len(page["resources"]) == 2 and "tags" not in page["resources"][0]
    rest = A.resources_by_tag("admtag", max_results=2, next_cursor=page["next_cursor"])
    assert [r["public_id"] for r in rest["resources"]] == ["adm/tag/0"] and "next_cursor" not in rest
    # the raw request of vector V13
    r = api.client.get(f"/v1_1/{CLOUD}/resources/image/tags/admtag?tags=true&context=true&max_results=20&direction=desc",
                       headers={"Authorization": BASIC, "Content-Type": "application/json"})
    assert r.status_code == 200 and len(r.json()["resources"]) == 3
    assert len(r.headers["x-request-id"]) >= 16


def test_resources_by_context(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    up(sdk, HOPPER, "adm/ctx/a", context={"mood": "calm"})
    up(sdk, HOPPER, "adm/ctx/b", context={"mood": "busy"})
    calm = A.resources_by_context("mood", "calm")
    assert [r["public_id"] for r in calm["resources"]] == ["adm/ctx/a"]
    assert {r["public_id"] for r in A.resources_by_context("mood")["resources"]} >= {"adm/ctx/a", "adm/ctx/b"}


def test_tags_list(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    up(sdk, HOPPER, "adm/tags/a", tags=["zq_one", "zq_two"])
    up(sdk, HOPPER, "adm/tags/b", tags=["zq_three"])
    assert A.tags(prefix="zq_")["tags"] == ["zq_one", "zq_three", "zq_two"]
    first = A.tags(prefix="zq_", max_results=2)
    assert first["tags"] == ["zq_one", "zq_three"]
    assert A.tags(prefix="zq_", max_results=2, next_cursor=first["next_cursor"])["tags"] == ["zq_two"]


# ---- details --------------------------------------------------------------------------------

def test_resource_details_derived_and_versions(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    first = up(sdk, DOG, "adm/details/dog", eager=[{"width": 100, "height": 100, "crop": "fill"}],
               tags=["d"], context={"caption": "a|b"}, custom_coordinates=[[10, 20, 30, 40]])
    res = A.resource("adm/details/dog")
    for key in ("asset_id", "public_id", "version", "version_id", "width", "height", "format", "bytes", "etag",
                "created_at", "url", "secure_url", "tags", "pages", "placeholder", "access_mode", "backup",
                "last_updated", "usage", "derived"):
        assert key in res, key
    assert res["asset_id"] == first["asset_id"] and res["etag"] == md5(DOG)
    assert res["access_mode"] == "public" and res["context"] == {"custom": {"caption": "a|b"}}
    assert res["coordinates"] == {"custom": [[10, 20, 30, 40]]}
    assert [d["transformation"] for d in res["derived"]] == ["c_fill,h_100,w_100"]
    d = res["derived"][0]
    assert (d["width"], d["height"]) == (100, 100)
    assert api.get(d["url"]).status_code == 200
    assert res["created_at"].endswith("Z") and len(res["created_at"]) == 20
    second = up(sdk, CAT, "adm/details/dog", backup=True)
    res = A.resource("adm/details/dog", versions=True)
    assert res["asset_id"] == first["asset_id"] and res["version"] == second["version"] > first["version"]
    assert [v["version"] for v in res["versions"]] == [second["version"], first["version"]]
    assert res["versions"][1]["restorable"] is True and res["backup"] is True
    assert res["etag"] == md5(CAT)


def test_semantic_fields_computed_once_and_stored(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    up(sdk, LANDSCAPE, "adm/semantic/landscape")
    record = api.catalogue.get("upload", "adm/semantic/landscape")
    assert "phash" not in record.analysis and "colors" not in record.analysis
    # the request of vector V11 (every flag the SDK's resource() takes)
    res = A.resource("adm/semantic/landscape", colors=True, phash=True, image_metadata=True, pages=True,
                     quality_analysis=True, media_metadata=True, coordinates=True, accessibility_analysis=True)
    assert isinstance(res["phash"], str) and int(res["phash"], 16) > 0
    assert res["colors"][0][0].startswith("#") and abs(sum(p for _, p in res["colors"]) - 100.0) < 1.0
    assert "google" in res["predominant"] and isinstance(res["grayscale"], bool)
    assert 0.0 <= res["quality_analysis"]["focus"] <= 1.0
    assert "colorblind_accessibility_score" in res["accessibility_analysis"]
    assert isinstance(res["image_metadata"], dict) and res["pages"] == 1
    stored = api.catalogue.get("upload", "adm/semantic/landscape").analysis
    assert stored["phash"] == res["phash"] and stored["colors"] == res["colors"]
    again = A.resource("adm/semantic/landscape", phash=True, colors=True)
    assert again["phash"] == res["phash"] and again["colors"] == res["colors"]
    plain = A.resource("adm/semantic/landscape")
    assert "phash" not in plain and "colors" not in plain  # only what is asked for


# ---- update ---------------------------------------------------------------------------------

def test_update_tags_context_coordinates_and_names(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    up(sdk, DOG, "adm/update/dog", tags=["old1", "old2"], context={"gone": "yes"})
    res = A.update("adm/update/dog", tags=["x", "y"], context={"k": "v=1"}, custom_coordinates=[[1, 2, 3, 4]],
                   face_coordinates="5,6,7,8", display_name="Dog on a bike", asset_folder="pets/dogs",
                   metadata={"sku": "D-1"}, moderation_status="approved")
    assert res["tags"] == ["x", "y"]  # tags replace
    assert res["context"] == {"custom": {"k": "v=1"}}  # context replaces
    assert res["coordinates"] == {"custom": [[1, 2, 3, 4]], "faces": [[5, 6, 7, 8]]}
    assert res["display_name"] == "Dog on a bike" and res["asset_folder"] == "pets/dogs"
    assert res["metadata"] == {"sku": "D-1"}
    assert res["moderation"] == [{"kind": "manual", "status": "approved"}]
    again = A.resource("adm/update/dog")
    assert again["tags"] == ["x", "y"] and again["coordinates"]["faces"] == [[5, 6, 7, 8]]
    assert again["version"] == res["version"]  # update makes no new version
    assert A.resources_by_tag("x")["resources"][0]["public_id"] == "adm/update/dog"
    assert A.resources_by_tag("old1")["resources"] == []


def test_update_vector_v12_refuses_what_edge_lacks_and_changes_nothing(api: Any, sdk: Any) -> None:
    import cloudinary.api as A
    from cloudinary.exceptions import BadRequest

    up(sdk, DOG, "adm/v12/dog", tags=["keep"])
    with pytest.raises(BadRequest, match="imagga_tagging"):
        A.update("adm/v12/dog", detection="coco", auto_tagging=0.6, categorization="imagga_tagging",
                 tags=["x", "y"], context={"k": "v"}, custom_coordinates=[[1, 2, 3, 4]], face_coordinates="5,6,7,8")
    res = A.resource("adm/v12/dog")
    assert res["tags"] == ["keep"] and "context" not in res and "coordinates" not in res


def test_update_reruns_detection_on_the_stored_original(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    up(sdk, DOG, "adm/detect/dog", tags=["mine"])
    res = A.update("adm/detect/dog", detection="coco", auto_tagging=0.4)
    coco = res["info"]["detection"]["object_detection"]["data"]["coco"]
    assert coco["tags"]["dog"][0]["confidence"] >= 0.4
    x, y, w, h = coco["tags"]["dog"][0]["bounding-box"]
    assert 0 <= x < 768 and 0 <= y < 576 and w > 50 and h > 50
    assert "mine" in res["tags"] and "dog" in res["tags"]  # auto tags join the user's
    stored = A.resource("adm/detect/dog")
    assert "dog" in stored["tags"] and stored["info"]["detection"]["object_detection"]["status"] == "complete"


# ---- delete ---------------------------------------------------------------------------------

def test_delete_resources_vector_v14(api: Any, sdk: Any) -> None:
    import cloudinary.api as A
    from cloudinary.exceptions import NotFound

    a = up(sdk, HOPPER, "adm/del/sample")
    up(sdk, CAT, "adm/del/other")
    assert api.get(a["url"]).status_code == 200
    res = A.delete_resources(["adm/del/sample", "adm/del/other", "adm/del/never"], invalidate=True)
    assert res["deleted"] == {"adm/del/sample": "deleted", "adm/del/other": "deleted", "adm/del/never": "not_found"}
    assert res["deleted_counts"]["adm/del/sample"] == {"original": 1, "derived": 0}
    assert res["partial"] is False
    with pytest.raises(NotFound, match="Resource not found - adm/del/sample"):
        A.resource("adm/del/sample")
    assert api.get(a["url"]).status_code == 404  # delivery forgets it at once
    assert not list((api.root / "origin" / ".edge-originals").glob(f"*/{a['version_id']}.*"))
    # the raw request of vector V14
    up(sdk, HOPPER, "adm/del/raw")
    r = api.client.request("DELETE", f"/v1_1/{CLOUD}/resources/image/upload", headers={
        "Authorization": BASIC, "Content-Type": "application/json"},
        content=json.dumps({"transformations": None, "invalidate": True, "public_ids": ["adm/del/raw"]}))
    assert r.status_code == 200 and r.json()["deleted"] == {"adm/del/raw": "deleted"}


def test_delete_by_prefix_tag_and_keep_original(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    for i in range(3):
        up(sdk, HOPPER, f"adm/delp/{i}")
    up(sdk, HOPPER, "adm/delpx")
    res = A.delete_resources_by_prefix("adm/delp/")
    assert sorted(res["deleted"]) == ["adm/delp/0", "adm/delp/1", "adm/delp/2"]
    assert A.resources(prefix="adm/delp", max_results=10)["resources"][0]["public_id"] == "adm/delpx"
    up(sdk, HOPPER, "adm/delt/a", tags=["deltag"])
    up(sdk, HOPPER, "adm/delt/b", tags=["deltag"])
    assert sorted(A.delete_resources_by_tag("deltag")["deleted"]) == ["adm/delt/a", "adm/delt/b"]
    assert A.resources_by_tag("deltag")["resources"] == []
    # keep_original: only the derived assets go
    kept = up(sdk, DOG, "adm/delk/dog", eager=[{"width": 80, "crop": "scale"}])
    res = A.delete_resources(["adm/delk/dog"], keep_original=True)
    assert res["deleted_counts"]["adm/delk/dog"] == {"original": 0, "derived": 1}
    after = A.resource("adm/delk/dog")
    assert after["derived"] == [] and after["version"] == kept["version"]
    assert api.get(kept["url"]).status_code == 200


def test_delete_all_resources(tmp_path: Path) -> None:
    import cloudinary.api as A
    import cloudinary.uploader as U

    with start_server(tmp_path) as live:
        configure_sdk(live.url)
        for i in range(3):
            U.upload(str(HOPPER), public_id=f"all/{i}")
        U.upload(str(HOPPER), public_id="priv/0", type="private")
        res = A.delete_all_resources()
        assert sorted(res["deleted"]) == ["all/0", "all/1", "all/2"] and res["partial"] is False
        assert A.resources(type="upload")["resources"] == []
        assert [r["public_id"] for r in A.resources(type="private")["resources"]] == ["priv/0"]


# ---- malformed input: 400 / 404, never 500 --------------------------------------------------

@pytest.mark.parametrize("query", [
    "max_results=0", "max_results=501", "max_results=ten", "direction=sideways", "next_cursor=%21%21notacursor",
    "bogus=1", "tags=maybe", "start_at=2020-01-01",
])
def test_bad_list_parameters_are_400(api: Any, query: str) -> None:
    r = api.client.get(f"/v1_1/{CLOUD}/resources/image/upload?{query}", headers={"Authorization": BASIC})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"]
    assert r.headers.get("x-cld-error")


def test_malformed_calls_are_400_or_404(api: Any, sdk: Any) -> None:
    import cloudinary.api as A
    from cloudinary.exceptions import BadRequest, NotFound

    with pytest.raises(NotFound, match="Resource not found - adm/missing/x"):
        A.resource("adm/missing/x")
    with pytest.raises(NotFound):
        A.resource_by_asset_id("0" * 32)
    with pytest.raises(NotFound):
        A.update("adm/missing/x", tags=["a"])
    with pytest.raises(BadRequest):
        A.resources(resource_type="video")
    with pytest.raises(BadRequest):
        A.resources(type="sideways")
    up(sdk, HOPPER, "adm/bad/h")
    with pytest.raises(BadRequest, match="exceeds the image"):
        A.update("adm/bad/h", custom_coordinates=[[100, 100, 500, 500]])
    with pytest.raises(BadRequest, match="moderation_status"):
        A.update("adm/bad/h", moderation_status="maybe")
    with pytest.raises(BadRequest):
        A.update("adm/bad/h", context="novalue")
    h = {"Authorization": BASIC, "Content-Type": "application/json"}
    for method, path, body in [
        ("POST", "resources/image/upload/adm/bad/h", "{not json"),
        ("POST", "resources/image/upload/adm/bad/h", json.dumps({"colour": "red"})),
        ("POST", "resources/image/upload/adm/bad/h", json.dumps(["a"])),
        ("DELETE", "resources/image/upload", json.dumps({})),
        ("DELETE", "resources/image/upload", json.dumps({"public_ids": ["adm/bad/h"], "prefix": "adm/"})),
        ("DELETE", "resources/image/upload", json.dumps({"public_ids": "adm/bad/h", "all": True})),
        ("DELETE", "resources/image/upload", json.dumps({"public_ids": ["a"], "bogus": 1})),
        ("GET", "resources/by_asset_ids?asset_ids[]=nothex", ""),
        ("GET", "tags/image?max_results=-1", ""),
    ]:
        r = api.client.request(method, f"/v1_1/{CLOUD}/{path}", headers=h, content=body)
        assert r.status_code == 400, (method, path, body, r.text)
        assert "error" in r.json()
    assert A.resource("adm/bad/h")["tags"] == []  # nothing applied by the refused calls


def test_public_ids_with_spaces_unicode_and_slashes(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    pid = "adm/odd name/café – 1"
    up(sdk, HOPPER, pid, tags=["odd tag"])
    res = A.resource(pid)
    assert res["public_id"] == pid and api.get(res["url"]).status_code == 200
    assert A.update(pid, display_name="Café")["display_name"] == "Café"
    assert [r["public_id"] for r in A.resources_by_tag("odd tag")["resources"]] == [pid]
    assert A.delete_resources([pid])["deleted"] == {pid: "deleted"}


def test_unknown_admin_endpoints_answer_json(api: Any, sdk: Any) -> None:
    import cloudinary.api as A
    from cloudinary.exceptions import BadRequest, NotFound

    with pytest.raises(NotFound, match="does not implement"):
        A.delete_derived_resources(["0123"])
    with pytest.raises(NotFound, match="does not implement"):
        A.root_folders()
    with pytest.raises(BadRequest, match="moderation"):
        A.resources_by_moderation("manual", "pending")
    r = api.client.get(f"/v1_1/{CLOUD}/no/such/endpoint")
    assert r.status_code == 401  # credentials first, then the 404


def test_faces_detected_once_become_coordinates(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    up(sdk, IMAGES / "face_closeup_big_glasses.jpg", "adm/faces/glasses")
    res = A.resource("adm/faces/glasses", faces=True)
    assert len(res["faces"]) == 1
    x, y, w, h = res["faces"][0]
    assert w > 50 and h > 50 and x >= 0 and y >= 0
    assert res["coordinates"]["faces"] == res["faces"]
    record = api.catalogue.get("upload", "adm/faces/glasses")
    assert record.coordinates_faces == res["faces"] and record.analysis["faces"] == res["faces"]
    up(sdk, LANDSCAPE, "adm/faces/landscape")
    res = A.resource("adm/faces/landscape", coordinates=True)
    assert "coordinates" not in res  # no face in a landscape, no custom box
    assert api.catalogue.get("upload", "adm/faces/landscape").analysis["faces"] == []


def test_update_accepts_semantic_flags_the_sdk_drops(api: Any, sdk: Any) -> None:
    up(sdk, CAT, "adm/flags/cat")
    r = api.client.post(f"/v1_1/{CLOUD}/resources/image/upload/adm/flags/cat", headers={
        "Authorization": BASIC, "Content-Type": "application/json"}, content=json.dumps({"colors": True, "phash": "true"}))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["colors"][0][0].startswith("#") and isinstance(body["phash"], str)
    assert api.catalogue.get("upload", "adm/flags/cat").analysis["phash"] == body["phash"]


def test_delete_by_prefix_in_batches(api: Any, sdk: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import cloudinary.api as A

    import edge.api.admin_delete as admin

    for i in range(3):
        up(sdk, HOPPER, f"adm/batch/{i}")
    monkeypatch.setattr(admin, "DELETE_BATCH", 2)
    first = A.delete_resources_by_prefix("adm/batch/")
    assert first["partial"] is True and first["next_cursor"]
    assert sorted(first["deleted"]) == ["adm/batch/0", "adm/batch/1"]  # oldest first
    rest = A.delete_resources_by_prefix("adm/batch/", next_cursor=first["next_cursor"])
    assert rest["deleted"] == {"adm/batch/2": "deleted"} and rest["partial"] is False
    assert "next_cursor" not in rest
    assert A.resources(prefix="adm/batch/")["resources"] == []


def test_delete_only_some_derived_transformations(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    up(sdk, DOG, "adm/deltr/dog", eager=[{"width": 90, "crop": "scale"}, {"width": 60, "height": 60, "crop": "fill"}])
    assert len(A.resource("adm/deltr/dog")["derived"]) == 2
    res = A.delete_resources(["adm/deltr/dog"], transformations=[{"width": 90, "crop": "scale"}])
    assert res["deleted_counts"]["adm/deltr/dog"] == {"original": 0, "derived": 1}
    left = A.resource("adm/deltr/dog")["derived"]
    assert [d["transformation"] for d in left] == ["c_fill,h_60,w_60"]
    with pytest.raises(Exception, match="Invalid transformation"):
        A.delete_resources(["adm/deltr/dog"], transformations="w_abc,c_nonsense")


def test_details_options_fields_moderations_usage_date(api: Any, sdk: Any) -> None:
    import datetime

    import cloudinary.api as A
    from cloudinary.exceptions import BadRequest

    up(sdk, DOG, "adm/opts/dog", eager=[{"width": w, "crop": "scale"} for w in (50, 60, 70)], tags=["o"],
       moderation="manual")
    page = A.resource("adm/opts/dog", max_results=2)
    assert [d["transformation"] for d in page["derived"]] == ["c_scale,w_50", "c_scale,w_60"]
    rest = A.resource("adm/opts/dog", max_results=2, derived_next_cursor=page["derived_next_cursor"])
    assert [d["transformation"] for d in rest["derived"]] == ["c_scale,w_70"] and "derived_next_cursor" not in rest
    assert A.resource("adm/opts/dog", related=True)["related_assets"] == []  # Edge relates no assets
    listed = A.resources(prefix="adm/opts/", fields=["tags", "width"])["resources"][0]
    assert set(listed) == {"asset_id", "public_id", "resource_type", "type", "tags", "width"}
    mod = A.resources(prefix="adm/opts/", moderations=True)["resources"][0]
    assert mod["moderation"] == [{"kind": "manual", "status": "pending"}]
    res = A.update("adm/opts/dog", regions={"box": [[1, 2], [3, 4]]}, clear_invalid=True)
    assert res["access_mode"] == "public"
    assert api.catalogue.get("upload", "adm/opts/dog").extra["regions"] == {"box": [[1, 2], [3, 4]]}
    path = f"/v1_1/{CLOUD}/resources/image/upload/adm/opts/dog"
    h = {"Authorization": BASIC, "Content-Type": "application/json"}
    r = api.client.post(path, headers=h, content=json.dumps({"access_mode": "authenticated"}))  # the SDK drops it
    assert r.status_code == 200 and r.json()["access_mode"] == "authenticated"
    r = api.client.post(path, headers=h, content=json.dumps({"access_mode": "secret"}))
    assert r.status_code == 400 and "Invalid access_mode" in r.json()["error"]["message"]
    assert api.client.post(path, headers=h, content=json.dumps({"access_mode": "public"})).status_code == 200
    with pytest.raises(BadRequest, match="unique_display_name"):
        A.update("adm/opts/dog", display_name="x", unique_display_name=True)
    assert A.usage(date=datetime.date.today())["resources"] >= 1
    with pytest.raises(BadRequest, match="current usage only"):
        A.usage(date="2020-01-01")


def test_update_runs_ocr_and_categorization_on_the_stored_original(api: Any, sdk: Any) -> None:
    import cloudinary.api as A

    up(sdk, IMAGES / "signage_street_sign_coco_000250.jpg", "adm/models/sign")
    res = A.update("adm/models/sign", ocr="adv_ocr", categorization="edge_tagging", auto_tagging=0.3)
    ocr = res["info"]["ocr"]["adv_ocr"]
    assert ocr["status"] == "complete" and ocr["data"]
    tagging = res["info"]["categorization"]["edge_tagging"]
    assert tagging["status"] == "complete" and tagging["data"]
    top = [t["tag"] for t in tagging["data"] if t["confidence"] >= 0.3]
    assert top and set(top) <= set(res["tags"])  # auto_tagging added what passed the threshold
    stored = A.resource("adm/models/sign")
    assert stored["info"]["ocr"]["adv_ocr"] == ocr and set(top) <= set(stored["tags"])
