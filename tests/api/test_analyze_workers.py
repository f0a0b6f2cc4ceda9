"""Analyze API tasks over `edge serve --workers 2` (a real subprocess, issue 12): tasks accepted
by one worker process are run by the shared job queue and answered by either worker's task
endpoint (the task store lives in the queue's key-value table), each webhook verified with
the SDK."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from api_live import API_KEY, API_SECRET, IMAGES, Listener, configure_sdk
from test_upload_concurrency import edge_serve

pytestmark = pytest.mark.slow
AUTH = (API_KEY, API_SECRET)


def test_tasks_are_shared_by_two_worker_processes(tmp_path: Path, webhooks: Listener) -> None:
    import cloudinary.uploader
    from cloudinary.utils import verify_notification_signature

    with edge_serve(tmp_path) as base:
        configure_sdk(base)
        asset = cloudinary.uploader.upload(str(IMAGES / "cat_coco_000443.jpg"), public_id="workers/cat")["asset_id"]
        ids = []
        for model in ("coco", "phash", "colors", "image_quality", "coco", "phash"):
            with httpx.Client(base_url=base, timeout=60) as c:  # a new connection: either worker
                r = c.post(f"/v2/analysis/demo/analyze/{model}", auth=AUTH,
                           json={"source": {"asset_id": asset}, "async": True, "notification_url": webhooks.url})
            assert r.status_code == 202, r.text
            ids.append(r.json()["data"]["task_id"])
        deadline, done = time.monotonic() + 90, {}
        while len(done) < len(ids) and time.monotonic() < deadline:
            for tid in ids:
                data = httpx.get(f"{base}/v2/analysis/demo/tasks/{tid}", auth=AUTH, timeout=30).json()["data"]
                if data["status"] == "completed":
                    done[tid] = data
                assert data["status"] != "failed", data
            time.sleep(0.2)
        assert len(done) == len(ids)
        assert done[ids[0]]["analysis"] == done[ids[4]]["analysis"] and "cat" in done[ids[0]]["analysis"]["tags"]
        assert done[ids[1]]["analysis"]["phash"] == done[ids[5]]["analysis"]["phash"]
        notes = webhooks.wait(len(ids), timeout=60)
        got = set()
        for n in notes:
            assert verify_notification_signature(n.body.decode(), int(n.headers["x-cld-timestamp"]),
                                                 n.headers["x-cld-signature"])
            got.add(json.loads(n.body)["task_id"])
        assert got == set(ids)
