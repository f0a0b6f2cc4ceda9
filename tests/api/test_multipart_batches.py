"""`edge.api.multipart.read_multipart` driven directly with real photos cut into chunks of
many sizes: every byte reaches the file once, in order, and the MD5 (the etag) is that of the
photo, whether a chunk is a few bytes, straddles a batch buffer, or is larger than two batches
(the spill path), into a spooled file or a writable origin's staging file; an empty file part
still gets its (empty) file; a part over the limit is a 413 and leaves nothing staged."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import AsyncIterator

import pytest
import urllib3

from edge.api.errors import ApiError
from edge.api.multipart import BATCH_BYTES, read_multipart
from edge.storage.writable import WritableDiskOrigin, original_key

IMAGES = Path(__file__).resolve().parents[1] / "images"
LARGE = IMAGES / "large_5312x2988_seeding.jpg"  # 1.4 MB: more than one batch
SMALL = IMAGES / "birds_coco_000143.jpg"


def _body(data: bytes, filename: str = "photo.jpg") -> tuple[bytes, dict[str, str]]:
    body, ctype = urllib3.encode_multipart_formdata({"public_id": "x", "file": (filename, data, "image/jpeg")})
    return body, {"content-type": ctype}


async def _chunks(body: bytes, sizes: list[int]) -> AsyncIterator[bytes]:
    i = k = 0
    while i < len(body):
        n = sizes[k % len(sizes)]
        yield body[i:i + n]
        i += n
        k += 1


def _read(body: bytes, headers: dict[str, str], sizes: list[int], **kw):  # type: ignore[no-untyped-def]
    return asyncio.run(read_multipart(headers, _chunks(body, sizes), max_file_bytes=kw.pop("max_file_bytes", 20 << 20),
                                      max_field_bytes=1 << 20, **kw))


@pytest.mark.parametrize("sizes", [[65536], [1], [7, 4093, 300_001], [BATCH_BYTES - 1, 3], [3 * BATCH_BYTES]],
                         ids=["64k", "1-byte-head", "odd", "straddle", "one-huge-chunk"])
def test_every_byte_once_in_order(sizes: list[int]) -> None:
    data = (SMALL if sizes == [1] else LARGE).read_bytes()
    body, headers = _body(data)
    if sizes == [1]:  # byte-by-byte only over the headers and the first 64 KiB, then big chunks
        sizes = [1] * 700 + [65536]
    fields, part = _read(body, headers, sizes)
    try:
        assert dict(fields) == {"public_id": "x"}
        assert part is not None and part.size == len(data)
        assert part.md5 == hashlib.md5(data).hexdigest()
        assert part.read() == data
    finally:
        part.file.close()


def test_staged_into_the_origin_and_published_by_rename(tmp_path: Path) -> None:
    origin = WritableDiskOrigin(tmp_path)
    data = LARGE.read_bytes()
    body, headers = _body(data)
    vid = "ab" * 16
    _, part = _read(body, headers, [200_000], open_file=lambda: origin.stage(vid))
    assert part.md5 == hashlib.md5(data).hexdigest()
    key = original_key(vid, "jpg")
    assert origin.put_file(key, part.file) == len(data)
    assert origin.load_key(key).data == data
    assert not list((tmp_path / ".edge-originals").glob("*/.tmp-*"))  # renamed, not copied


def test_empty_file_part_gets_an_empty_file() -> None:
    body, headers = _body(b"")
    _, part = _read(body, headers, [65536])
    assert part is not None and part.size == 0 and part.read() == b""
    assert part.md5 == hashlib.md5(b"").hexdigest()
    part.file.close()


def test_over_the_limit_is_413_and_nothing_is_left(tmp_path: Path) -> None:
    origin = WritableDiskOrigin(tmp_path)
    data = LARGE.read_bytes()
    body, headers = _body(data)
    with pytest.raises(ApiError) as err:
        _read(body, headers, [65536], max_file_bytes=BATCH_BYTES + 10, open_file=lambda: origin.stage("cd" * 16))
    assert err.value.status == 413 and str(len(data)) in str(err.value)
    assert not list(tmp_path.rglob(".tmp-*"))
