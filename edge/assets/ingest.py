"""Bulk ingestion of an existing image library into the catalogue (issue 10: `edge upload`,
`edge import`).

Three steps, each replaceable:

1. *Discovery* (`edge.assets.discover`) turns the command's arguments into `IngestItem`s (public_id, how to open the
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
   passes an `AppUploader` (`edge.assets.app_uploader`): a signed `POST /v1_1/<cloud>/image/upload` (multipart, as the SDK
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
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Iterable, TextIO

from edge.assets.app_uploader import AppUploader, IngestError
from edge.assets.discover import IngestItem, discover_dir, discover_paths, discover_s3, public_id_for

__all__ = [
    "AppUploader", "IngestError", "IngestItem", "IngestReport", "Progress", "discover_paths", "discover_dir", "discover_s3",
    "ingest", "file_md5", "public_id_for", "PROGRESS_EVERY_S",
]

#: Seconds between progress lines when the stream is not a terminal.
PROGRESS_EVERY_S = 2.0
_CHUNK = 1024 * 1024


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
