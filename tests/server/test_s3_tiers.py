"""The server with a SeaweedFS S3 origin and an S3 derived-cache tier (real S3 server)."""

from __future__ import annotations

import uuid

import pytest

from edge_live import IMAGES, Settings, create_app, serve_app

pytestmark = pytest.mark.s3


def test_s3_origin_and_s3_cache_tier(s3_server) -> None:  # type: ignore[no-untyped-def]
    client = s3_server.client()
    prefix = f"srv{uuid.uuid4().hex[:8]}"
    client.put_object(Bucket=s3_server.bucket, Key=f"{prefix}/media/samples/cat.png",
                      Body=(IMAGES / "cat_chelsea.png").read_bytes())
    settings = Settings(origin=f"s3://{s3_server.bucket}/{prefix}/media",
                        cache=f"s3://{s3_server.bucket}/{prefix}/derived",
                        s3_endpoint=s3_server.endpoint, memory_cache_mb=16)
    path = "/demo/image/upload/c_fill,w_120,h_80/samples/cat.jpg"
    with serve_app(create_app(settings)) as live:
        assert live.client.get("/readyz").status_code == 200
        first = live.client.get(path)
        assert first.status_code == 200 and first.headers["x-edge-cache"] == "miss"
        assert live.client.get("/demo/image/upload/w_10/samples/dog.jpg").status_code == 404
    derived = client.list_objects_v2(Bucket=s3_server.bucket, Prefix=f"{prefix}/derived/")
    assert derived.get("KeyCount", 0) == 1
    with serve_app(create_app(settings)) as again:
        r = again.client.get(path)
        assert r.headers["x-edge-cache"] == "s3" and r.content == first.content


def test_missing_cache_bucket_is_not_ready(s3_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(origin=str(tmp_path), cache="s3://no-such-bucket-x/derived",
                        s3_endpoint=s3_server.endpoint)
    with serve_app(create_app(settings)) as live:
        r = live.client.get("/readyz")
        assert r.status_code == 503 and "bucket" in r.headers["x-cld-error"]
