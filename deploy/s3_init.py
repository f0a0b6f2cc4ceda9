"""Prepare the S3 side of a deployment once: create the buckets of `EDGE_ORIGIN` and
`EDGE_CACHE` (when they are `s3://` locations) and, with `--upload DIR`, copy the originals in
DIR under the origin prefix unless it already holds objects.  Idempotent; the compose file
runs it before Edge starts (SeaweedFS answers /readyz with 503 until the buckets exist).

Reads the same variables as `edge serve` (`EDGE_ORIGIN`, `EDGE_CACHE`, `EDGE_S3_ENDPOINT`,
AWS credentials from the usual chain) through `edge.server.settings.Settings`.  Exit status 0,
or 1 with the S3 error on stderr.

    python deploy/s3_init.py [--upload media]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edge.server.settings import Settings
from edge.storage.s3util import is_missing, make_s3_client, parse_s3_url


def ensure_bucket(client, bucket: str) -> bool:
    """Create `bucket` unless it exists; True when it was created."""
    try:
        client.head_bucket(Bucket=bucket)
        return False
    except Exception as exc:  # noqa: BLE001 - botocore ClientError 404 / NoSuchBucket
        if not is_missing(exc):
            raise
    client.create_bucket(Bucket=bucket)
    return True


def upload_tree(client, origin: str, root: Path) -> int:
    """Copy every file under `root` to `origin` (`s3://bucket/prefix`) as `<prefix>/<relative
    path>` unless the prefix already holds an object; returns the number of files copied."""
    loc = parse_s3_url(origin)
    listing = client.list_objects_v2(Bucket=loc.bucket, Prefix=loc.key(""), MaxKeys=1)
    if listing.get("KeyCount", 0):
        return 0
    count = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        client.upload_file(str(path), loc.bucket, loc.key(path.relative_to(root).as_posix()))
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upload", type=Path, help="directory of originals to copy into EDGE_ORIGIN once")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    client = make_s3_client(settings.s3_endpoint or None)
    try:
        for name in ("origin", "cache"):
            location = getattr(settings, name)
            if location.startswith("s3://"):
                bucket = parse_s3_url(location).bucket
                made = ensure_bucket(client, bucket)
                print(f"{name}: bucket {bucket} {'created' if made else 'exists'}")
        if args.upload and settings.origin.startswith("s3://"):
            print(f"origin: {upload_tree(client, settings.origin, args.upload)} files uploaded")
    except Exception as exc:  # noqa: BLE001 - report any S3 failure and exit 1
        print(f"s3_init: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
