"""`access_mode` and `access_control` (issue 10): stored and returned by the Upload and Admin
APIs, enforced by delivery for `upload`-type assets (original and derived need a signed URL
while restricted), changed by explicit / the Admin API update with effect on the next request
(also for a derived asset already in the cache).  The official SDK drives every call and
signs the delivery URLs; SDK 1.46.3 never sends `access_mode` (no call lists it), so that
parameter goes in a request the SDK signs (`api_sign_request`), posted as the SDK posts."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pyvips
import pytest

from api_live import API_KEY, API_SECRET, PHOTO, ApiLive

pytestmark = pytest.mark.usefixtures("sdk")


def _url(public_id: str, *, signed: bool, **options: object) -> str:
    import cloudinary.utils

    url, _ = cloudinary.utils.cloudinary_url(public_id, format="jpg", sign_url=signed, **options)
    return url


def _call(api: ApiLive, endpoint: str, **params: Any) -> Any:
    """A signed Upload API call (`upload` with the photo, or `explicit`) carrying `params`."""
    from cloudinary.utils import api_sign_request

    fields = {**{k: str(v) for k, v in params.items()}, "timestamp": str(int(time.time()))}
    fields["signature"] = api_sign_request(fields, API_SECRET)
    fields["api_key"] = API_KEY
    files = {"file": ("dog.jpg", PHOTO.read_bytes())} if endpoint == "upload" else None
    return api.client.post(f"/v1_1/demo/image/{endpoint}", data=fields, files=files)


def _update_mode(api: ApiLive, public_id: str, mode: str) -> Any:
    """The Admin API update with `access_mode` (a JSON body, as the SDK sends update)."""
    basic = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
    return api.client.post(f"/v1_1/demo/resources/image/upload/{public_id}", content=json.dumps({"access_mode": mode}),
                           headers={"Authorization": basic, "Content-Type": "application/json"})


def _width(api: ApiLive, url: str) -> int:
    resp = api.get(url)
    assert resp.status_code == 200, (url, resp.headers.get("x-cld-error"))
    return pyvips.Image.new_from_buffer(resp.content, "").width


def _refused(api: ApiLive, url: str) -> str:
    resp = api.get(url)
    assert resp.status_code == 401, (url, resp.status_code)
    return resp.headers["x-cld-error"]


def test_authenticated_access_mode_needs_a_signature(api: ApiLive) -> None:
    import cloudinary.api as A
    import cloudinary.uploader as up

    resp = _call(api, "upload", public_id="acc/auth", access_mode="authenticated")
    assert resp.status_code == 200, resp.text
    res = resp.json()
    assert res["access_mode"] == "authenticated" and res["type"] == "upload"
    assert A.resource("acc/auth")["access_mode"] == "authenticated"
    listed = {r["public_id"]: r for r in A.resources(prefix="acc/auth")["resources"]}
    assert listed["acc/auth"]["access_mode"] == "authenticated"
    assert "access_mode authenticated" in _refused(api, _url("acc/auth", signed=False))
    assert "Signature required" in _refused(api, _url("acc/auth", signed=False, width=200, crop="scale"))
    assert _width(api, _url("acc/auth", signed=True)) == 768
    assert _width(api, _url("acc/auth", signed=True, width=200, crop="scale")) == 200
    forged = _url("acc/auth", signed=True, width=300, crop="scale").replace("w_300", "w_301")
    assert "Invalid signature" in _refused(api, forged)
    # a public upload beside it is untouched
    assert up.upload(str(PHOTO), public_id="acc/open")["access_mode"] == "public"
    assert _width(api, _url("acc/open", signed=False, width=100, crop="scale")) == 100


def test_a_change_reaches_a_cached_derived_asset(api: ApiLive) -> None:
    import cloudinary.api as A
    import cloudinary.uploader as up

    up.upload(str(PHOTO), public_id="acc/cached")
    derived = _url("acc/cached", signed=False, width=120, crop="scale")
    assert _width(api, derived) == 120
    assert _width(api, derived) == 120  # now in the memory cache
    assert api.get(derived).headers.get("x-edge-cache") in ("memory", "disk")
    resp = _call(api, "explicit", public_id="acc/cached", type="upload", access_mode="authenticated")
    assert resp.status_code == 200 and resp.json()["access_mode"] == "authenticated", resp.text
    assert "access_mode authenticated" in _refused(api, derived)  # the cached copy is not served
    assert _width(api, _url("acc/cached", signed=True, width=120, crop="scale")) == 120
    assert _update_mode(api, "acc/cached", "public").json()["access_mode"] == "public"
    assert _width(api, derived) == 120
    assert _update_mode(api, "acc/cached", "authenticated").json()["access_mode"] == "authenticated"
    assert "access_mode authenticated" in _refused(api, derived)
    assert A.resource("acc/cached")["access_mode"] == "authenticated"


def test_access_control_windows(api: ApiLive) -> None:
    import cloudinary.api as A
    import cloudinary.uploader as up

    now = datetime.now(timezone.utc)
    open_now = [{"access_type": "anonymous", "start": now - timedelta(hours=1), "end": now + timedelta(hours=1)}]
    res = up.upload(str(PHOTO), public_id="acc/window", access_control=open_now)
    assert res["access_control"] == [{"access_type": "anonymous",
                                      "start": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                      "end": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}]
    unsigned = _url("acc/window", signed=False, width=150, crop="scale")
    assert _width(api, unsigned) == 150
    # token only: a signature is needed, at once, even for the derived asset just cached
    assert A.update("acc/window", access_control=[{"access_type": "token"}])["access_control"] == [
        {"access_type": "token"}]
    assert "access_control" in _refused(api, unsigned)
    assert _width(api, _url("acc/window", signed=True, width=150, crop="scale")) == 150
    later = [{"access_type": "anonymous", "start": (now + timedelta(days=1)).isoformat()}]
    A.update("acc/window", access_control=later)
    assert "access_control" in _refused(api, unsigned)  # the window has not opened yet
    ended = [{"access_type": "anonymous", "end": (now - timedelta(minutes=5)).isoformat()}, {"access_type": "token"}]
    A.update("acc/window", access_control=ended)
    assert "access_control" in _refused(api, unsigned)  # it closed
    assert A.resource("acc/window")["access_control"][1] == {"access_type": "token"}
    A.update("acc/window", access_control=[{"access_type": "anonymous"}])  # no bounds: always open
    assert _width(api, unsigned) == 150
    A.update("acc/window", access_control=[])  # an empty list clears the rules
    assert "access_control" not in A.resource("acc/window")
    assert _width(api, unsigned) == 150


@pytest.mark.parametrize("rules, message", [
    ([{"access_type": "sometimes"}], "access_type must be anonymous or token"),
    ([{"access_type": "anonymous", "start": "tomorrow"}], "not an ISO 8601"),
    ([{"access_type": "anonymous", "start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}],
     "start must be before"),
    ([{"access_type": "anonymous", "colour": "red"}], "unknown key"),
    ([{"access_type": "token", "end": "2026-01-01T00:00:00Z"}], "anonymous rules only"),
])
def test_malformed_access_control_is_a_400(api: ApiLive, rules: list, message: str) -> None:
    import cloudinary.api as A
    import cloudinary.exceptions
    import cloudinary.uploader as up

    with pytest.raises(cloudinary.exceptions.BadRequest, match="Invalid access_control") as err:
        up.upload(str(PHOTO), public_id="acc/bad", access_control=rules)
    assert message in str(err.value)
    assert api.catalogue.get("upload", "acc/bad") is None  # nothing stored
    up.upload(str(PHOTO), public_id="acc/kept")
    with pytest.raises(cloudinary.exceptions.BadRequest, match=message):
        A.update("acc/kept", access_control=rules)
    assert "access_control" not in A.resource("acc/kept")
    resp = _call(api, "explicit", public_id="acc/kept", type="upload", access_mode="hidden")
    assert resp.status_code == 400 and "Invalid access_mode" in resp.json()["error"]["message"]
    assert _update_mode(api, "acc/kept", "hidden").status_code == 400


def test_a_new_version_keeps_the_restriction(api: ApiLive) -> None:
    """Overwriting the asset without the parameters keeps its access_mode and rules (a new
    version never makes a restricted asset public by omission)."""
    import cloudinary.uploader as up

    assert _call(api, "upload", public_id="acc/versions", access_mode="authenticated").status_code == 200
    up.upload(str(PHOTO), public_id="acc/versions", access_control=[{"access_type": "token"}])
    again = up.upload(str(PHOTO), public_id="acc/versions", tags="second")
    assert again["access_mode"] == "authenticated" and again["access_control"] == [{"access_type": "token"}]
    assert "access_mode authenticated" in _refused(api, _url("acc/versions", signed=False))
    assert _width(api, _url("acc/versions", signed=True, width=90, crop="scale")) == 90
