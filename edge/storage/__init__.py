"""Storage: origins (disk, S3, HTTP fetch) and derived-asset cache tiers (memory, disk, S3).

Never imports render, vision or server.  Everything here is blocking; the server calls it
from worker threads.  See `ByteStore` for the tiny generic byte store API other caches may use.
"""

from edge.storage.bytestore import ByteStore
from edge.storage.derived import DerivedAsset, derived_key
from edge.storage.disk_origin import DiskOrigin
from edge.storage.disk_store import DiskStore
from edge.storage.errors import AssetNotFound, FetchDenied, OriginUnavailable, SourceTooLarge, StorageError
from edge.storage.factory import origin_from_location, store_from_location
from edge.storage.fetch_origin import FetchOrigin, is_public_address
from edge.storage.memory_store import MemoryStore
from edge.storage.s3_origin import S3Origin
from edge.storage.s3_store import S3Store
from edge.storage.s3util import S3Location, make_s3_client, parse_s3_url
from edge.storage.singleflight import SingleFlight
from edge.storage.origin import IMAGE_EXTENSIONS, Origin, Source
from edge.storage.derived_cache import DerivedCache
from edge.storage.writable import (
    ORIGINALS_PREFIX, WritableDiskOrigin, WritableOrigin, WritableS3Origin, original_key,
    writable_origin_from_location,
)

__all__ = [
    "ByteStore", "DerivedAsset", "derived_key", "DiskOrigin", "DiskStore", "AssetNotFound",
    "FetchDenied", "OriginUnavailable", "SourceTooLarge", "StorageError", "origin_from_location",
    "store_from_location", "FetchOrigin", "is_public_address", "MemoryStore", "S3Origin",
    "S3Store", "S3Location", "make_s3_client", "parse_s3_url", "SingleFlight",
    "IMAGE_EXTENSIONS", "Origin", "Source", "DerivedCache",
    "ORIGINALS_PREFIX", "WritableDiskOrigin", "WritableOrigin", "WritableS3Origin", "original_key",
    "writable_origin_from_location",
]
