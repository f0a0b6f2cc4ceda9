"""async=1, eager_async and notification_url: webhooks received by a local listener and
verified with the SDK's own `verify_notification_signature`; retries after failures; the
analysis fields of edge.analysis merged into the upload response and stored."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from api_live import IMAGES, PHOTO, ApiLive, Listener

pytestmark = pytest.mark.usefixtures("sdk")


def _verified(received: Any) -> dict[str, Any]:
    from cloudinary.utils import verify_notification_signature

    body = received.body.decode()
    assert received.headers["content-type"] == "application/json"
    assert verify_notification_signature(body, int(received.headers["x-cld-timestamp"]),
                                         received.headers["x-cld-signature"])
    assert not verify_notification_signature(body + " ", int(received.headers["x-cld-timestamp"]),
                                             received.headers["x-cld-signature"])
    return json.loads(body)


def test_async_upload_notifies_with_the_full_response(api: ApiLive, webhooks: Listener) -> None:
    import cloudinary.uploader

    r = cloudinary.uploader.upload(str(PHOTO), public_id="async/dog", notification_url=webhooks.url,
                                   eager=[{"width": 120, "crop": "scale"}], phash=True, **{"async": True})
    assert r["status"] == "pending" and r["type"] == "upload"
    assert re.fullmatch(r"[0-9a-f]{64}", r["batch_id"])
    note = _verified(webhooks.wait(1)[0])
    assert note["notification_type"] == "upload" and note["batch_id"] == r["batch_id"]
    assert note["public_id"] == "async/dog" and (note["width"], note["height"]) == (768, 576)
    assert re.fullmatch(r"[0-9a-f]{16}", note["phash"])
    assert note["eager"][0]["width"] == 120
    assert api.get(note["eager"][0]["url"]).headers["x-edge-cache"] != "miss"
    assert api.catalogue.get("upload", "async/dog").analysis["phash"] == note["phash"]


def test_eager_async_then_eager_notification(api: ApiLive, webhooks: Listener) -> None:
    import cloudinary.uploader

    r = cloudinary.uploader.upload(str(IMAGES / "cat_chelsea.png"), public_id="async/cat",
                                   eager=[{"width": 90, "height": 90, "crop": "fill"}], eager_async=True,
                                   eager_notification_url=webhooks.url)
    assert r["eager"][0]["status"] == "processing" and r["version"] > 0
    note = _verified(webhooks.wait(1)[0])
    assert note["notification_type"] == "eager" and note["public_id"] == "async/cat"
    assert (note["eager"][0]["width"], note["eager"][0]["height"]) == (90, 90)
    assert api.get(note["eager"][0]["url"]).headers["x-edge-cache"] != "miss"


def test_webhook_is_retried_until_delivered(api: ApiLive, webhooks: Listener) -> None:
    import cloudinary.uploader

    webhooks.fail_first = 2
    r = cloudinary.uploader.upload(str(PHOTO), public_id="async/retry", notification_url=webhooks.url)
    note = _verified(webhooks.wait(1, timeout=30)[0])
    assert webhooks.attempts == 3
    assert note["notification_type"] == "upload" and note["version"] == r["version"]


def test_upload_response_carries_analysis(api: ApiLive) -> None:
    import cloudinary.uploader

    r = cloudinary.uploader.upload(str(IMAGES / "cat_chelsea.png"), public_id="an/cat", colors=True,
                                   phash=True, custom_coordinates=[[10, 20, 30, 40]])
    assert isinstance(r["colors"], list) and r["colors"] and re.fullmatch(r"#[0-9A-F]{6}", r["colors"][0][0])
    assert abs(sum(pct for _, pct in r["colors"]) - 100) < 1.0
    assert set(r["predominant"]) == {"google", "cloudinary"}
    assert isinstance(r["grayscale"], bool) and isinstance(r["semi_transparent"], bool)
    assert re.fullmatch(r"[0-9a-f]{16}", r["phash"])
    assert r["coordinates"]["custom"] == [[10, 20, 30, 40]]
    stored = api.catalogue.get("upload", "an/cat")
    assert stored.analysis["phash"] == r["phash"] and stored.coordinates_custom == [[10, 20, 30, 40]]
    # explicit re-reads it without a new version, and a gray photo says grayscale
    g = cloudinary.uploader.upload(str(IMAGES / "gray_cameraman.png"), public_id="an/gray", colors=True)
    assert g["grayscale"] is True
    e = cloudinary.uploader.explicit("an/cat", type="upload", phash=True)
    assert e["phash"] == r["phash"] and e["version"] == r["version"]


def test_unsupported_model_is_400_and_stores_nothing(api: ApiLive) -> None:
    import cloudinary.exceptions
    import cloudinary.uploader

    with pytest.raises(cloudinary.exceptions.BadRequest, match="captioning"):
        cloudinary.uploader.upload(str(PHOTO), public_id="an/caption", detection="captioning")
    assert api.catalogue.get("upload", "an/caption") is None


def test_tags_notification(api: ApiLive, webhooks: Listener) -> None:
    import cloudinary.uploader

    cloudinary.uploader.upload(str(PHOTO), public_id="async/tagme")
    out = cloudinary.uploader.add_tag("hot", ["async/tagme"], notification_url=webhooks.url)
    assert out["public_ids"] == ["async/tagme"]
    note = _verified(webhooks.wait(1)[0])
    assert note["notification_type"] == "tags" and note["public_ids"] == ["async/tagme"]


def test_webhooks_never_reach_private_addresses(webhooks: Listener) -> None:
    """notification_url goes through the fetch origin's address rule: loopback and private
    targets are refused (not retried) unless the operator allows private addresses."""
    import asyncio

    from edge.api.webhooks import WebhookSender

    strict = WebhookSender("s3cret", attempts=3, base_delay_s=0.01)
    assert asyncio.run(strict.deliver(webhooks.url, {"a": 1})) is False
    assert strict.send_once("http://10.0.0.7/hook", {"a": 1}) is True  # refused for good: no retry
    assert strict.send_once("http://[::1]:9/hook", {"a": 1}) is True
    assert webhooks.attempts == 0
    opened = WebhookSender("s3cret", allow_private=True)
    assert opened.send_once(webhooks.url, {"a": 1}) is True and webhooks.attempts == 1
    got = webhooks.received[0]
    assert got.body == b'{"a":1}' and got.headers["x-cld-signature"] == opened.sign(got.body, int(got.headers["x-cld-timestamp"]))
