"""Streaming `multipart/form-data` reader of the API bodies (what the SDKs send), on
python-multipart's push parser.

Text fields are collected in memory (each at most `max_field_bytes`).  The one file part (field
`file`) is never held whole: each slice of it the parser hands over is written at once, with
no copy, from the received chunk into the file `open_file()` returns (the upload endpoint passes
the writable origin's staging file, `edge.storage.writable.WritableDiskOrigin.stage`, so an
upload is written once, in the origin, and published by rename; the default is a spooled
temporary file), and the MD5 of the bytes (the asset's `etag`) is updated from the same slice.
Slices under `SMALL_WRITE_BYTES` (a client sending tiny chunks, a boundary look-behind) are
gathered first, so no write is smaller than that except the last.  The kernel's writeback of
the staging file is started after every `BATCH_BYTES` (`edge.storage.atomic.start_writeback`),
so the fsync at publish waits for little.

Where that runs: `open_file()` (it creates a file: a metadata operation that may wait for the
file system's journal) runs once per upload in a worker thread on `executor`, once
`OPEN_AFTER_BYTES` of the part have arrived (or at its end), and the bytes received until
then (copied into a reused buffer, `_BufferPool`) are written in the same job.  Every later slice is written and hashed on the event loop while
it is parsed: a write is at most one received chunk (uvloop reads at most 256 KiB) copied into
the page cache, and hashlib releases the GIL while it hashes, so the loop is busy about 0.5 ms
per chunk, against the thread hand-off per batch, the copy of every byte into a batch buffer
and the cross-core reads of that buffer that writing it from a worker thread cost (measured in
process on 2 MB SDK bodies, `time.process_time`: 0.4 to 0.8 ms of CPU less per upload than
that design; within the noise of the server-side figure on a loaded shared machine).  The fsync, the
rename and everything after them stay off the loop (`edge.api.upload.UploadApi._store`).

A file part above `max_file_bytes` stops being written at once; the part is still counted to
its end so the 413 names its size.

Errors are `ApiError`s: 400 `Invalid multipart body: ...` (malformed, no boundary, a part
without a name, too many fields/files, a file part other than `file`), 413 `File size (<n>)
exceeds maximum allowed (<m>)`.  The caller closes the returned file part (`FilePart.file`)
on every path; on an error this module closes it itself.
"""

from __future__ import annotations

import asyncio
import codecs
import hashlib
import tempfile
import threading
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, AsyncIterator, BinaryIO, Callable, Mapping

try:  # python-multipart >= 0.0.13 names its module python_multipart
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header
except ImportError:  # pragma: no cover - older python-multipart
    from multipart.exceptions import FormParserError  # type: ignore[no-redef]
    from multipart.multipart import MultipartParser, parse_options_header  # type: ignore[no-redef]

from edge.api.errors import ApiError
from edge.storage.atomic import StagedFile

__all__ = ["FilePart", "read_multipart", "BATCH_BYTES", "OPEN_AFTER_BYTES", "SMALL_WRITE_BYTES", "SPOOL_BYTES"]

#: Bytes of a file part written between two starts of the kernel's writeback (staging files).
BATCH_BYTES = 1 << 20
#: Bytes of a file part received before its file is made (held as views of the received
#: chunks): a part smaller than this, or a client gone before, never creates one.
OPEN_AFTER_BYTES = 1 << 20
#: Slices of a file part smaller than this (bytes) are gathered before they are written.
SMALL_WRITE_BYTES = 64 * 1024
#: The default file: in memory up to this size (bytes), then a temporary file on disk.
SPOOL_BYTES = 1 << 20


@dataclass
class FilePart:
    """A `file` sent as a multipart file part: `filename` as sent (the SDK sends the local
    path, `stream` or `file`), `content_type`, `size` (bytes), `md5` (hex of the bytes),
    `file` (where the bytes were written: readable, seekable; its `close()` discards it
    unless it was published first)."""

    filename: str
    content_type: str
    size: int
    file: BinaryIO
    md5: str = ""

    def read(self) -> bytes:
        """The part's bytes (blocking: call off the event loop for big files)."""
        self.file.seek(0)
        return self.file.read()


def _decode(raw: bytes | bytearray, charset: str) -> str:
    try:
        return bytes(raw).decode(charset)
    except (UnicodeDecodeError, LookupError):
        return bytes(raw).decode("latin-1")


def _too_large(n: int | str, limit: int) -> ApiError:
    return ApiError(413, f"File size ({n}) exceeds maximum allowed ({limit})")


class _BufferPool:
    """Reused buffers (`bytearray`s of `size` bytes; at most `keep` kept free) for the first
    `OPEN_AFTER_BYTES` of a file part.  A buffer whose pages are mapped already costs nothing to
    fill again, whereas holding the received chunks themselves until the file exists makes the
    allocator map (and the kernel zero) fresh pages for them on every upload: a MiB copied
    (about 0.1 ms) costs less than faulting in a MiB of new pages."""

    def __init__(self, size: int, keep: int) -> None:
        self.size, self.keep = size, keep
        self._free: list[bytearray] = []
        self._lock = threading.Lock()

    def take(self) -> bytearray:
        with self._lock:
            if self._free:
                return self._free.pop()
        return bytearray(self.size)

    def give(self, buf: bytearray | None) -> None:
        if buf is None or len(buf) != self.size:
            return
        with self._lock:
            if len(self._free) < self.keep:
                self._free.append(buf)


_EARLY_POOL = _BufferPool(OPEN_AFTER_BYTES, keep=8)


class _FileWriter:
    """The file part being received (see the module docs): slices are hashed as they come
    (`feed`) and written at once when the file exists; the ones before that wait in `early`
    for `settle`, which opens the file in a worker thread and writes them there."""

    def __init__(self, open_file: Callable[[], Any], max_bytes: int) -> None:
        self.open_file = open_file
        self.max_bytes = max_bytes
        self.file: Any = None
        self.staged = False  # `file` is a StagedFile (writes go straight to its descriptor)
        self.md5 = hashlib.md5()
        self.size = 0  # bytes received (also past the limit)
        # what arrived before the file was open: copied into a pooled buffer up to its size,
        # the rest (at most the chunk that filled it) held as views
        self.early: bytearray | None = None
        self.early_bytes = 0  # bytes held (buffer and views)
        self.early_rest: list[Any] = []
        self.small = bytearray()  # gathered slices under SMALL_WRITE_BYTES
        self.written = 0  # bytes in the file
        self.writeback_from = 0  # start of the range whose writeback is not started yet
        # the open job (worker thread) and `abandon` (event loop) exclude each other: a file
        # opened after the request was cancelled is discarded at once
        self._lock = threading.Lock()
        self._abandoned = False

    def _open(self) -> None:  # blocking, in a worker thread
        with self._lock:
            if self._abandoned or self.file is not None:
                return
            file = self.open_file() or _spooled()  # an origin without local staging (S3) answers None
            self.file, self.staged = file, isinstance(file, StagedFile)
            self._write_early()

    def _write_early(self) -> None:
        early, fill, rest = self.early, min(self.early_bytes, OPEN_AFTER_BYTES), self.early_rest
        self.early, self.early_bytes, self.early_rest = None, 0, []
        try:
            if early is not None and fill:
                self._write(memoryview(early)[:fill])
            for view in rest:
                self._write(view)
        finally:
            _EARLY_POOL.give(early)

    def _drop_early(self) -> None:
        _EARLY_POOL.give(self.early)
        self.early, self.early_bytes, self.early_rest = None, 0, []

    def _write(self, view: Any) -> None:
        """Write one slice (blocking; on the loop once the file is open, see the module docs)."""
        if len(view) < SMALL_WRITE_BYTES:
            self.small += view
            if len(self.small) < SMALL_WRITE_BYTES:
                return
            view, self.small = self.small, bytearray()
        elif self.small:
            self._put(self.small)
            self.small = bytearray()
        self._put(view)

    def _put(self, view: Any) -> None:
        if self.staged:
            self.written += self.file.write_parts([view])
            if self.written - self.writeback_from >= BATCH_BYTES:
                self.file.start_writeback(self.writeback_from, self.written - self.writeback_from)
                self.writeback_from = self.written
        else:
            self.file.write(view)
            self.written += len(view)

    def feed(self, data: bytes, start: int, end: int) -> None:
        n = end - start
        self.size += n
        if self.size > self.max_bytes:
            self._drop_early()  # over the limit: nothing more is kept (413 at the end)
            self.small.clear()
            return
        if n <= 0:
            return
        view = memoryview(data)[start:end]
        self.md5.update(view)
        if self.file is None:  # held until `settle` has the file
            fill = self.early_bytes
            if fill < OPEN_AFTER_BYTES:
                if self.early is None:
                    self.early = _EARLY_POOL.take()
                k = min(OPEN_AFTER_BYTES - fill, n)
                self.early[fill:fill + k] = view[:k]
                view = view[k:]
            if len(view):  # a view of an immutable chunk (a copy of a mutable one)
                self.early_rest.append(view if type(data) is bytes else bytes(view))
            self.early_bytes += n
        else:
            self._write(view)

    async def settle(self, loop: asyncio.AbstractEventLoop, executor: Executor | None, *, final: bool) -> None:
        """Open the file (in a worker thread) and write the slices held until now; at the
        end (`final`) also for a part with no bytes (it still gets its empty file), and write
        what is gathered."""
        if self.size > self.max_bytes:
            return
        if self.file is None and (self.early_bytes or final):
            await loop.run_in_executor(executor, self._open)
        if final and self.file is not None:
            if self.small:
                self._put(self.small)
                self.small = bytearray()
            if self.staged and self.written > self.writeback_from:
                self.file.start_writeback(self.writeback_from, self.written - self.writeback_from)
                self.writeback_from = self.written

    def abandon(self) -> None:
        """Close (discard) the file, now or, when it is being opened, as soon as it is; no
        later write happens.  Synchronous on purpose: it also runs in a cancelled request,
        where every await would be cancelled again."""
        with self._lock:
            self._abandoned = True
            self._drop_early()
            if self.file is not None:
                self.file.close()


class _Reader:
    """python-multipart callbacks -> fields and one file part."""

    def __init__(self, charset: str, *, max_fields: int, max_files: int, max_field_bytes: int,
                 max_file_bytes: int, open_file: Callable[[], Any]) -> None:
        self.charset = charset
        self.max_fields, self.max_files = max_fields, max_files
        self.max_field_bytes, self.max_file_bytes = max_field_bytes, max_file_bytes
        self.open_file = open_file
        self.fields: list[tuple[str, str]] = []
        self.n_fields = self.n_files = 0
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.headers: dict[bytes, bytes] = {}
        self.name = ""
        self.data = bytearray()
        self.writer: _FileWriter | None = None  # the file part (once its headers are read)
        self.in_file = False
        self.file_meta: tuple[str, str] = ("", "")

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.on_part_begin, "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end, "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }

    def on_part_begin(self) -> None:
        self.headers = {}
        self.data = bytearray()
        self.in_file = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[bytes(self.header_name).lower()] = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        _disposition, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise ApiError(400, 'Invalid multipart body: The Content-Disposition header field "name" must be provided.')
        self.name = _decode(options[b"name"], self.charset)
        if b"filename" in options:
            self.n_files += 1
            if self.n_files > self.max_files:
                raise ApiError(400, f"Invalid multipart body: Too many files. Maximum number of files is {self.max_files}.")
            if self.name != "file" or self.writer is not None:
                raise ApiError(400, f"Unexpected file part - {self.name[:64]}")
            ctype = _decode(self.headers.get(b"content-type", b""), "latin-1") or "application/octet-stream"
            self.file_meta = (_decode(options[b"filename"], self.charset) or "file", ctype)
            self.writer = _FileWriter(self.open_file, self.max_file_bytes)
            self.in_file = True
        else:
            self.n_fields += 1
            if self.n_fields > self.max_fields:
                raise ApiError(400, f"Invalid multipart body: Too many fields. Maximum number of fields is {self.max_fields}.")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            assert self.writer is not None
            self.writer.feed(data, start, end)
            return
        if len(self.data) + (end - start) > self.max_field_bytes:
            raise _too_large(f">{self.max_file_bytes}", self.max_file_bytes)
        self.data += data[start:end]

    def on_part_end(self) -> None:
        if not self.in_file:
            self.fields.append((self.name, _decode(self.data, self.charset)))


def _spooled() -> BinaryIO:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # type: ignore[return-value]


async def read_multipart(
    headers: Mapping[str, str], stream: AsyncIterator[bytes], *, max_file_bytes: int, max_field_bytes: int,
    max_fields: int = 500, max_files: int = 4, open_file: Callable[[], Any] | None = None,
    executor: Executor | None = None,
) -> tuple[list[tuple[str, str]], FilePart | None]:
    """Read a multipart body from `stream` (see the module docs): `(fields in order, the file
    part or None)`.  `open_file()` (blocking, called in a worker thread) makes the file the
    part is written to (default, or when it returns None: a spooled temporary file);
    `executor` runs that call (None: the loop's default).  Raises ApiError 400/413; the stream's own exceptions propagate
    (the file part, if any, closed first)."""
    _, params = parse_options_header(headers.get("content-type", ""))
    charset = params.get(b"charset", b"utf-8")
    try:
        charset_name = codecs.lookup(charset.decode("latin-1") if isinstance(charset, bytes) else charset).name
    except LookupError:
        charset_name = "latin-1"
    boundary = params.get(b"boundary")
    if not boundary:
        raise ApiError(400, "Invalid multipart body: Missing boundary in multipart.")
    reader = _Reader(charset_name, max_fields=max_fields, max_files=max_files, max_field_bytes=max_field_bytes,
                     max_file_bytes=max_file_bytes, open_file=open_file or _spooled)
    loop = asyncio.get_running_loop()
    try:
        parser = MultipartParser(boundary, reader.callbacks())
        async for chunk in stream:
            parser.write(chunk)
            writer = reader.writer
            if writer is not None and writer.file is None and writer.early_bytes >= OPEN_AFTER_BYTES:
                await writer.settle(loop, executor, final=False)
        parser.finalize()
        writer = reader.writer
        if writer is None:
            return reader.fields, None
        await writer.settle(loop, executor, final=True)
        if writer.size > max_file_bytes:
            raise _too_large(writer.size, max_file_bytes)
        if writer.file is not None:
            writer.file.seek(0)
    except BaseException as exc:
        if reader.writer is not None:
            reader.writer.abandon()
        if isinstance(exc, FormParserError):
            raise ApiError(400, "Invalid multipart body: Invalid multipart data.") from None
        raise
    name, ctype = reader.file_meta
    return reader.fields, FilePart(name, ctype, writer.size, writer.file, writer.md5.hexdigest())
