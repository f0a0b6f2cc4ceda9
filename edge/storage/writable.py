"""Writable origins: where uploaded originals are stored, atomically.

How versions map to stored keys
-------------------------------
Every version of a catalogue asset is stored under its own key derived from its version_id
(never from the public_id):

    .edge-originals/<version_id[0:2]>/<version_id>.<format>

inside the origin's root (disk) or prefix (S3).  Consequences:

* A new version is written under a NEW key before `Catalogue.publish` makes it current, so a
  crash at any point leaves the old asset intact (a new key nobody references is garbage: disk
  writes go to a temp file + fsync + `os.replace`, an S3 PUT is atomic; an upload staged in
  the origin is renamed to its key first and synced after, `StagedFile.commit(rename_first=)`,
  which is safe because nothing reads that key before the catalogue row the publish writes
  once the sync returned, and saves most of the folder sync).
* Delivery of a catalogue asset looks up the record, then loads `original_key(record.version_id,
  record.format)`; the current version is served at once, and `v<version>` of an old version
  answers 404 unless that version was kept (`backup`: `VersionRecord.kept`), when its key still
  holds the old bytes.
* rename and type changes touch only the catalogue (the key does not contain the public_id).
* Files copied into the origin by hand (no catalogue row) keep being served by `load(public_id)`
  exactly as before; the reserved `.edge-originals/` tree is refused by that path resolution
  (`safe_relative`), so a private asset is never reachable through a guessed public_id.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import re
import time
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Protocol, runtime_checkable

from botocore.exceptions import BotoCoreError, ClientError

from edge.storage.atomic import TMP_PREFIX, StagedFile, atomic_write, fsync_folder
from edge.storage.disk_origin import ORIGINALS_PREFIX, DiskOrigin
from edge.storage.errors import AssetNotFound, OriginUnavailable, SourceTooLarge
from edge.storage.s3_origin import S3Origin, _origin_errors
from edge.storage.s3util import is_missing, make_s3_client, parse_s3_url
from edge.storage.origin import Source

__all__ = [
    "ORIGINALS_PREFIX", "original_key", "WritableOrigin", "WritableDiskOrigin",
    "WritableS3Origin", "StagedFile", "atomic_write", "writable_origin_from_location",
]

_KEY_RE = re.compile(r"^\.edge-originals/[0-9a-f]{2}/[0-9a-f]{32}\.[a-z0-9]{1,8}$")
_TMP_PREFIX = TMP_PREFIX


def original_key(version_id: str, format: str) -> str:
    """The storage key of one version's original: `.edge-originals/<vid[:2]>/<vid>.<format>`.

    `version_id` is 32 lowercase hex, `format` 1-8 lowercase alphanumerics (`jpg`, `png`, ...).
    Raises `ValueError` otherwise.
    """
    key = f"{ORIGINALS_PREFIX}/{version_id[:2]}/{version_id}.{format}"
    if not _KEY_RE.match(key):
        raise ValueError(f"invalid version_id/format for a stored original: {version_id!r}, {format!r}")
    return key


def _check_key(key: str) -> str:
    if not _KEY_RE.match(key):
        raise AssetNotFound("Resource not found")
    return key


@runtime_checkable
class WritableOrigin(Protocol):
    """An origin that also stores originals (blocking; call from worker threads).

    Keys come from `original_key`.  Errors: `AssetNotFound` (missing key or a key not made by
    `original_key`), `OriginUnavailable` (I/O or S3 failure), `SourceTooLarge` (load beyond
    `max_bytes`).
    """

    def stage(self, version_id: str) -> StagedFile | None:
        """A local temp file to stream an upload of `version_id` into, published by
        `put_file` with a rename (bytes written once), or None when the origin has no local
        staging (S3: bytes go through `put_file`'s managed transfer)."""

    def put_file(self, key: str, fileobj: BinaryIO, *, content_type: str | None = None) -> int:
        """Store the whole of `fileobj` (read from its current position to EOF, in chunks:
        a spooled upload is never read whole into memory) under `key` atomically: readers
        see the old object or the complete new one, never a part.  Returns bytes written."""

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> int:
        """`put_file` for bytes in memory."""

    def load_key(self, key: str) -> Source:
        """Read the stored original at exactly `key` (no extension resolution)."""

    def exists(self, key: str) -> bool:
        """True when `key` holds an object."""

    def delete(self, key: str) -> bool:
        """Remove `key`; False when it was already absent."""

    def rename(self, from_key: str, to_key: str) -> None:
        """Move an object atomically (disk `os.replace`; S3 copy, then delete)."""

    def list_originals(self) -> Iterator[tuple[str, float]]:
        """Every stored original as `(key, modified unix seconds)` (temp files excluded)."""


def _content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class WritableDiskOrigin(DiskOrigin):
    """`DiskOrigin` that also stores originals under `<root>/.edge-originals/...` (see the
    module docs).  `fsync=False` only for tests that measure the rest of the path."""

    def __init__(self, root: str | os.PathLike[str], *, max_bytes: int = 100 * 1024 * 1024,
                 fsync: bool = True) -> None:
        super().__init__(root, max_bytes=max_bytes)
        self.fsync = fsync

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def stage(self, version_id: str) -> StagedFile:
        """A temp file in the folder of `version_id`'s originals (`.edge-originals/<vid[:2]>/`),
        for an upload streamed straight into the origin: `put_file` of a key of that version
        with this file publishes it by rename, so the bytes are written once.  A staged file
        never committed is removed by its `close()` (or, after a kill, by `sweep_temp`).
        Raises ValueError for a malformed version_id, `OriginUnavailable`."""
        folder = self._path(original_key(version_id, "jpg")).parent
        try:
            return StagedFile(folder)
        except OSError as exc:
            raise OriginUnavailable("Origin write failed") from exc

    def put_file(self, key: str, fileobj: BinaryIO, *, content_type: str | None = None) -> int:
        """See `WritableOrigin.put_file`; a `StagedFile` of this origin's `stage()` in the key's
        folder is published by rename (fsync, rename, folder fsync) instead of copied."""
        path = self._path(key)
        try:
            if isinstance(fileobj, StagedFile) and fileobj.folder == path.parent:
                # a new key, read only through the catalogue row published after this returns
                return fileobj.commit(path, fsync=self.fsync, rename_first=True)
            return atomic_write(path, fileobj, fsync=self.fsync)
        except OSError as exc:
            raise OriginUnavailable("Origin write failed") from exc

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> int:
        """See `WritableOrigin.put_bytes`."""
        return self.put_file(key, io.BytesIO(data), content_type=content_type)

    def load_key(self, key: str) -> Source:
        """See `WritableOrigin.load_key`; `version` is the key's version_id, `etag` the SHA-1
        of key + size (the key never changes content)."""
        path = self._path(key)
        try:
            st = path.stat()
            if st.st_size > self.max_bytes:
                raise SourceTooLarge(f"Original exceeds {self.max_bytes} bytes")
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise AssetNotFound("Resource not found") from exc
        except OSError as exc:
            raise OriginUnavailable("Origin read failed") from exc
        vid = key.rsplit("/", 1)[-1].split(".", 1)[0]
        etag = hashlib.sha1(f"{key}:{st.st_size}".encode()).hexdigest()
        return Source(data=data, name=key, version=vid, etag=etag, content_type=_content_type(key))

    def exists(self, key: str) -> bool:
        """See `WritableOrigin.exists`."""
        return self._path(key).is_file()

    def delete(self, key: str) -> bool:
        """See `WritableOrigin.delete`."""
        try:
            self._path(key).unlink()
            return True
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise OriginUnavailable("Origin delete failed") from exc

    def rename(self, from_key: str, to_key: str) -> None:
        """See `WritableOrigin.rename`."""
        src, dst = self._path(from_key), self._path(to_key)
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
        except FileNotFoundError as exc:
            raise AssetNotFound("Resource not found") from exc
        except OSError as exc:
            raise OriginUnavailable("Origin rename failed") from exc
        if self.fsync:
            fsync_folder(dst.parent)

    def list_originals(self) -> Iterator[tuple[str, float]]:
        """See `WritableOrigin.list_originals`."""
        base = self.root / ORIGINALS_PREFIX
        if not base.is_dir():
            return
        for p in base.glob("*/*"):
            key = p.relative_to(self.root).as_posix()
            if _KEY_RE.match(key):
                try:
                    yield key, p.stat().st_mtime
                except OSError:
                    continue

    def sweep_temp(self, *, older_than_s: float = 3600.0) -> int:
        """Delete `.tmp-*` files left by killed writers (older than `older_than_s` seconds,
        so a write in progress is kept); returns how many were removed."""
        base = self.root / ORIGINALS_PREFIX
        if not base.is_dir():
            return 0
        cutoff = time.time() - older_than_s
        n = 0
        for p in base.glob(f"*/{_TMP_PREFIX}*"):
            try:
                if p.stat().st_mtime < cutoff:
                    p.unlink()
                    n += 1
            except OSError:
                pass
        return n


class _CountingReader:
    """A read-only view of a file object that counts bytes and ignores `close()` (boto3's
    managed transfer reads it in chunks of at most its multipart chunk size, 8 MiB)."""

    def __init__(self, fileobj: BinaryIO) -> None:
        self._f = fileobj
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self.count += len(data)
        return data

    def close(self) -> None:
        pass


class WritableS3Origin(S3Origin):
    """`S3Origin` that also stores originals as objects `<prefix>/.edge-originals/...`.

    `put_file` uses boto3's managed transfer (`upload_fileobj`: one PUT, or a multipart
    upload for large files); either way the object only appears once complete.
    """

    def _s3key(self, key: str) -> str:
        return self.location.key(_check_key(key))

    def stage(self, version_id: str) -> None:
        """None: an S3 origin has no local staging (see `WritableOrigin.stage`)."""
        return None

    def put_file(self, key: str, fileobj: BinaryIO, *, content_type: str | None = None) -> int:
        """See `WritableOrigin.put_file`."""
        s3key = self._s3key(key)
        reader = _CountingReader(fileobj)  # s3transfer closes what it is given: not the caller's file
        try:
            self.client.upload_fileobj(
                reader, self.location.bucket, s3key,
                ExtraArgs={"ContentType": content_type or _content_type(key)},
            )
        except (ClientError, BotoCoreError) as exc:
            raise OriginUnavailable("S3 origin write failed") from exc
        return reader.count

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> int:
        """See `WritableOrigin.put_bytes` (one `PutObject`)."""
        try:
            self.client.put_object(Bucket=self.location.bucket, Key=self._s3key(key), Body=data,
                                   ContentType=content_type or _content_type(key))
        except (ClientError, BotoCoreError) as exc:
            raise OriginUnavailable("S3 origin write failed") from exc
        return len(data)

    def load_key(self, key: str) -> Source:
        """See `WritableOrigin.load_key` (one `GetObject`)."""
        s3key = self._s3key(key)
        with _origin_errors():
            obj = self.client.get_object(Bucket=self.location.bucket, Key=s3key)
            if int(obj.get("ContentLength", 0)) > self.max_bytes:
                obj["Body"].close()
                raise SourceTooLarge(f"Original exceeds {self.max_bytes} bytes")
            data = obj["Body"].read()
        vid = key.rsplit("/", 1)[-1].split(".", 1)[0]
        etag = str(obj.get("ETag", "")).strip('"')
        return Source(data=data, name=key, version=vid, etag=etag, content_type=obj.get("ContentType"))

    def exists(self, key: str) -> bool:
        """See `WritableOrigin.exists` (one `HeadObject`)."""
        try:
            self.client.head_object(Bucket=self.location.bucket, Key=self._s3key(key))
            return True
        except ClientError as exc:
            if is_missing(exc):
                return False
            raise OriginUnavailable("S3 origin error") from exc
        except BotoCoreError as exc:
            raise OriginUnavailable("S3 origin unreachable") from exc

    def delete(self, key: str) -> bool:
        """See `WritableOrigin.delete` (`HeadObject` + `DeleteObject`)."""
        if not self.exists(key):
            return False
        try:
            self.client.delete_object(Bucket=self.location.bucket, Key=self._s3key(key))
        except (ClientError, BotoCoreError) as exc:
            raise OriginUnavailable("S3 origin delete failed") from exc
        return True

    def list_originals(self) -> Iterator[tuple[str, float]]:
        """See `WritableOrigin.list_originals` (`ListObjectsV2` pages)."""
        start = self.location.key(f"{ORIGINALS_PREFIX}/")
        cut = len(self.location.prefix) + 1 if self.location.prefix else 0
        with _origin_errors():
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.location.bucket, Prefix=start)
            for page in pages:
                for obj in page.get("Contents", ()):
                    key = obj["Key"][cut:]
                    if _KEY_RE.match(key):
                        yield key, obj["LastModified"].timestamp()

    def rename(self, from_key: str, to_key: str) -> None:
        """See `WritableOrigin.rename` (`CopyObject`, then `DeleteObject`)."""
        src, dst = self._s3key(from_key), self._s3key(to_key)
        with _origin_errors():
            self.client.copy_object(Bucket=self.location.bucket, Key=dst,
                                    CopySource={"Bucket": self.location.bucket, "Key": src})
            self.client.delete_object(Bucket=self.location.bucket, Key=src)


def writable_origin_from_location(location: str, *, s3_endpoint: str | None = None,
                                  max_bytes: int = 100 * 1024 * 1024, s3_client: Any = None,
                                  fsync: bool = True) -> WritableDiskOrigin | WritableS3Origin:
    """`s3://bucket/prefix` -> `WritableS3Origin`; anything else a directory ->
    `WritableDiskOrigin`.  Both are also plain `Origin`s (hand-copied files keep working)."""
    if location.startswith("s3://"):
        client = s3_client or make_s3_client(s3_endpoint)
        return WritableS3Origin(client, parse_s3_url(location), max_bytes=max_bytes)
    return WritableDiskOrigin(location, max_bytes=max_bytes, fsync=fsync)

