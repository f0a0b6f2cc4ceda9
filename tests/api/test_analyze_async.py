"""Analyze API v2 async tasks (issue 12): 202 + task id, the task endpoint reaching
`completed` with the result, the webhook verified with the SDK's
`verify_notification_signature`, retries with backoff, failed tasks, and a task accepted while
no job consumer ran completing after a restart on the same job queue."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest

from api_live import API_KEY, API_SECRET, IMAGES, ApiLive, Listener, start_server

AUTH = (API_KEY, API_SECRET)
CAT = IMAGES / "cat_coco_000443.jpg"


def _verified(received: Any) -> dict[str, Any]:
    import cloudinary
    from cloudinary.utils import verify_notification_signature

    cloudinary.config(api_secret=API_SECRET)
    body = received.body.decode()
    ts, sig = int(received.headers["x-cld-timestamp"]), received.headers["x-cld-signature"]
    assert received.headers["content-type"] == "application/json"
    assert verify_notification_signature(body, ts, sig)
    assert not verify_notification_signature(body + " ", ts, sig)
    return json.loads(body)


def _wait_task(client: httpx.Client, task_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        r = client.get(f"/v2/analysis/demo/tasks/{task_id}", auth=AUTH)
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        seen.append(data["status"])
        assert data["status"] in ("pending", "processing", "completed", "failed")
        if data["status"] in ("completed", "failed"):
            return data
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} stayed {seen[-1:]}")


def _start(client: httpx.Client, model: str, source: dict[str, Any], url: str = "") -> str:
    body: dict[str, Any] = {"source": source, "async": True}
    if url:
        body["notification_url"] = url
    r = client.post(f"/v2/analysis/demo/analyze/{model}", json=body, auth=AUTH)
    assert r.status_code == 202, r.text
    out = r.json()
    assert re.fullmatch(r"[0-9a-f]{32}", out["request_id"]) and out["data"]["status"] == "pending"
    assert re.fullmatch(r"[0-9a-f]{40}", out["data"]["task_id"])
    return out["data"]["task_id"]


def test_async_task_completes_and_the_webhook_verifies(api: ApiLive, webhooks: Listener, photos_http: str) -> None:
    uri = f"{photos_http}/{CAT.name}"
    task_id = _start(api.client, "coco", {"uri": uri}, webhooks.url)
    done = _wait_task(api.client, task_id)
    assert done["status"] == "completed" and done["model"] == "coco" and done["entity"] == uri
    assert done["analysis"]["tags"]["cat"][0]["confidence"] > 0.3
    note = _verified(webhooks.wait(1)[0])
    assert note["notification_type"] == "analysis" and note["task_id"] == task_id
    assert note["status"] == "completed" and note["data"]["entity"] == uri
    assert note["data"]["analysis"] == done["analysis"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", note["timestamp"])


def test_sdk_form_async_through_parameters(api: ApiLive, sdk: Any, webhooks: Listener, photos_http: str) -> None:
    import cloudinary.api

    res = cloudinary.api.analyze("uri", "image_quality", uri=f"{photos_http}/{CAT.name}",
                                 parameters={"async": True, "notification_url": webhooks.url})
    task_id = res["data"]["task_id"]
    assert _wait_task(api.client, task_id)["analysis"]["quality"] in ("low", "medium", "high")
    assert _verified(webhooks.wait(1)[0])["task_id"] == task_id


def test_webhook_is_retried_with_backoff(api: ApiLive, webhooks: Listener, photos_http: str) -> None:
    webhooks.fail_first = 2
    task_id = _start(api.client, "phash", {"uri": f"{photos_http}/{CAT.name}"}, webhooks.url)
    note = _verified(webhooks.wait(1, timeout=30)[0])
    assert note["task_id"] == task_id and webhooks.attempts == 3


def test_failed_task_reports_its_error(api: ApiLive, webhooks: Listener, photos_http: str) -> None:
    task_id = _start(api.client, "coco", {"uri": f"{photos_http}/broken_truncated.jpg"}, webhooks.url)
    done = _wait_task(api.client, task_id)
    assert done["status"] == "failed" and done["error"]["code"] == "invalid_image"
    note = _verified(webhooks.wait(1)[0])
    assert note["status"] == "failed" and note["error"]["code"] == "invalid_image"


def test_async_unknown_asset_is_404_at_once(api: ApiLive) -> None:
    r = api.client.post("/v2/analysis/demo/analyze/coco", json={"source": {"asset_id": "f" * 32}, "async": True},
                        auth=AUTH)
    assert r.status_code == 404 and r.json()["error"]["code"] == "asset_not_found"


def test_task_survives_a_restart_on_the_same_job_queue(tmp_path: Any, webhooks: Listener, photos_http: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from edge.assets.jobs import JobQueue

    start = JobQueue.start
    monkeypatch.setattr(JobQueue, "start", lambda self: None)  # first server: no consumer runs jobs
    with start_server(tmp_path) as first:
        task_id = _start(first.client, "coco", {"uri": f"{photos_http}/{CAT.name}"}, webhooks.url)
        time.sleep(1.0)
        r = first.client.get(f"/v2/analysis/demo/tasks/{task_id}", auth=AUTH)
        assert r.json()["data"]["status"] == "pending"
    monkeypatch.setattr(JobQueue, "start", start)
    with start_server(tmp_path) as second:  # same folders: the same jobs.db and task store
        done = _wait_task(second.client, task_id)
        assert done["status"] == "completed" and "cat" in done["analysis"]["tags"]
    assert _verified(webhooks.wait(1)[0])["task_id"] == task_id


def test_tasks_expire_after_the_configured_time(tmp_path: Any, photos_http: str) -> None:
    with start_server(tmp_path, analyze_task_ttl_s=2) as live:
        task_id = _start(live.client, "phash", {"uri": f"{photos_http}/{CAT.name}"})
        assert _wait_task(live.client, task_id)["status"] == "completed"
        time.sleep(2.2)
        r = live.client.get(f"/v2/analysis/demo/tasks/{task_id}", auth=AUTH)
        assert r.status_code == 404 and r.json()["error"]["code"] == "task_not_found"
