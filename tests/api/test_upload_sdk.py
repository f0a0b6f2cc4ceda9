"""The Upload API against the official Python SDK (cloudinary 1.46.3) as the oracle, on real
photos: every way of sending `file`, signed (SHA-1, SHA-256) and unsigned, the response fields
of upload-spec §1.4, explicit + eager (then a cache hit), destroy + invalidate, rename, tags,
context, overwrite/existing, delete tokens."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from datetime import datetime, timezone
from typing import Any

import pytest

from api_live import API_KEY, API_SECRET, IMAGES, PHOTO, ApiLive

pytestmark = pytest.mark.usefixtures("sdk")


def _uploader() -> Any:
    import cloudinary.uploader

    return cloudinary.uploader


def _check_fields(r: dict[str, Any], data: bytes, *, width: int, height: int, fmt: str) -> None:
    """Every §1.4 field with its type and value."""
    from cloudinary.utils import verify_api_response_signature

    assert re.fullmatch(r"[0-9a-f]{32}", r["asset_id"])
    assert re.fullmatch(r"[0-9a-f]{32}", r["version_id"])
    assert isinstance(r["version"], int) and abs(r["version"] - datetime.now(timezone.utc).timestamp()) < 120
    assert (r["width"], r["height"], r["format"]) == (width, height, fmt)
    assert r["resource_type"] == "image" and r["type"] == "upload" and r["pages"] == 1
    assert r["bytes"] == len(data)
    assert r["etag"] == hashlib.md5(data).hexdigest()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["created_at"])
    assert r["placeholder"] is False and isinstance(r["tags"], list)
    assert r["asset_folder"] == "" and r["display_name"] == r["public_id"].rsplit("/", 1)[-1]
    assert r["url"].startswith("http://127.0.0.1:") and r["secure_url"].startswith("https://127.0.0.1:")
    assert r["url"].endswith(f"/demo/image/upload/v{r['version']}/{r['public_id']}.{fmt}")
    assert r["api_key"] == API_KEY
    assert re.fullmatch(r"[0-9a-f]{32}", r["request_id"])  # the SDK copied X-Request-Id
    assert verify_api_response_signature(r["public_id"], r["version"], r["signature"])
    assert "error" not in r and "existing" not in r


def test_upload_file_path_signed_sha1(api: ApiLive) -> None:
    r = _uploader().upload(str(PHOTO), public_id="sdk/path")
    data = PHOTO.read_bytes()
    _check_fields(r, data, width=768, height=576, fmt="jpg")
    assert r["original_filename"] == "dog_bicycle_truck"
    got = api.get(r["url"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    record = api.catalogue.get("upload", "sdk/path")
    assert record.etag == r["etag"] and record.version == r["version"]


def test_upload_signed_sha256(api: ApiLive) -> None:
    import cloudinary

    cloudinary.config(signature_algorithm="sha256")
    r = _uploader().upload(str(IMAGES / "cat_chelsea.png"), public_id="sdk/sha256")
    _check_fields(r, (IMAGES / "cat_chelsea.png").read_bytes(), width=451, height=300, fmt="png")


def test_upload_bytes_and_stream(api: ApiLive) -> None:
    data = (IMAGES / "coffee.png").read_bytes()
    r1 = _uploader().upload(data, public_id="sdk/bytes")
    r2 = _uploader().upload(io.BytesIO(data), public_id="sdk/stream")
    for r in (r1, r2):
        _check_fields(r, data, width=r["width"], height=r["height"], fmt="png")
        assert "original_filename" not in r  # the SDK names raw bytes "file" / "stream"
    assert api.get(r2["url"]).status_code == 200


def test_upload_data_uri(api: ApiLive) -> None:
    data = (IMAGES / "tiny_hopper_128.jpg").read_bytes()
    uri = "data:image/jpeg;base64," + base64.b64encode(data).decode()
    r = _uploader().upload(uri, public_id="sdk/datauri")
    _check_fields(r, data, width=128, height=r["height"], fmt="jpg")


def test_upload_bare_base64_over_http(api: ApiLive) -> None:
    """Bare base64 (no data: prefix) in a form-urlencoded body, signed by hand."""
    from cloudinary.utils import api_sign_request, now

    data = (IMAGES / "tiny_hopper_128.jpg").read_bytes()
    params = {"public_id": "raw/b64", "timestamp": now()}
    params["signature"] = api_sign_request(params, API_SECRET)
    params["api_key"] = API_KEY
    params["file"] = base64.b64encode(data).decode()
    resp = api.client.post("/v1_1/demo/image/upload", data=params)
    assert resp.status_code == 200, resp.text
    assert resp.json()["etag"] == hashlib.md5(data).hexdigest()
    assert resp.headers["x-request-id"]


def test_upload_json_body(api: ApiLive) -> None:
    from cloudinary.utils import api_sign_request, now

    data = (IMAGES / "tiny_hopper_128.jpg").read_bytes()
    params = {"public_id": "raw/json", "timestamp": now(), "tags": "j1,j2"}
    params["signature"] = api_sign_request(params, API_SECRET)
    body = {**params, "api_key": API_KEY, "file": "data:image/jpeg;base64," + base64.b64encode(data).decode()}
    resp = api.client.post("/v1_1/demo/image/upload", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["tags"] == ["j1", "j2"]
    # JSON booleans are read (and signed) as true/false
    params = {"public_id": "raw/json", "timestamp": now(), "overwrite": "false"}
    params["signature"] = api_sign_request(params, API_SECRET)
    body = {**params, "overwrite": False, "api_key": API_KEY,
            "file": "data:image/jpeg;base64," + base64.b64encode(data).decode()}
    resp = api.client.post("/v1_1/demo/image/upload", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["existing"] is True


def test_upload_remote_url(api: ApiLive, photos_http: str) -> None:
    r = _uploader().upload(f"{photos_http}/landscape_aitzgorri.jpg", public_id="sdk/remote")
    data = (IMAGES / "landscape_aitzgorri.jpg").read_bytes()
    _check_fields(r, data, width=r["width"], height=r["height"], fmt="jpg")
    assert r["original_filename"] == "landscape_aitzgorri"


def test_remote_url_missing_is_a_clear_400(api: ApiLive, photos_http: str) -> None:
    import cloudinary.exceptions

    with pytest.raises(cloudinary.exceptions.BadRequest, match="Error in loading"):
        _uploader().upload(f"{photos_http}/no_such_file.jpg", public_id="sdk/remote404")
    assert api.catalogue.get("upload", "sdk/remote404") is None


def test_unsigned_upload_with_preset(api: ApiLive) -> None:
    import cloudinary.exceptions

    api.catalogue.create_preset("unsigned_dogs", unsigned=True, settings={"folder": "pets", "tags": "preset"})
    api.catalogue.create_preset("signed_only", unsigned=False, settings={})
    r = _uploader().unsigned_upload(str(PHOTO), "unsigned_dogs", public_id="rex", tags="t1")
    assert r["public_id"] == "pets/rex" and r["tags"] == ["t1"]  # request tags win over the preset's
    r2 = _uploader().unsigned_upload(str(PHOTO), "unsigned_dogs")
    assert r2["public_id"].startswith("pets/") and r2["tags"] == ["preset"]
    assert re.fullmatch(r"pets/[a-z0-9]{20}", r2["public_id"])
    # unsigned never overwrites: the existing asset comes back with existing: true
    again = _uploader().unsigned_upload(str(IMAGES / "coffee.png"), "unsigned_dogs", public_id="rex")
    assert again["existing"] is True and again["version"] == r["version"] and again["format"] == "jpg"
    with pytest.raises(cloudinary.exceptions.BadRequest, match="whitelisted for unsigned"):
        _uploader().unsigned_upload(str(PHOTO), "signed_only")
    with pytest.raises(cloudinary.exceptions.BadRequest, match="not found"):
        _uploader().unsigned_upload(str(PHOTO), "no_such_preset")
    with pytest.raises(cloudinary.exceptions.BadRequest, match="eager parameter is not allowed"):
        _uploader().unsigned_upload(str(PHOTO), "unsigned_dogs", eager="w_10")


def test_public_id_rules(api: ApiLive) -> None:
    up = _uploader()
    r = up.upload(str(PHOTO), folder="f1/f2", public_id="x")
    assert r["public_id"] == "f1/f2/x"
    r = up.upload(str(PHOTO), use_filename=True)
    assert re.fullmatch(r"dog_bicycle_truck_[a-z0-9]{6}", r["public_id"])
    r = up.upload(str(PHOTO), use_filename=True, unique_filename=False, asset_folder="af",
                  display_name="A dog")
    assert r["public_id"] == "dog_bicycle_truck" and r["asset_folder"] == "af" and r["display_name"] == "A dog"
    r = up.upload(str(PHOTO), filename_override="renamed.jpg", use_filename=True, unique_filename=False,
                  discard_original_filename=False)
    assert r["public_id"] == "renamed" and r["original_filename"] == "renamed"
    r = up.upload(str(PHOTO), discard_original_filename=True)
    assert "original_filename" not in r and re.fullmatch(r"[a-z0-9]{20}", r["public_id"])
    r = up.upload(str(PHOTO), public_id="secret1", type="private")
    assert r["type"] == "private" and "/image/private/" in r["url"]


def test_overwrite_and_existing(api: ApiLive) -> None:
    up = _uploader()
    first = up.upload(str(PHOTO), public_id="ow/a", tags="one")
    second = up.upload(str(IMAGES / "cat_chelsea.png"), public_id="ow/a")  # signed: overwrite default true
    assert second["asset_id"] == first["asset_id"] and second["version"] > first["version"]
    assert second["version_id"] != first["version_id"] and second["format"] == "png"
    kept = up.upload(str(PHOTO), public_id="ow/a", overwrite=False)
    assert kept["existing"] is True and kept["version_id"] == second["version_id"]
    # delivery serves the new version at once; the old v<version> URL is gone
    assert api.get(second["url"]).headers["content-type"] == "image/png"
    assert api.get(first["url"]).status_code == 404


def test_explicit_with_eager_then_cache_hit(api: ApiLive) -> None:
    up = _uploader()
    r = up.upload(str(PHOTO), public_id="ex/dog")
    e = up.explicit("ex/dog", type="upload", eager=[{"width": 200, "crop": "scale"},
                                                    {"width": 100, "height": 80, "crop": "fill", "format": "webp"}])
    assert e["public_id"] == "ex/dog" and e["version"] == r["version"]
    first, second = e["eager"]
    assert (first["transformation"], first["width"], first["height"]) == ("c_scale,w_200", 200, 150)
    assert (second["width"], second["height"], second["format"]) == (100, 80, "webp")
    assert first["url"].endswith(f"/demo/image/upload/c_scale,w_200/v{r['version']}/ex/dog.jpg")
    assert second["url"].endswith(".webp")
    for item in (first, second):
        got = api.get(item["url"])
        assert got.status_code == 200 and got.headers["x-edge-cache"] != "miss"
        assert len(got.content) == item["bytes"]
    derived = api.catalogue.list_derived(r["asset_id"])[0]
    assert {d.transformation for d in derived} == {"c_scale,w_200", "c_fill,h_80,w_100"}


def test_upload_with_eager(api: ApiLive) -> None:
    r = _uploader().upload(str(PHOTO), public_id="eager/up",
                           eager=[{"width": 100, "height": 100, "crop": "fill"}, {"effect": "sepia", "format": "webp"}])
    assert [(x["width"], x["height"]) for x in r["eager"]] == [(100, 100), (768, 576)]
    assert r["eager"][1]["format"] == "webp"
    for item in r["eager"]:
        assert api.get(item["url"]).headers["x-edge-cache"] != "miss"


def test_explicit_missing_asset_404(api: ApiLive) -> None:
    import cloudinary.exceptions

    with pytest.raises(cloudinary.exceptions.NotFound):
        _uploader().explicit("never/uploaded", type="upload", eager=[{"width": 10}])


def test_destroy_with_invalidate(api: ApiLive) -> None:
    up = _uploader()
    r = up.upload(str(PHOTO), public_id="gone/dog", eager=[{"width": 50}])
    assert api.get(r["url"]).status_code == 200
    assert up.destroy("gone/dog", invalidate=True)["result"] == "ok"
    assert api.get(r["url"]).status_code == 404
    assert api.get(r["eager"][0]["url"]).status_code == 404
    assert api.get("/demo/image/upload/gone/dog.jpg").status_code == 404
    assert up.destroy("gone/dog")["result"] == "not found"
    assert api.catalogue.get("upload", "gone/dog") is None


def test_rename_moves_delivery(api: ApiLive) -> None:
    up = _uploader()
    r = up.upload(str(PHOTO), public_id="mv/from", tags="t")
    out = up.rename("mv/from", "mv/to")
    assert out["public_id"] == "mv/to" and out["asset_id"] == r["asset_id"] and out["tags"] == ["t"]
    assert api.get("/demo/image/upload/w_60/mv/to.jpg").status_code == 200
    assert api.get("/demo/image/upload/w_60/mv/from.jpg").status_code == 404
    up.upload(str(IMAGES / "coffee.png"), public_id="mv/other")
    import cloudinary.exceptions

    with pytest.raises(cloudinary.exceptions.AlreadyExists):
        up.rename("mv/other", "mv/to")
    replaced = up.rename("mv/other", "mv/to", overwrite=True)
    assert replaced["format"] == "png"
    with pytest.raises(cloudinary.exceptions.NotFound):
        up.rename("mv/nothing", "mv/x")


def test_tags_commands(api: ApiLive) -> None:
    up = _uploader()
    up.upload(str(PHOTO), public_id="tg/a", tags="keep")
    up.upload(str(PHOTO), public_id="tg/b")
    assert up.add_tag("red", ["tg/a", "tg/b", "tg/missing"])["public_ids"] == ["tg/a", "tg/b"]
    assert api.catalogue.get("upload", "tg/b").tags == ("red",)
    up.remove_tag("red", ["tg/a"])
    assert set(api.catalogue.get("upload", "tg/a").tags) == {"keep"}
    up.replace_tag("blue", ["tg/a"])
    assert api.catalogue.get("upload", "tg/a").tags == ("blue",)
    up.add_tag("only", ["tg/a"])
    up.add_tag("only", ["tg/b"], exclusive=True)
    assert "only" not in api.catalogue.get("upload", "tg/a").tags
    assert "only" in api.catalogue.get("upload", "tg/b").tags
    up.remove_all_tags(["tg/a", "tg/b"])
    assert api.catalogue.get("upload", "tg/a").tags == () and api.catalogue.get("upload", "tg/b").tags == ()


def test_context_commands(api: ApiLive) -> None:
    up = _uploader()
    r = up.upload(str(PHOTO), public_id="cx/a", context={"alt": "a|b", "caption": "x=y"})
    assert r["context"] == {"custom": {"alt": "a|b", "caption": "x=y"}}
    assert up.add_context({"k": "v"}, ["cx/a"])["public_ids"] == ["cx/a"]
    assert api.catalogue.get("upload", "cx/a").context == {"alt": "a|b", "caption": "x=y", "k": "v"}
    up.remove_all_context(["cx/a"])
    assert api.catalogue.get("upload", "cx/a").context == {}


def test_delete_token(api: ApiLive) -> None:
    import cloudinary.exceptions

    r = _uploader().upload(str(PHOTO), public_id="tok/a", return_delete_token=True)
    token = r["delete_token"]
    with pytest.raises(cloudinary.exceptions.AuthorizationRequired):
        _delete_by_token(api, token[:-3] + "abc")
    assert _delete_by_token(api, token) == {"result": "ok"}
    assert api.catalogue.get("upload", "tok/a") is None


def _delete_by_token(api: ApiLive, token: str) -> dict[str, Any]:
    import cloudinary.exceptions

    resp = api.client.post("/v1_1/demo/delete_by_token", data={"token": token})
    if resp.status_code == 401:
        raise cloudinary.exceptions.AuthorizationRequired(resp.json()["error"]["message"])
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_upload_large_in_chunks(api: ApiLive) -> None:
    """`upload_large` sends Content-Range chunks (as resource_type raw by default)."""
    data = PHOTO.read_bytes()
    r = _uploader().upload_large(str(PHOTO), public_id="sdk/large", chunk_size=64 * 1024)
    _check_fields(r, data, width=768, height=576, fmt="jpg")
    assert api.get(r["url"]).status_code == 200
    assert not list((api.root / "cache" / ".upload-chunks").glob("*"))  # parts cleaned up
