"""Hypothesis fuzz of the Analyze API v2 endpoints (issue 12): whatever JSON (or bytes) a
client sends, the answer is a 2xx or a 4xx in the §5.1 error envelope, never a 500.
Remote uris other than the test server's own host are refused by the fetch allow-list before
any DNS lookup, so the fuzz stays on loopback."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api_live import API_KEY, API_SECRET, ApiLive

AUTH = (API_KEY, API_SECRET)
MODELS = ["coco", "phash", "colors", "captioning", "shop_classifier", "x", "cld-text", "a%20b", "a" * 300]
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False, allow_infinity=False),
                      st.text(max_size=40))
json_any = st.recursive(json_leaf, lambda c: st.one_of(st.lists(c, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), c, max_size=4)),
                        max_leaves=12)
uris = st.one_of(st.text(max_size=60), st.sampled_from([
    "http://127.0.0.1:1/a.jpg", "https://example.com/a.jpg", "http://[::1", "http://a:b@127.0.0.1/x",
    "http://127.0.0.1/demo/image/upload/w_abc/x.jpg", "javascript:alert(1)", "http://\u00e9.com/\u0000"]))
sources = st.one_of(json_any, st.fixed_dictionaries({"uri": uris}), st.fixed_dictionaries({"asset_id": json_any}),
                    st.fixed_dictionaries({"asset_id": st.text("0123456789abcdef", min_size=32, max_size=32)}))


def _check(r: httpx.Response) -> None:
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        err = r.json()["error"]
        assert err["code"] and err["message"] and err["category"] and err["request_id"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(model=st.sampled_from(MODELS), source=sources, extra=st.dictionaries(
    st.sampled_from(["async", "notification_url", "prompts", "x"]), json_any, max_size=2))
def test_fuzz_v2_path(api: ApiLive, model: str, source: Any, extra: dict[str, Any]) -> None:
    _check(api.client.post(f"/v2/analysis/demo/analyze/{model}", json={"source": source, **extra}, auth=AUTH))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(json_any, st.fixed_dictionaries({"analysis_type": st.sampled_from(MODELS), "uri": uris,
                                                        "parameters": json_any})))
def test_fuzz_sdk_form(api: ApiLive, body: Any) -> None:
    _check(api.client.post("/v2/demo/analysis/analyze/uri", json=body, auth=AUTH))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200), task=st.text("abcdef0123456789XYZ-_~%", min_size=1, max_size=70))
def test_fuzz_raw_bodies_and_task_ids(api: ApiLive, raw: bytes, task: str) -> None:
    _check(api.client.post("/v2/analysis/demo/analyze/coco", content=raw, auth=AUTH,
                           headers={"content-type": "application/json"}))
    _check(api.client.get("/v2/analysis/demo/tasks/" + task, auth=AUTH))
