"""Versions and stored forms: backup keeps the old version deliverable, invalidate purges the
derived cache of a replaced version, incoming transformation/format change what is stored,
private assets keep delivery's signature rule, auto_tagging tags are appended to tags."""

from __future__ import annotations

import pytest

from api_live import API_SECRET, IMAGES, PHOTO, ApiLive

pytestmark = pytest.mark.usefixtures("sdk")


def test_backup_keeps_the_old_version_deliverable(api: ApiLive) -> None:
    import cloudinary.uploader as up

    v1 = up.upload(str(PHOTO), public_id="ver/backup")
    v2 = up.upload(str(IMAGES / "cat_chelsea.png"), public_id="ver/backup", backup=True)
    assert v2["version"] > v1["version"]
    old = api.get(v1["url"])
    assert old.status_code == 200 and old.headers["content-type"] == "image/jpeg"
    assert api.get(v2["url"]).headers["content-type"] == "image/png"
    assert api.get("/demo/image/upload/ver/backup.png").status_code == 200  # unversioned: the current one
    versions = api.catalogue.versions(v1["asset_id"])
    assert [v.version for v in versions] == [v2["version"], v1["version"]] and versions[1].kept


def test_overwrite_with_invalidate_purges_old_derivatives(api: ApiLive) -> None:
    import cloudinary.uploader as up

    v1 = up.upload(str(PHOTO), public_id="ver/inv", eager=[{"width": 64}])
    key = api.catalogue.list_derived(v1["asset_id"])[0][0].cache_key
    assert api.delivery.cache.get_memory(key) is not None
    up.upload(str(PHOTO), public_id="ver/inv", invalidate=True)
    assert api.delivery.cache.get_memory(key) is None
    assert api.delivery.cache.get(key) is None  # the disk tier too
    assert api.catalogue.list_derived(v1["asset_id"])[0] == []


def test_incoming_transformation_and_format(api: ApiLive) -> None:
    import cloudinary.uploader as up

    r = up.upload(str(PHOTO), public_id="ver/incoming", transformation={"width": 200, "crop": "scale"},
                  format="png")
    assert (r["width"], r["height"], r["format"]) == (200, 150, "png")
    got = api.get(r["url"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"


def test_private_assets_need_signed_delivery(api: ApiLive) -> None:
    import cloudinary
    import cloudinary.uploader as up

    r = up.upload(str(PHOTO), public_id="ver/private", type="private")
    assert api.get("/demo/image/private/ver/private.jpg").status_code in (401, 403)
    assert api.get("/demo/image/upload/ver/private.jpg").status_code == 404  # not an upload-type asset
    url = cloudinary.CloudinaryImage("ver/private").build_url(type="private", sign_url=True, width=80,
                                                                 crop="scale", format="jpg")
    assert api.get(url.replace("http://res.cloudinary.com", "")).status_code == 200, url
    assert r["type"] == "private" and API_SECRET


def test_auto_tagging_appends_tags(api: ApiLive) -> None:
    import cloudinary.uploader as up

    r = up.upload(str(PHOTO), public_id="ver/tagged", tags="mine", detection="coco", auto_tagging=0.5)
    assert "mine" in r["tags"] and "dog" in r["tags"], r["tags"]
    objects = r["info"]["detection"]["object_detection"]
    assert objects["status"] == "complete"
    record = api.catalogue.get("upload", "ver/tagged")
    assert "dog" in record.auto_tags and "mine" not in record.auto_tags


def test_duplicate_moderation(api: ApiLive) -> None:
    import cloudinary.uploader as up

    first = up.upload(str(IMAGES / "kodim03_hats.png"), public_id="dup/original", moderation="duplicate:0.9")
    assert first["moderation"][0]["kind"] == "duplicate" and first["moderation"][0]["status"] == "approved"
    assert "phash" not in first  # computed and stored for later comparisons, not asked for
    # the same photo re-encoded as JPEG at another size is a duplicate; another photo is not
    import pyvips

    resized = pyvips.Image.new_from_file(str(IMAGES / "kodim03_hats.png")).resize(0.5).write_to_buffer(".jpg[Q=80]")
    again = up.upload(resized, public_id="dup/copy", moderation="duplicate:0.9")
    mod = again["moderation"][0]
    assert mod["status"] == "rejected"
    assert mod["response"]["duplicates"][0]["public_id"] == "dup/original"
    assert mod["response"]["duplicates"][0]["similarity"] >= 0.9
    other = up.upload(str(PHOTO), public_id="dup/other", moderation="duplicate")
    assert other["moderation"][0]["status"] == "approved"
    assert api.catalogue.get("upload", "dup/copy").moderation[0]["status"] == "rejected"


def test_operator_settings_for_add_ons(tmp_path) -> None:
    """`categorization_aliases` lets an operator answer `imagga_tagging` with Edge's tagger (the
    answer names the model used); `analysis_lenient` reports a model Edge lacks as failed
    instead of refusing the upload.  Without them both are 400s (the `api` fixture's server)."""
    import cloudinary.uploader as up
    from cloudinary.exceptions import BadRequest

    from api_live import configure_sdk, start_server

    with start_server(tmp_path, categorization_aliases="imagga_tagging=edge_tagging",
                      analysis_lenient=True) as live:
        configure_sdk(live.url)
        r = up.upload(str(PHOTO), public_id="ops/aliased", categorization="imagga_tagging", auto_tagging=0.4)
        tagging = r["info"]["categorization"]["imagga_tagging"]
        assert tagging["status"] == "complete" and tagging["model"] == "edge_tagging"
        assert "dog" in {t["tag"] for t in tagging["data"]} and "dog" in r["tags"]
        failed = up.upload(str(PHOTO), public_id="ops/lenient", detection="captioning")
        assert failed["info"]["detection"]["captioning"]["status"] == "failed"
        assert live.catalogue.get("upload", "ops/lenient") is not None
    with start_server(tmp_path / "strict") as live:
        configure_sdk(live.url)
        with pytest.raises(BadRequest, match="imagga_tagging"):
            up.upload(str(PHOTO), public_id="ops/strict", categorization="imagga_tagging")
        assert live.catalogue.get("upload", "ops/strict") is None


def test_start_sweeps_leftovers_of_killed_writers(tmp_path) -> None:
    """An original no catalogue row references and a temporary file, both older than an hour
    (what a kill -9 between write and publish leaves), are gone after a start; a recent orphan
    (an upload between its write and its publish) is kept."""
    import os
    import time

    from api_live import start_server
    from edge.storage.writable import original_key

    shelf = tmp_path / "origin"
    old_key, new_key = original_key("ab" + "0" * 30, "jpg"), original_key("cd" + "1" * 30, "jpg")
    temp = shelf / os.path.dirname(old_key) / ".tmp-killed"
    for path in (shelf / old_key, shelf / new_key, temp):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((IMAGES / "tiny_hopper_128.jpg").read_bytes())
    hour_ago = time.time() - 7200
    for path in (shelf / old_key, temp):
        os.utime(path, (hour_ago, hour_ago))
    with start_server(tmp_path) as live:
        deadline = time.monotonic() + 20
        while (shelf / old_key).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert live.client.get("/healthz").status_code == 200
    assert not (shelf / old_key).exists() and not temp.exists()
    assert (shelf / new_key).exists()
