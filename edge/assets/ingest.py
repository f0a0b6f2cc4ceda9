"""Bulk ingestion of an existing image library into the catalogue (issue 10: `edge upload`,
`edge import`).

Three steps, each replaceable:

1. *Discovery* turns the command's arguments into `IngestItem`s (public_id, how to open the
   bytes, what is known about them without reading them): `discover_paths` (files and folders
   given to `edge upload`), `discover_dir` (a library folder for `edge import`),
   `discover_s3` (every object under `s3://bucket/prefix`, through boto3's paginator).
   Public ids are the path relative to the folder (or the file's name for a single file)
   without its extension, under `folder/` when one is given, so re-running maps a file to the
   same public_id.
2. *Resume*: an item whose `(type, public_id)` is already in the catalogue with the same
   `etag` (MD5 of the bytes) is skipped without uploading.  The MD5 comes from the file (read
   once, streamed) or, for S3 objects uploaded in one part, from the object's ETag (no
   download at all).
3. *Upload*: an injected `upload(item, stream) -> dict` callable stores one item.  The CLI
   passes an `AppUploader`: a signed `POST /v1_1/<cloud>/image/upload` (multipart, as the SDK
   sends it) into the Edge ASGI app running in this process (httpx's ASGI transport, no
   socket), so every file goes through exactly the Upload API's code path (body parsing,
   signature, validation with pyvips, atomic origin write, catalogue publish) and nothing
   here duplicates it; this module stays below `edge.api` in the import order (it never
   imports it).

Two files mapping to one public_id (`a.jpg` beside `a.png`) would silently replace each other:
the first is ingested, the others fail with a message naming both.  `--tags`/`--folder` apply
to what is uploaded; a skipped file keeps what it has.

`ingest()` runs step 2 and 3 on a bounded thread pool (`concurrency` uploads at once, at most
`2 x concurrency` items in flight, so memory stays flat for any library size) and reports
progress on a text stream (a single `\\r`-updated line on a terminal, one line every
`PROGRESS_EVERY_S` seconds otherwise).  One item failing never stops the others; its message
is kept in the report.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Sequence, TextIO

from edge.storage.origin import IMAGE_EXTENSIONS

__all__ = [
    "AppUploader", "IngestError", "IngestItem", "IngestReport", "Progress", "discover_paths", "discover_dir", "discover_s3",
    "ingest", "file_md5", "public_id_for", "PROGRESS_EVERY_S",
]

#: Seconds between progress lines when the stream is not a terminal.
PROGRESS_EVERY_S = 2.0
_CHUNK = 1024 * 1024
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


@dataclass
class IngestReport:
    """Counts of one run: `uploaded`, `skipped` (already in the catalogue with the same
    etag), `failed` (with `failures`: `(source, message)` pairs), `bytes` uploaded, `seconds`."""

    total: int = 0
    uploaded: int = 0
    skipped: int = 0
    failed: int = 0
    bytes: int = 0
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (failures as `[{"source", "message"}]`)."""
        return {"total": self.total, "uploaded": self.uploaded, "skipped": self.skipped,
                "failed": self.failed, "bytes": self.bytes, "seconds": round(self.seconds, 3),
                "failures": [{"source": s, "message": m} for s, m in self.failures]}


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


def file_md5(stream: BinaryIO) -> str:
    """Hex MD5 of the rest of `stream`, read in 1 MiB chunks; the stream is rewound to where it
    was."""
    start = stream.tell()
    h = hashlib.md5()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        h.update(chunk)
    stream.seek(start)
    return h.hexdigest()


class Progress:
    """A progress line on `stream` (stderr by default): done/total, percent, files/s, counts.
    On a terminal one line is rewritten in place; otherwise a line is printed at most every
    `every_s` seconds (and at the end).  Thread-safe."""

    def __init__(self, total: int, *, stream: TextIO | None = None, every_s: float = PROGRESS_EVERY_S,
                 label: str = "ingest") -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.every_s = every_s
        self.label = label
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._last = 0.0
        self._lock = threading.Lock()

    def update(self, report: IngestReport, *, final: bool = False) -> None:
        """Show the counts of `report` (throttled unless `final`)."""
        now = time.monotonic()
        with self._lock:
            if not final and not self.tty and now - self._last < self.every_s:
                return
            if not final and self.tty and now - self._last < 0.1:
                return
            self._last = now
            done = report.uploaded + report.skipped + report.failed
            elapsed = max(now - self.started, 1e-9)
            pct = 100.0 * done / self.total if self.total else 100.0
            width = 24
            filled = int(width * done / self.total) if self.total else width
            bar = "#" * filled + "-" * (width - filled)
            line = (f"{self.label} [{bar}] {done}/{self.total} {pct:5.1f}% {done / elapsed:6.1f} files/s "
                    f"uploaded={report.uploaded} skipped={report.skipped} failed={report.failed}")
            if self.tty:
                self.stream.write("\r" + line + ("\n" if final else ""))
            else:
                self.stream.write(line + "\n")
            self.stream.flush()


Uploader = Callable[[IngestItem, BinaryIO], Any]


def _already_there(catalogue: Any, type: str, item: IngestItem, stream: BinaryIO | None) -> tuple[bool, BinaryIO | None]:
    """(skip?, the opened stream or None).  Opens the item only when its MD5 is needed."""
    record = catalogue.get(type, item.public_id)
    if record is None:
        return False, stream
    if record.bytes != item.size and item.size is not None:
        return False, stream
    md5 = item.md5
    if md5 is None:
        stream = stream or item.opener()
        md5 = file_md5(stream)
    return record.etag == md5, stream


def ingest(
    items: Iterable[IngestItem], *, catalogue: Any, upload: Uploader, type: str = "upload",
    concurrency: int = 4, progress: Progress | None = None, total: int | None = None,
) -> IngestReport:
    """Ingest `items` (see the module docs): skip those already stored with the same etag,
    upload the others with `upload(item, stream)` (which raises on failure; its message is
    recorded), at most `concurrency` (>= 1) at once.  `total` (items) is only for progress.
    Returns the report; never raises for a single item's failure."""
    if concurrency < 1:
        raise ValueError("concurrency must be >= 1")
    report = IngestReport(total=total or 0)
    lock = threading.Lock()
    started = time.monotonic()

    def one(item: IngestItem) -> None:
        stream: BinaryIO | None = None
        try:
            skip, stream = _already_there(catalogue, type, item, None)
            if skip:
                with lock:
                    report.skipped += 1
                return
            stream = stream or item.opener()
            stream.seek(0)
            upload(item, stream)
            with lock:
                report.uploaded += 1
                report.bytes += item.size or 0
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the library
            message = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
            with lock:
                report.failed += 1
                report.failures.append((item.source, message))
        finally:
            if stream is not None:
                stream.close()
            if progress is not None:
                progress.update(report)

    pending: set[Future[None]] = set()
    first_source: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="edge-ingest") as pool:
        for item in items:
            if total is None:
                report.total += 1
            if item.public_id in first_source:  # `a.jpg` beside `a.png`: one would replace the other
                with lock:
                    report.failed += 1
                    report.failures.append((item.source, f"public_id {item.public_id} is already the id of "
                                                         f"{first_source[item.public_id]}; rename one of them"))
                continue
            first_source[item.public_id] = item.source
            pending.add(pool.submit(one, item))
            if len(pending) >= 2 * concurrency:
                _done, pending = wait(pending, return_when=FIRST_COMPLETED)
        wait(pending)
    report.seconds = time.monotonic() - started
    if progress is not None:
        progress.update(report, final=True)
    return report



class IngestError(Exception):
    """An upload the API refused: `status` (HTTP) and the API's `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = f"{status} {message}"


class _Lifespan:
    """Drives an ASGI app's lifespan protocol (startup, later shutdown) the way a server does,
    so the app's start-up work runs and its shutdown drains background work and closes the
    catalogue.  Raises RuntimeError when the app reports a failed startup/shutdown."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._to_app: Any = None
        self._from_app: Any = None
        self._task: Any = None

    async def startup(self) -> None:
        import asyncio

        self._to_app, self._from_app = asyncio.Queue(), asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        self._task = asyncio.ensure_future(self.app(scope, self._to_app.get, self._from_app.put))
        await self._step("startup")

    async def shutdown(self) -> None:
        if self._task is None:
            return
        await self._step("shutdown")
        await self._task

    async def _step(self, phase: str) -> None:
        import asyncio

        await self._to_app.put({"type": f"lifespan.{phase}"})
        get = asyncio.ensure_future(self._from_app.get())
        done, _ = await asyncio.wait({get, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if get not in done:
            get.cancel()
            self._task.result()  # the app raised: re-raise here
            raise RuntimeError(f"the app ended its lifespan during {phase}")
        message = get.result()
        if message["type"] != f"lifespan.{phase}.complete":
            raise RuntimeError(f"app {phase} failed: {message.get('message', '')}")


class AppUploader:
    """`upload(item, stream)` through an ASGI app's Upload API in this process.

    Each call is a signed multipart `POST /v1_1/<cloud_name>/image/upload` (fields as the
    Python SDK sends them: `public_id`, `overwrite=1`, `type`, `tags`, `timestamp`,
    `signature` (SHA-1, signature v2, `edge.url.signing.sign_api_params`), `api_key`, and the
    file part named after the original file) sent with httpx's `ASGITransport` on one event
    loop in a background thread; calls from several threads run concurrently on it.  Returns
    the upload JSON; raises `IngestError` with the API's message for a non-200 answer.  Use as
    a context manager (or call `close()`)."""

    def __init__(self, app: Any, *, cloud_name: str, api_key: str, api_secret: str,
                 tags: Sequence[str] = (), type: str = "upload", timeout_s: float = 600.0) -> None:
        import asyncio

        import httpx

        self.cloud_name = cloud_name
        self.api_key = api_key
        self.api_secret = api_secret
        self.tags = ",".join(tags)
        self.type = type
        self.timeout_s = timeout_s
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="edge-ingest-loop", daemon=True)
        self._thread.start()

        self._lifespan = _Lifespan(app)

        async def make() -> Any:
            await self._lifespan.startup()
            return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge-ingest",
                                     timeout=timeout_s)

        try:
            self._client = asyncio.run_coroutine_threadsafe(make(), self._loop).result(timeout=120)
        except BaseException:
            self._stop_loop()
            raise

    def __enter__(self) -> "AppUploader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the client and stop the loop thread."""
        import asyncio

        if self._loop.is_closed():
            return

        async def finish() -> None:
            await self._client.aclose()
            await self._lifespan.shutdown()

        try:
            asyncio.run_coroutine_threadsafe(finish(), self._loop).result(timeout=120)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def params(self, item: IngestItem) -> dict[str, str]:
        """The signed form fields of `item`'s upload (without the file)."""
        from edge.url.signing import sign_api_params

        params = {"public_id": item.public_id, "overwrite": "1", "type": self.type,
                  "timestamp": str(int(time.time()))}
        if self.tags:
            params["tags"] = self.tags
        params["signature"] = sign_api_params(params, self.api_secret)
        params["api_key"] = self.api_key
        return params

    async def _post(self, item: IngestItem, data: bytes) -> dict[str, Any]:
        import mimetypes

        ctype = mimetypes.guess_type(item.filename)[0] or "application/octet-stream"
        response = await self._client.post(f"/v1_1/{self.cloud_name}/image/upload", data=self.params(item),
                                           files={"file": (item.filename, data, ctype)})
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "error" in body:
            message = (body.get("error") or {}).get("message") if isinstance(body, dict) else None
            raise IngestError(response.status_code, message or response.text[:200])
        return body

    def __call__(self, item: IngestItem, stream: BinaryIO) -> dict[str, Any]:
        import asyncio

        data = stream.read()
        future = asyncio.run_coroutine_threadsafe(self._post(item, data), self._loop)
        return future.result(timeout=self.timeout_s)
