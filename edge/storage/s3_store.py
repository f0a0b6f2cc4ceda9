"""The S3 tier: one object per key (an S3 PUT is atomic: readers never see partial objects)."""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from edge.storage.errors import OriginUnavailable
from edge.storage.s3util import S3Location, is_missing

__all__ = ["S3Store"]


class S3Store:
    """`key -> bytes` as objects `<prefix>/<h[0:2]>/<h>` (h = SHA-256 hex of the key) in a bucket.

    `get` returns None on a miss AND on transient S3 errors (a cache must not fail a request);
    `put` raises `OriginUnavailable` on errors (the caller logs and carries on).
    """

    name = "s3"

    def __init__(self, client: Any, location: S3Location) -> None:
        self.client = client
        self.location = location

    def _key(self, key: str) -> str:
        h = hashlib.sha256(key.encode()).hexdigest()
        return self.location.key(f"{h[:2]}/{h}")

    def get(self, key: str) -> bytes | None:
        """The value or None."""
        try:
            obj = self.client.get_object(Bucket=self.location.bucket, Key=self._key(key))
            return obj["Body"].read()
        except (ClientError, BotoCoreError):
            return None

    def put(self, key: str, data: bytes) -> None:
        """Store `data`; raises `OriginUnavailable` when S3 refuses."""
        try:
            self.client.put_object(Bucket=self.location.bucket, Key=self._key(key), Body=data)
        except (ClientError, BotoCoreError) as exc:
            raise OriginUnavailable("S3 cache write failed") from exc

    def delete(self, key: str) -> bool:
        """Remove `key`'s object (S3 DeleteObject is idempotent: True unless S3 refuses, then
        `OriginUnavailable`)."""
        try:
            self.client.delete_object(Bucket=self.location.bucket, Key=self._key(key))
        except (ClientError, BotoCoreError) as exc:
            raise OriginUnavailable("S3 cache delete failed") from exc
        return True

    def check(self) -> None:
        """Raise `OriginUnavailable` unless the bucket answers `HeadBucket`."""
        try:
            self.client.head_bucket(Bucket=self.location.bucket)
        except ClientError as exc:
            if is_missing(exc):
                raise OriginUnavailable(f"S3 cache bucket missing: {self.location.bucket}") from exc
            raise OriginUnavailable("S3 cache unreachable") from exc
        except BotoCoreError as exc:
            raise OriginUnavailable("S3 cache unreachable") from exc
