"""Build origins and cache tiers from the settings' location strings."""

from __future__ import annotations

from typing import Any

from edge.storage.bytestore import ByteStore
from edge.storage.disk_store import DiskStore
from edge.storage.s3_store import S3Store
from edge.storage.s3util import make_s3_client, parse_s3_url
from edge.storage.source import Origin
from edge.storage.writable import WritableDiskOrigin, WritableS3Origin

__all__ = ["origin_from_location", "store_from_location"]


def origin_from_location(
    location: str, *, s3_endpoint: str | None = None, max_bytes: int = 100 * 1024 * 1024,
    s3_client: Any = None,
) -> Origin:
    """`s3://bucket/prefix` -> `S3Origin`; anything else is a directory -> `DiskOrigin`.

    Both are returned as their writable subclasses (`WritableS3Origin`, `WritableDiskOrigin`,
    see `edge.storage.writable`): an `Origin` that also stores uploaded originals.
    """
    if location.startswith("s3://"):
        client = s3_client or make_s3_client(s3_endpoint)
        return WritableS3Origin(client, parse_s3_url(location), max_bytes=max_bytes)
    return WritableDiskOrigin(location, max_bytes=max_bytes)


def store_from_location(
    location: str | None, *, s3_endpoint: str | None = None, s3_client: Any = None,
) -> ByteStore | None:
    """`none`/''/None -> None; `s3://bucket/prefix` -> `S3Store`; else a directory -> `DiskStore`."""
    if not location or location.lower() == "none":
        return None
    if location.startswith("s3://"):
        client = s3_client or make_s3_client(s3_endpoint)
        return S3Store(client, parse_s3_url(location))
    return DiskStore(location)


