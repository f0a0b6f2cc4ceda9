"""S3 origin and S3 cache tier against a real SeaweedFS server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from edge.storage import (
    AssetNotFound, DerivedAsset, DerivedCache, MemoryStore, OriginUnavailable, S3Location, S3Origin,
    S3Store, origin_from_location, store_from_location,
)

pytestmark = pytest.mark.s3


@pytest.fixture()
def bucket(s3_server) -> str:  # type: ignore[no-untyped-def]
    """The session's bucket; each test works under its own key prefix (SeaweedFS makes one
    volume collection per bucket, so buckets are kept few)."""
    return s3_server.bucket


@pytest.fixture()
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def test_s3_origin_resolves_without_extension(s3_server, bucket: str, prefix: str, images: Path) -> None:  # type: ignore[no-untyped-def]
    client = s3_server.client()
    photo = (images / "cat_chelsea.png").read_bytes()
    client.put_object(Bucket=bucket, Key=f"{prefix}/media/animals/cat.png", Body=photo, ContentType="image/png")
    client.put_object(Bucket=bucket, Key=f"{prefix}/media/animals/cat_other.png", Body=b"nope")
    origin = origin_from_location(f"s3://{bucket}/{prefix}/media", s3_client=client)
    assert isinstance(origin, S3Origin)
    src = origin.load("animals/cat")
    assert src.data == photo and src.name == "animals/cat.png" and src.etag and src.version
    assert origin.load("animals/cat.png").data == photo
    with pytest.raises(AssetNotFound):
        origin.load("animals/dog")
    with pytest.raises(AssetNotFound):
        origin.load("../media/animals/cat")
    origin.check()


def test_s3_origin_version_follows_the_object(s3_server, bucket: str, prefix: str, images: Path) -> None:  # type: ignore[no-untyped-def]
    client = s3_server.client()
    origin = S3Origin(client, S3Location(bucket, prefix))
    client.put_object(Bucket=bucket, Key=f"{prefix}/x.jpg", Body=(images / "tiny_hopper_128.jpg").read_bytes())
    first = origin.load("x")
    client.put_object(Bucket=bucket, Key=f"{prefix}/x.jpg", Body=(images / "rocket.jpg").read_bytes())
    second = origin.load("x")
    assert second.etag != first.etag and second.version != first.version


def test_s3_origin_missing_bucket_is_unavailable(s3_server) -> None:  # type: ignore[no-untyped-def]
    origin = S3Origin(s3_server.client(), S3Location("no-such-bucket-here", ""))
    with pytest.raises(OriginUnavailable):
        origin.check()


def test_s3_store_and_tiered_cache(s3_server, bucket: str, prefix: str, images: Path) -> None:  # type: ignore[no-untyped-def]
    store = store_from_location(f"s3://{bucket}/{prefix}/derived", s3_client=s3_server.client())
    assert isinstance(store, S3Store)
    store.check()
    assert store.get("k") is None
    data = (images / "tiny_hopper_128.jpg").read_bytes()
    asset = DerivedAsset(data=data, content_type="image/jpeg", format="jpg", width=128, height=128, etag="e")
    DerivedCache(MemoryStore(10**6), store).put("k", asset)
    assert DerivedCache(MemoryStore(10**6), store).get("k") == (asset, "s3")
    keys = [o["Key"] for o in s3_server.client().list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith(f"{prefix}/derived/")
