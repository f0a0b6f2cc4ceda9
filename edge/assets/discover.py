"""Discovery for bulk ingestion (`edge.assets.ingest`): the command's arguments turned into
`IngestItem`s (public_id, how to open the bytes, size and MD5 when known without reading).
`discover_paths` (files and folders given to `edge upload`), `discover_dir` (a library folder
for `edge import`), `discover_s3` (every object under `s3://bucket/prefix`).  Public ids are
the path relative to the folder (or the file's name for a single file) without its extension,
under `folder/` when one is given, so re-running maps a file to the same public_id.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from edge.storage.origin import IMAGE_EXTENSIONS

__all__ = ["IngestItem", "public_id_for", "discover_dir", "discover_paths", "discover_s3"]

_EXTENSIONS = frozenset(IMAGE_EXTENSIONS)


@dataclass(frozen=True)
class IngestItem:
    """One file to ingest.

    * `source`: where it comes from, for messages (a path or `s3://bucket/key`).
    * `public_id`: the target public_id (no extension); `filename`: the original file name
      (with extension: the Upload API derives `original_filename` and the format from it).
    * `size`: bytes when known without reading; `md5`: hex MD5 when known without reading
      (an S3 single-part ETag), else None.
    * `opener()`: a new binary stream of the bytes (the caller closes it).
    """

    source: str
    public_id: str
    filename: str
    opener: Callable[[], BinaryIO] = field(repr=False, compare=False)
    size: int | None = None
    md5: str | None = None


def public_id_for(relative: str, folder: str = "") -> str:
    """`a/b/cat.jpg` under folder `f` -> `f/a/b/cat`: the relative path (POSIX separators)
    without its last extension, prefixed by `folder` (slashes trimmed).  Raises ValueError for
    an empty result or `.`/`..` segments."""
    rel = PurePosixPath(relative.replace(os.sep, "/"))
    stem = str(rel.with_suffix("")) if rel.suffix else str(rel)
    parts = [p for p in (folder.strip("/").split("/") if folder.strip("/") else [])] + stem.split("/")
    if not parts or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"no valid public_id for {relative!r}")
    return "/".join(parts)


def _is_image_name(name: str) -> bool:
    suffix = PurePosixPath(name).suffix.lower().lstrip(".")
    return suffix in _EXTENSIONS


def _file_item(path: Path, relative: str, folder: str) -> IngestItem:
    return IngestItem(source=str(path), public_id=public_id_for(relative, folder), filename=path.name,
                      opener=lambda p=path: open(p, "rb"), size=path.stat().st_size)


def discover_dir(root: str | os.PathLike[str], *, folder: str = "") -> Iterator[IngestItem]:
    """Every image file under `root` (recursively, sorted, hidden files and folders such as
    Edge's own `.edge-originals` skipped; symlinks to files followed, to folders not)."""
    base = Path(root)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not _is_image_name(name):
                continue
            path = Path(dirpath) / name
            if not path.is_file():
                continue
            yield _file_item(path, path.relative_to(base).as_posix(), folder)


def discover_paths(paths: Iterable[str | os.PathLike[str]], *, folder: str = "") -> Iterator[IngestItem]:
    """`edge upload` arguments: a file becomes `folder/<name without extension>` (any
    extension: the Upload API decides whether it is an image); a folder is walked as
    `discover_dir` does.  Raises FileNotFoundError for a path that does not exist."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            yield from discover_dir(path, folder=folder)
        elif path.is_file():
            yield _file_item(path, path.name, folder)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")


def discover_s3(client: Any, url: str, *, folder: str = "") -> Iterator[IngestItem]:
    """Every image object under `s3://bucket/prefix` (boto3 `list_objects_v2` paginator);
    public ids are the keys relative to the prefix.  A single-part ETag (32 hex) is the MD5 of
    the object, used for resuming without a download.  Raises OSError when the bucket cannot
    be listed (unreachable, missing, denied)."""
    from edge.storage.s3util import parse_s3_url

    loc = parse_s3_url(url)
    prefix = loc.key("") if loc.prefix else ""
    from botocore.exceptions import BotoCoreError, ClientError

    paginator = client.get_paginator("list_objects_v2")
    try:
        pages = list(paginator.paginate(Bucket=loc.bucket, Prefix=prefix))
    except (BotoCoreError, ClientError) as exc:
        raise OSError(f"cannot list {url}: {exc}") from None
    for page in pages:
        for obj in page.get("Contents", ()):
            key = obj["Key"]
            rel = key[len(prefix):].lstrip("/")
            if not rel or rel.endswith("/") or any(s.startswith(".") for s in rel.split("/")):
                continue
            if not _is_image_name(rel):
                continue
            etag = str(obj.get("ETag", "")).strip('"').lower()
            md5 = etag if len(etag) == 32 and all(c in "0123456789abcdef" for c in etag) else None

            def opener(k: str = key) -> BinaryIO:
                body = client.get_object(Bucket=loc.bucket, Key=k)["Body"]
                return io.BytesIO(body.read())

            yield IngestItem(source=f"s3://{loc.bucket}/{key}", public_id=public_id_for(rel, folder),
                             filename=PurePosixPath(rel).name, opener=opener, size=int(obj.get("Size", 0)),
                             md5=md5)
