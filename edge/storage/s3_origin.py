"""An origin reading originals from an S3 bucket (AWS S3 or any S3-compatible server)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from botocore.exceptions import BotoCoreError, ClientError

from edge.storage.disk_origin import safe_relative
from edge.storage.errors import AssetNotFound, OriginUnavailable, SourceTooLarge
from edge.storage.s3util import S3Location, is_missing
from edge.storage.origin import IMAGE_EXTENSIONS, Source

__all__ = ["S3Origin"]


class S3Origin:
    """Originals stored as objects `<prefix>/<public_id>.<ext>` (or exactly `<prefix>/<public_id>`).

    Resolution: one `ListObjectsV2` with prefix `<key>` lists candidates; the exact key or
    `<key>.<ext>` with an image extension (preferred order of `IMAGE_EXTENSIONS`) wins.
    `version` is the object's VersionId when versioning is on, else its ETag (LastModified has
    a 1 s resolution, too coarse for a replaced object); `etag` is the ETag without quotes.  Errors: `AssetNotFound`, `OriginUnavailable`
    (network, credentials, 5xx), `SourceTooLarge` (> `max_bytes`).
    """

    def __init__(self, client: Any, location: S3Location, *, max_bytes: int = 100 * 1024 * 1024) -> None:
        self.client = client
        self.location = location
        self.max_bytes = max_bytes

    def _resolve_key(self, public_id: str) -> str:
        key = self.location.key(safe_relative(public_id))
        with _origin_errors():
            resp = self.client.list_objects_v2(Bucket=self.location.bucket, Prefix=key, MaxKeys=100)
        keys = {o["Key"] for o in resp.get("Contents", ())}
        for ext in IMAGE_EXTENSIONS:
            if f"{key}.{ext}" in keys:
                return f"{key}.{ext}"
        if key in keys:
            return key
        for k in sorted(keys):
            tail = k[len(key):]
            if tail.startswith(".") and "/" not in tail:
                return k
        raise AssetNotFound("Resource not found")

    def load(self, public_id: str) -> Source:
        """Fetch the original for `public_id` (see class docs)."""
        key = self._resolve_key(public_id)
        with _origin_errors():
            obj = self.client.get_object(Bucket=self.location.bucket, Key=key)
            if int(obj.get("ContentLength", 0)) > self.max_bytes:
                obj["Body"].close()
                raise SourceTooLarge(f"Original exceeds {self.max_bytes} bytes")
            data = obj["Body"].read()
        etag = str(obj.get("ETag", "")).strip('"')
        version = obj.get("VersionId")
        if not version or version == "null":  # LastModified has 1 s resolution: the ETag does not
            lm = obj.get("LastModified")
            version = etag or (str(int(lm.timestamp() * 1000)) if lm is not None else "")
        name = key[len(self.location.prefix) + 1:] if self.location.prefix else key
        return Source(data=data, name=name, version=version, etag=etag, content_type=obj.get("ContentType"))

    def check(self) -> None:
        """Raise `OriginUnavailable` unless the bucket answers `HeadBucket`."""
        try:
            self.client.head_bucket(Bucket=self.location.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise OriginUnavailable("S3 origin unreachable") from exc

    def close(self) -> None:
        """Nothing to release: the boto3 client may be shared (it is the caller's)."""


@contextmanager
def _origin_errors() -> Iterator[None]:
    """botocore errors as storage errors: no such key/bucket -> `AssetNotFound`, any other S3
    answer -> `OriginUnavailable` ("error"), no answer -> `OriginUnavailable` ("unreachable")."""
    try:
        yield
    except ClientError as exc:
        if is_missing(exc):
            raise AssetNotFound("Resource not found") from exc
        raise OriginUnavailable("S3 origin error") from exc
    except BotoCoreError as exc:
        raise OriginUnavailable("S3 origin unreachable") from exc
