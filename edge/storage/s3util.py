"""Shared S3 plumbing: `s3://bucket/prefix` locations and boto3 clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["S3Location", "parse_s3_url", "make_s3_client", "is_missing"]


@dataclass(frozen=True, slots=True)
class S3Location:
    """A bucket and a key prefix ('' or ending without '/'), from `s3://bucket/prefix`."""

    bucket: str
    prefix: str

    def key(self, name: str) -> str:
        """The full object key of `name` under the prefix."""
        return f"{self.prefix}/{name}" if self.prefix else name


def parse_s3_url(url: str) -> S3Location:
    """Parse `s3://bucket[/prefix]`; raises ValueError for anything else."""
    if not url.startswith("s3://"):
        raise ValueError(f"not an s3:// URL: {url!r}")
    rest = url[5:]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ValueError(f"missing bucket in {url!r}")
    return S3Location(bucket, prefix.strip("/"))


def make_s3_client(endpoint_url: str | None = None, *, timeout_s: float = 10.0) -> Any:
    """A boto3 S3 client (credentials from the usual AWS environment/config chain).

    `endpoint_url` targets an S3-compatible server (SeaweedFS, MinIO); path-style addressing
    is used then.  Connect/read timeouts are `timeout_s` seconds, 2 retry attempts.
    """
    import boto3
    from botocore.config import Config

    cfg = Config(
        connect_timeout=timeout_s,
        read_timeout=timeout_s,
        retries={"max_attempts": 2, "mode": "standard"},
        s3={"addressing_style": "path"} if endpoint_url else None,
        max_pool_connections=32,
    )
    return boto3.client("s3", endpoint_url=endpoint_url, config=cfg)


def is_missing(exc: Exception) -> bool:
    """True when a botocore ClientError means 'no such key/bucket' (404/NoSuchKey)."""
    resp = getattr(exc, "response", None) or {}
    err = resp.get("Error", {}) if isinstance(resp, dict) else {}
    code = str(err.get("Code", ""))
    status = resp.get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(resp, dict) else None
    return code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket") or status == 404
