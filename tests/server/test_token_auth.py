"""`__cld_token__` delivery tokens (url-spec §18.4) on a real uvicorn: URLs built by the official
Python SDK with `auth_token={"key": ...}` open `authenticated` assets and `upload` assets whose
`access_mode`/`access_control` restrict them, in the query or as a cookie; a wrong, expired or
foreign token is a 401 with `X-Cld-Error`; a token's answer is `private` (no shared cache may hand
it to a request without the token) and a path opened by a token is not remembered as open."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

API_TESTS = Path(__file__).resolve().parents[1] / "api"
if str(API_TESTS) not in sys.path:
    sys.path.insert(0, str(API_TESTS))

from api_live import API_KEY, API_SECRET, PHOTO, ApiLive, configure_sdk, start_server  # noqa: E402

TOKEN_KEY = "8c1f3a5e7d9b2c4e6f8a0b1c2d3e4f50"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiLive]:
    with start_server(tmp_path_factory.mktemp("token"), auth_token_key=TOKEN_KEY) as live:
        module = configure_sdk(live.url)
        try:
            yield live
        finally:
            module.reset_config()


def _url(public_id: str, key: str = TOKEN_KEY, **options: Any) -> str:
    import cloudinary.utils

    token = {"key": key, "duration": 300, **options.pop("token", {})}
    url, _ = cloudinary.utils.cloudinary_url(public_id, format="jpg", sign_url=True, auth_token=token, **options)
    return url


def _private_age(answer: Any) -> int:
    found = re.fullmatch(r"private, max-age=(\d+)", answer.headers["cache-control"])
    assert found, answer.headers["cache-control"]
    return int(found.group(1))


def test_authenticated_asset_opens_with_an_sdk_token_only(api: ApiLive) -> None:
    import cloudinary.uploader as up

    res = up.upload(str(PHOTO), public_id="tok/auth", type="authenticated")
    url = _url("tok/auth", type="authenticated", version=res["version"], width=140, crop="scale")
    assert "__cld_token__=" in url and "s--" not in url  # the SDK signs with the token alone
    first, again = api.get(url), api.get(url)
    assert first.status_code == again.status_code == 200
    assert first.headers["content-type"] == "image/jpeg"
    assert again.headers["x-edge-cache"] == "memory"
    for answer in (first, again):  # never immutable/public, bounded by the token's 300 s
        assert 0 < _private_age(answer) <= 300
    bare = api.get(url.split("?", 1)[0])  # the same path, remembered by nothing: still closed
    assert bare.status_code == 401 and bare.headers["x-cld-error"].startswith("Signature required")


def test_token_as_cookie(api: ApiLive) -> None:
    import cloudinary.uploader as up

    up.upload(str(PHOTO), public_id="tok/cookie", type="authenticated")
    url = _url("tok/cookie", type="authenticated", width=90, crop="scale")
    path, token = url.split("?", 1)
    name, value = token.split("=", 1)
    answer = api.get(path, headers={"cookie": f"theme=dark; {name}={value}"})
    assert answer.status_code == 200 and _private_age(answer) <= 300


@pytest.mark.parametrize("how", ["other key", "other path", "expired", "tampered", "other address", "malformed"])
def test_refused_tokens_are_401_with_a_reason(api: ApiLive, how: str) -> None:
    import cloudinary.uploader as up

    up.upload(str(PHOTO), public_id="tok/refused", type="authenticated", overwrite=True)
    options: dict[str, Any] = {"type": "authenticated", "width": 100, "crop": "scale"}
    if how == "other key":
        url = _url("tok/refused", key="00" * 16, **options)
    elif how == "expired":
        url = _url("tok/refused", token={"start_time": int(time.time()) - 600, "duration": 60}, **options)
    elif how == "other address":
        url = _url("tok/refused", token={"ip": "192.0.2.7"}, **options)
    else:
        url = _url("tok/refused", **options)
    if how == "other path":
        url = url.replace("w_100", "w_101")
    elif how == "tampered":
        url = re.sub(r"exp=(\d+)", lambda m: f"exp={int(m.group(1)) + 3600}", url)
    elif how == "malformed":
        url = url.split("?")[0] + "?__cld_token__=exp=soon~hmac=xyz"
    answer = api.get(url)
    assert answer.status_code == 401, how
    assert answer.headers["x-cld-error"], how
    assert "immutable" not in answer.headers.get("cache-control", "")


def test_acl_token_opens_restricted_upload_assets_under_its_prefix(api: ApiLive) -> None:
    import cloudinary.uploader as up
    import cloudinary.utils

    from cloudinary.utils import api_sign_request

    # the SDK's upload() does not send access_mode: a signed call with it, as upload-spec §1.2 has
    fields = {"public_id": "tok/locked", "access_mode": "authenticated", "timestamp": str(int(time.time()))}
    fields["signature"] = api_sign_request(fields, API_SECRET)
    fields["api_key"] = API_KEY
    made = api.client.post("/v1_1/demo/image/upload", data=fields, files={"file": ("d.jpg", PHOTO.read_bytes())})
    assert made.status_code == 200 and made.json()["access_mode"] == "authenticated"
    up.upload(str(PHOTO), public_id="tok/windowless", access_control=[{"access_type": "token"}])
    token = cloudinary.utils.generate_auth_token(key=TOKEN_KEY, duration=120, acl="/demo/image/upload/*")
    for public_id in ("tok/locked", "tok/windowless"):
        plain, _ = cloudinary.utils.cloudinary_url(public_id, format="jpg", width=80, crop="scale")
        assert api.get(plain).status_code == 401  # restricted...
        opened = api.get(plain + "?" + token)  # ...and open with a token for the whole prefix
        assert opened.status_code == 200, opened.headers.get("x-cld-error")
        assert 0 < _private_age(opened) <= 120
    outside = cloudinary.utils.generate_auth_token(key=TOKEN_KEY, duration=120, acl="/demo/image/upload/other/*")
    plain, _ = cloudinary.utils.cloudinary_url("tok/locked", format="jpg", width=80, crop="scale")
    refused = api.get(plain + "?" + outside)
    assert refused.status_code == 401 and "ACL" in refused.headers["x-cld-error"]


def test_public_asset_ignores_a_token(api: ApiLive) -> None:
    import cloudinary.uploader as up

    res = up.upload(str(PHOTO), public_id="tok/public")
    url = _url("tok/public", version=res["version"], width=70, crop="scale")
    answer = api.get(url)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
