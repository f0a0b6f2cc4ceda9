"""Streaming `multipart/form-data` reader of the API bodies (what the SDKs send), on
python-multipart's push parser.

Text fields are collected in memory (each at most `max_field_bytes`).  The one file part (field
`file`) is never held whole: its bytes are gathered in 1 MiB batches and each batch is written,
off the event loop on `executor`, into the file `open_file()` returns (the upload endpoint
passes the writable origin's staging file, `edge.storage.writable.WritableDiskOrigin.stage`,
so an upload is written once, in the origin, and published by rename; the default is a spooled
temporary file) while the MD5 of the bytes (the asset's `etag`) is computed on the way.  The
next batch is received while the previous one is written.  The parser's slices of the received
chunks are copied once, into the batch buffer (two per upload, reused from a small pool, so
their pages are mapped once per process, not per upload), which is written with no further
copy (`StagedFile.write_parts`) and hashed from the same buffer.
A file part above `max_file_bytes`
stops being written at once; the part is still counted to its end so the 413 names its size.

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

__all__ = ["FilePart", "read_multipart", "BATCH_BYTES", "SPOOL_BYTES"]

#: Bytes of a file part gathered before one write (one thread hop per batch: a 2 MB photo
#: takes 2-3; at most two batches per upload are held, one gathered, one being written).
BATCH_BYTES = 1 << 20
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
    """Reused batch buffers (`bytearray`s of `size` bytes; at most `keep` kept free).  A
    buffer whose pages are already mapped costs nothing to fill again, whereas holding the
    received chunks themselves until their batch is written made the allocator map fresh
    pages for every chunk (~5800 page faults, several ms of system CPU per 2 MB upload)."""

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


_POOL = _BufferPool(BATCH_BYTES, keep=8)


class _FileWriter:
    """The file part being received, double-buffered: the parser's slices are copied once
    into the batch buffer being filled (`feed`) while the previous one is written and hashed
    by `_put` in a worker thread (one write at a time, in order; buffers from `_POOL`)."""

    def __init__(self, open_file: Callable[[], Any], max_bytes: int) -> None:
        self.open_file = open_file
        self.max_bytes = max_bytes
        self.file: Any = None
        self.md5 = hashlib.md5()
        self.size = 0  # bytes received (also past the limit)
        self.cur: bytearray | None = None  # the batch being filled ...
        self.fill = 0  # ... up to here
        self.spill: list[Any] = []  # what did not fit in `cur` (views, or copies of mutable buffers)
        self.inflight: bytearray | None = None  # the batch `pending` is writing
        self.pending: asyncio.Future[None] | None = None
        # `_put` (worker thread) and `abandon` (event loop) exclude each other: a write still
        # running when the request is cancelled finds the part abandoned and writes nothing
        self._lock = threading.Lock()
        self._abandoned = False

    def _put(self, buf: bytearray | None, n: int) -> None:  # blocking, in a worker thread
        with self._lock:
            if self._abandoned:
                return
            if self.file is None:  # an origin without local staging (S3) answers None: spool it
                self.file = self.open_file() or _spooled()
            if not n or buf is None:
                return
            view = memoryview(buf)[:n]
            if isinstance(self.file, StagedFile):  # in the origin: start its writeback now
                self.file.write_parts([view], writeback=True)
            else:
                self.file.write(view)
            self.md5.update(view)

    def _copy_in(self, view: memoryview) -> memoryview | None:
        """Copy what fits of `view` into `cur`; the rest (a view) or None."""
        assert self.cur is not None
        k = min(len(self.cur) - self.fill, len(view))
        if k:
            self.cur[self.fill:self.fill + k] = view[:k]
            self.fill += k
        return view[k:] if k < len(view) else None

    def feed(self, data: bytes, start: int, end: int) -> None:
        n = end - start
        self.size += n
        if self.size > self.max_bytes:
            self.fill = 0  # over the limit: nothing more is kept (413 at the end)
            self.spill.clear()
            return
        if n <= 0:
            return
        if self.cur is None:
            self.cur = _POOL.take()
        view = memoryview(data)[start:end]
        rest = view if self.spill else self._copy_in(view)
        if rest is not None:  # `cur` is full: kept until `flush` hands it on
            self.spill.append(rest if type(data) is bytes else bytes(rest))

    async def flush(self, loop: asyncio.AbstractEventLoop, executor: Executor | None, *, final: bool) -> None:
        while self.cur is not None and (self.fill == len(self.cur) or (final and (self.fill or self.spill))):
            if self.pending is not None:
                await self.pending  # one write at a time, in order
                self.pending = None
            if self.size > self.max_bytes:
                return
            full, n = self.cur, self.fill
            self.pending = loop.run_in_executor(executor, self._put, full, n)
            self.cur, self.inflight, self.fill = self.inflight or _POOL.take(), full, 0
            spill, self.spill = self.spill, []
            for i, part in enumerate(spill):
                rest = self._copy_in(memoryview(part))
                if rest is not None:
                    self.spill = [rest, *spill[i + 1:]]
                    break
        if not final:
            return
        if self.pending is not None:
            await self.pending
            self.pending = None
        if self.file is None and self.size <= self.max_bytes:  # an empty part: its (empty) file
            await loop.run_in_executor(executor, self._put, None, 0)
        _POOL.give(self.cur)
        _POOL.give(self.inflight)
        self.cur = self.inflight = None

    def abandon(self) -> None:
        """Close (discard) the file, now or, when a write is running, as soon as it ends; no
        later write happens.  Synchronous on purpose: it also runs in a cancelled request,
        where every await would be cancelled again (waits at most for one batch's write)."""
        with self._lock:
            self._abandoned = True
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
    part is written to (default, or when it returns None: a spooled temporary file); `executor` runs the writes (None:
    the loop's default).  Raises ApiError 400/413; the stream's own exceptions propagate
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
            if reader.writer is not None:
                await reader.writer.flush(loop, executor, final=False)
        parser.finalize()
        writer = reader.writer
        if writer is None:
            return reader.fields, None
        await writer.flush(loop, executor, final=True)
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
