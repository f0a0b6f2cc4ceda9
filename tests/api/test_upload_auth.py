"""Upload API authentication: the SDK request vectors of upload-spec §8 (V1-V10) recomputed by
Edge's verifier, v1/v2 strings, the response and webhook signature vectors, and the live
failures (wrong secret, unknown key, stale timestamp, admin credentials refused on upload
routes and upload signatures refused on admin routes)."""

from __future__ import annotations

import base64
import time

import httpx
import pytest

from api_live import API_KEY, API_SECRET, PHOTO, ApiLive, configure_sdk

from edge.api.auth import (
    api_string_to_sign, authenticate_upload, notification_signature, response_signature,
    verify_api_signature, verify_basic,
)
from edge.api.errors import ApiError

SECRET = "abcd"  # spec §8 setup
TS = "1700000000"
V2_FIELDS = {
    "public_id": "sample", "type": "upload", "faces": "1", "image_metadata": "1", "media_metadata": "1",
    "colors": "1", "use_filename": "1", "unique_filename": "0", "notification_url": "https://example.com/hook",
    "eager_async": "1", "folder": "f1", "asset_folder": "af", "overwrite": "1", "quality_analysis": "1",
    "ocr": "adv_ocr", "categorization": "imagga_tagging", "detection": "coco_v2", "phash": "1",
    "return_delete_token": "1", "auto_tagging": "0.6", "async": "1", "accessibility_analysis": "1",
    "timestamp": TS, "eager": "c_fill,h_100,w_100|e_sepia/webp", "tags": "a,b",
    "face_coordinates": "1,2,3,4|5,6,7,8", "custom_coordinates": "10,20,30,40",
    "context": "alt=x\\=y|caption=c\\|d", "api_key": "123456789012345", "file": "<dot.png>",
}
VECTORS = [
    ("V1", {"timestamp": TS, "api_key": "123456789012345", "file": "<dot.png>"},
     "565e337b7f63b66286d82fccb51ae468584c7d5d"),
    ("V2", V2_FIELDS, "aaa70cba716ca90ebec491abd96bb95f3dbae81a"),
    ("V3", {"file": "https://example.com/a.jpg", "public_id": "remote", "timestamp": TS},
     "4f51f193b6f5a637701465094b3d26ac2eaa5e2b"),
    ("V4", {"file": "data:image/png;base64,iVBORw0KGgo", "public_id": "datauri", "timestamp": TS},
     "bcc945b0f95e8c7ba70e9889fcb86a618a111deb"),
    ("V5", {"timestamp": TS, "file": "<bytes>"}, "565e337b7f63b66286d82fccb51ae468584c7d5d"),
    ("V6", {"public_id": "s", "timestamp": TS},
     "a3ab1e6d598b331070e4107f41ebc1e63d6f90fb81356eaea8de3e9a52b5b55c"),
    ("V7", {"public_id": "a&b", "timestamp": TS}, "9c904f6cc985268c680b78e4ee0e3838f142ff51"),
    ("V7-v1", {"public_id": "a&b", "timestamp": TS}, "b94aaedee4f1caca5f3e8f1644e487c7b02f4ffd"),
    ("V9", {"type": "upload", "colors": "1", "detection": "coco", "phash": "1", "auto_tagging": "0.7",
            "timestamp": TS, "eager": "c_scale,w_200", "public_id": "sample"},
     "00b0c47a483a0adc58b043d4c576a69f1691ffc9"),
    ("V10", {"timestamp": TS, "invalidate": "1", "public_id": "sample"},
     "ab7dccee97c42234e51d90ab594565c56f9c317c"),
]


@pytest.mark.parametrize("name,fields,signature", VECTORS, ids=[v[0] for v in VECTORS])
def test_spec_vectors_verify(name: str, fields: dict[str, str], signature: str) -> None:
    assert verify_api_signature(fields, signature, SECRET)
    assert not verify_api_signature(fields, signature, "abce")
    assert not verify_api_signature({**fields, "public_id": "other"}, signature, SECRET)
    # the whole request passes authenticate_upload at its own time
    auth = authenticate_upload({**fields, "signature": signature, "api_key": "123456789012345"},
                               api_key="123456789012345", api_secret=SECRET, now=1700000000 + 59)
    assert auth.signed and auth.algorithm == ("sha256" if len(signature) == 64 else "sha1")


def test_v2_string_to_sign_matches_spec() -> None:
    want = ("accessibility_analysis=1&asset_folder=af&async=1&auto_tagging=0.6&categorization=imagga_tagging"
            "&colors=1&context=alt=x\\=y|caption=c\\|d&custom_coordinates=10,20,30,40&detection=coco_v2"
            "&eager=c_fill,h_100,w_100|e_sepia/webp&eager_async=1&face_coordinates=1,2,3,4|5,6,7,8&faces=1"
            "&folder=f1&image_metadata=1&media_metadata=1&notification_url=https://example.com/hook&ocr=adv_ocr"
            "&overwrite=1&phash=1&public_id=sample&quality_analysis=1&return_delete_token=1&tags=a,b"
            "&timestamp=1700000000&type=upload&unique_filename=0&use_filename=1")
    assert api_string_to_sign(V2_FIELDS) == want
    assert api_string_to_sign({"public_id": "a&b", "timestamp": TS}, version=1) == "public_id=a&b&timestamp=1700000000"
    assert api_string_to_sign({"public_id": "a&b", "timestamp": TS}) == "public_id=a%26b&timestamp=1700000000"


def test_list_values_are_signed_joined() -> None:
    from cloudinary.utils import api_sign_request

    sig = api_sign_request({"public_ids": ["a", "b"], "tag": "t", "timestamp": TS}, SECRET)
    assert verify_api_signature({"public_ids": ["a", "b"], "tag": "t", "timestamp": TS}, sig, SECRET)


def test_response_and_webhook_vectors() -> None:
    assert response_signature("sample", 1312461204, SECRET) == "7332b60d1da7033c332c59cb66dac31f72acc44c"
    assert notification_signature(b'{"a":1}', 1700000000, SECRET) == "6bedb09d7cbe1884653bbf2d9db1884eb0b891a4"


def test_stale_and_future_timestamps() -> None:
    fields = {"timestamp": TS, "api_key": "k", "signature": "565e337b7f63b66286d82fccb51ae468584c7d5d"}
    with pytest.raises(ApiError) as err:
        authenticate_upload(fields, api_key="k", api_secret=SECRET, now=1700000000 + 3601)
    assert err.value.status == 400
    assert err.value.message == ("Stale request - reported time is 2023-11-14 22:13:20 +0000 which is more "
                                 "than 1 hour ago")
    with pytest.raises(ApiError, match="in the future"):
        authenticate_upload(fields, api_key="k", api_secret=SECRET, now=1700000000 - 3601)
    authenticate_upload(fields, api_key="k", api_secret=SECRET, now=1700000000 + 3599)


def test_basic_auth_rules() -> None:
    good = "Basic " + base64.b64encode(b"key:secret").decode()
    assert verify_basic(good, api_key="key", api_secret="secret") == "key"
    for header in (None, "", "Bearer x", "Basic !!!", "Basic " + base64.b64encode(b"key:wrong").decode(),
                   "Basic " + base64.b64encode(b"other:secret").decode(), "Basic " + base64.b64encode(b"key").decode()):
        with pytest.raises(ApiError) as err:
            verify_basic(header, api_key="key", api_secret="secret")
        assert err.value.status == 401


# ---- live ----------------------------------------------------------------------------------
def _error(resp: httpx.Response) -> str:
    assert resp.headers["content-type"].startswith("application/json")
    return resp.json()["error"]["message"]


def test_wrong_secret_is_401_with_string_to_sign(api: ApiLive) -> None:
    import cloudinary.exceptions
    import cloudinary.uploader

    configure_sdk(api.url, secret="not-the-secret")
    with pytest.raises(cloudinary.exceptions.AuthorizationRequired) as err:
        cloudinary.uploader.upload(str(PHOTO), public_id="auth/wrong")
    message = str(err.value)
    assert message.startswith("Invalid Signature ") and "String to sign - 'public_id=auth/wrong&timestamp=" in message
    assert api.catalogue.get("upload", "auth/wrong") is None


def test_unknown_api_key_is_401(api: ApiLive) -> None:
    import cloudinary.exceptions
    import cloudinary.uploader

    configure_sdk(api.url, key="999")
    with pytest.raises(cloudinary.exceptions.AuthorizationRequired, match="Unknown API key 999"):
        cloudinary.uploader.upload(str(PHOTO), public_id="auth/key")


def test_stale_timestamp_live(api: ApiLive) -> None:
    from cloudinary.utils import api_sign_request

    ts = str(int(time.time()) - 7200)
    fields = {"public_id": "auth/stale", "timestamp": ts}
    fields["signature"] = api_sign_request(fields, API_SECRET)
    fields["api_key"] = API_KEY
    resp = api.client.post("/v1_1/demo/image/upload", data=fields, files={"file": PHOTO.read_bytes()})
    assert resp.status_code == 400
    assert _error(resp).startswith("Stale request - reported time is ") and _error(resp).endswith("1 hour ago")


def test_missing_credentials(api: ApiLive) -> None:
    resp = api.client.post("/v1_1/demo/image/upload", files={"file": PHOTO.read_bytes()})
    assert resp.status_code == 400 and _error(resp) == "Missing required parameter - api_key"
    resp = api.client.post("/v1_1/demo/image/upload", data={"api_key": API_KEY, "timestamp": "1"},
                           files={"file": PHOTO.read_bytes()})
    assert resp.status_code == 400 and _error(resp) == "Missing required parameter - signature"


def test_admin_credentials_do_not_open_upload_routes(api: ApiLive) -> None:
    resp = api.client.post("/v1_1/demo/image/upload", auth=(API_KEY, API_SECRET), files={"file": PHOTO.read_bytes()})
    assert resp.status_code == 400 and "api_key" in _error(resp)
    resp = api.client.post("/v1_1/demo/image/destroy", auth=(API_KEY, API_SECRET), data={"public_id": "x"})
    assert resp.status_code == 400


def test_upload_signature_does_not_open_admin_routes(api: ApiLive) -> None:
    from cloudinary.utils import api_sign_request

    fields = {"timestamp": str(int(time.time()))}
    fields["signature"] = api_sign_request(fields, API_SECRET)
    fields["api_key"] = API_KEY
    resp = api.client.get("/v1_1/demo/resources/image/upload", params=fields)
    assert resp.status_code == 401


def test_other_cloud_is_404(api: ApiLive) -> None:
    resp = api.client.post("/v1_1/other/image/upload", files={"file": PHOTO.read_bytes()})
    assert resp.status_code == 404 and "Unknown cloud name" in _error(resp)
