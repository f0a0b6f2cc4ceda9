"""Build the origin and the derived-cache tier from their settings: a location string or a
`package.module:callable` (see `edge.seams` for the call signature and the checks)."""

from __future__ import annotations

from typing import Any

from edge.seams import build, is_import_path
from edge.storage.bytestore import ByteStore
from edge.storage.disk_store import DiskStore
from edge.storage.origin import Origin
from edge.storage.s3_store import S3Store
from edge.storage.s3util import make_s3_client, parse_s3_url
from edge.storage.writable import WritableDiskOrigin, WritableOrigin, WritableS3Origin

__all__ = ["origin_from_location", "store_from_location"]


def origin_from_location(
    location: str, *, s3_endpoint: str | None = None, max_bytes: int = 100 * 1024 * 1024,
    s3_client: Any = None, settings: Any = None,
) -> Origin:
    """The origin of the `origin` setting:

    * `s3://bucket/prefix` -> `WritableS3Origin` (`s3_client`, or one for `s3_endpoint`);
    * `package.module:callable` -> `callable(settings)`, which must have every member of
      `Origin` and `WritableOrigin` (uploads store originals in it);
    * anything else is a directory -> `WritableDiskOrigin`.

    The built-ins are the writable subclasses (see `edge.storage.writable`): an `Origin` that
    also stores uploaded originals.  `max_bytes`: largest original read, bytes.  Raises
    `edge.seams.SeamError` (a ValueError) for an import path that fails; `ValueError` for a
    malformed `s3://` URL."""
    if location.startswith("s3://"):
        client = s3_client or make_s3_client(s3_endpoint)
        return WritableS3Origin(client, parse_s3_url(location), max_bytes=max_bytes)
    if is_import_path(location):
        return build(location, "origin", settings, Origin, WritableOrigin)
    return WritableDiskOrigin(location, max_bytes=max_bytes)


def store_from_location(
    location: str | None, *, s3_endpoint: str | None = None, s3_client: Any = None,
    settings: Any = None,
) -> ByteStore | None:
    """The derived-cache tier of the `cache` setting: `none`/''/None -> None (memory tier
    only); `s3://bucket/prefix` -> `S3Store`; `package.module:callable` -> `callable(settings)`,
    which must have every member of `ByteStore`; else a directory -> `DiskStore`.  Raises
    `edge.seams.SeamError` (a ValueError) for an import path that fails."""
    if not location or location.lower() == "none":
        return None
    if location.startswith("s3://"):
        client = s3_client or make_s3_client(s3_endpoint)
        return S3Store(client, parse_s3_url(location))
    if is_import_path(location):
        return build(location, "cache", settings, ByteStore)
    return DiskStore(location)
