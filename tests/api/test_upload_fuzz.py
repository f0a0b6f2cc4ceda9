"""Hypothesis fuzz of the Upload API endpoints with correctly signed requests (so the input
reaches parameter parsing, not just the signature check): whatever the parameters, the answer
is JSON and never a 500."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api_live import API_KEY, API_SECRET, IMAGES, ApiLive

from edge.api.auth import api_string_to_sign

import hashlib

NAMES = ["public_id", "folder", "asset_folder", "tags", "context", "metadata", "eager", "type", "overwrite",
         "use_filename", "unique_filename", "transformation", "format", "allowed_formats", "colors", "phash",
         "face_coordinates", "custom_coordinates", "auto_tagging", "detection", "moderation", "access_mode", "access_control",
         "display_name", "filename_override", "notification_url", "invalidate", "backup", "public_id_prefix",
         "from_public_id", "to_public_id", "tag", "public_ids", "command", "to_type", "token", "eval", "x"]
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "1", "0", "true", "maybe", "a,b", "k=v|x", "c_fill,w_10|e_sepia/webp", "w_abc",
                     "../x", "a//b", "upload", "private", "fetch", "1,2,3,4|5,6", "[[1,2]]", "{\"a\":1}",
                     "http://10.0.0.1/x", "data:image/png;base64,AAAA", "\x00", "\ud800", "add", "remove_all"]),
)
PARAMS = st.dictionaries(st.sampled_from(NAMES), TEXT, max_size=6)
ENDPOINTS = ["upload", "explicit", "destroy", "rename", "tags", "context"]
TINY = (IMAGES / "tiny_hopper_128.jpg").read_bytes()


def _sign(params: dict[str, Any]) -> dict[str, Any]:
    out = {**params, "timestamp": str(int(time.time()))}
    sig_params = {k: v for k, v in out.items() if k != "file"}
    out["signature"] = hashlib.sha1((api_string_to_sign(sig_params) + API_SECRET).encode("utf-8", "surrogatepass")).hexdigest()
    out["api_key"] = API_KEY
    return out


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(ENDPOINTS), params=PARAMS, as_json=st.booleans(), with_file=st.booleans())
def test_signed_fuzz_never_500(api: ApiLive, endpoint: str, params: dict[str, str], as_json: bool,
                               with_file: bool) -> None:
    body = _sign(params)
    url = f"/v1_1/demo/image/{endpoint}"
    try:
        if as_json:
            import json

            raw = json.dumps(body).encode()
            resp = api.client.post(url, content=raw, headers={"content-type": "application/json"})
        else:
            clean = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in body.items()}
            files = {"file": ("t.jpg", TINY)} if with_file and endpoint == "upload" else None
            resp = api.client.post(url, data=clean, files=files)
    except httpx.HTTPError as exc:  # pragma: no cover - the server must not drop the connection
        raise AssertionError(f"connection failed: {exc}") from exc
    assert resp.status_code != 500, (endpoint, params, resp.text)
    assert resp.status_code < 500 or resp.status_code == 503
    assert resp.headers["content-type"].startswith("application/json")
    if resp.status_code >= 400:
        assert "message" in resp.json()["error"]
