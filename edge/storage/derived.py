"""Derived assets (rendered variants) as cache entries, and their cache keys."""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import asdict, dataclass
from typing import Protocol

__all__ = ["DerivedAsset", "EncodedVariant", "derived_key"]

_MAGIC = b"EDG1"
_HEAD = struct.Struct(">4sI")
#: Bytes counted per memory-tier entry beyond its data (the object, its strings, the LRU's
#: bookkeeping; measured ~0.5 KiB with `sys.getsizeof` of the parts).
ENTRY_OVERHEAD = 512
#: Distinct JSON headers whose parse `DerivedAsset.decode` remembers (a disk-tier hit then
#: parses nothing: ~9 us of its CPU, issue 16); emptied when it grows past this.
_HEAD_MEMO_ENTRIES = 4096
_head_memo: dict[bytes, tuple[int, dict[str, object]]] = {}


class EncodedVariant(Protocol):
    """What a renderer hands over (`edge.render.Rendered` is one; storage never imports
    render): encoded `data`, its `content_type` and `format`, `width` x `height` px, the
    `attachment` name, `vary_accept` and the `notice` (meanings as in `DerivedAsset`)."""

    data: bytes
    content_type: str
    format: str
    width: int
    height: int
    attachment: str | None
    vary_accept: bool
    notice: str | None


@dataclass(frozen=True, slots=True)
class DerivedAsset:
    """A rendered variant and the metadata needed to answer with it.

    * `data`: encoded bytes; `content_type`: MIME type; `format`: `jpg`, `webp`, ...
    * `width`, `height`: output size in px.
    * `etag`: strong validator (hex SHA-1 of `data`, without quotes).
    * `attachment`: download file name for `fl_attachment`, or None.
    * `vary_accept`: True when the bytes depended on the Accept header (f_auto).
    * `notice`: a short note on how the render departed from the request (sent as
      `X-Edge-Notice`, e.g. an extraction that fell back to the salient subject), or None.
    """

    data: bytes
    content_type: str
    format: str
    width: int
    height: int
    etag: str
    attachment: str | None = None
    vary_accept: bool = False
    notice: str | None = None

    @property
    def nbytes(self) -> int:
        """Bytes this entry weighs in the memory tier: `data` plus `ENTRY_OVERHEAD` for the
        object and its strings."""
        return len(self.data) + ENTRY_OVERHEAD

    @classmethod
    def from_rendered(cls, rendered: EncodedVariant) -> "DerivedAsset":
        """The cache entry of a rendered variant: its fields, and `etag` = SHA-1 hex of its
        `data` (the one place that copies a render result into a derived asset)."""
        return cls(
            data=rendered.data, content_type=rendered.content_type, format=rendered.format,
            width=rendered.width, height=rendered.height, etag=hashlib.sha1(rendered.data).hexdigest(),
            attachment=rendered.attachment, vary_accept=rendered.vary_accept, notice=rendered.notice,
        )

    def encode(self) -> bytes:
        """Serialise as `EDG1 | u32 header length | JSON header | data`."""
        head = asdict(self)
        del head["data"]
        head["length"] = len(self.data)
        raw = json.dumps(head, separators=(",", ":")).encode()
        return _HEAD.pack(_MAGIC, len(raw)) + raw + self.data

    @classmethod
    def decode(cls, blob: bytes | bytearray) -> "DerivedAsset | None":
        """Inverse of `encode` (also of a `bytearray`; `data` is always `bytes`); None for
        anything malformed or truncated (never raises).  The parse of each distinct JSON header
        is remembered (a bounded memo: the header holds no bytes of the image)."""
        try:
            magic, n = _HEAD.unpack_from(blob, 0)
            if magic != _MAGIC:
                return None
            raw = bytes(blob[_HEAD.size:_HEAD.size + n])
            parsed = _head_memo.get(raw)
            if parsed is None:
                head = json.loads(raw)
                parsed = (int(head.pop("length")), head)
                cls(data=b"", **head)  # the fields must make an asset before they are remembered
                if len(_head_memo) >= _HEAD_MEMO_ENTRIES:
                    _head_memo.clear()
                _head_memo[raw] = parsed
            length, fields = parsed
            start = _HEAD.size + n
            if length != len(blob) - start:
                return None
            return cls(data=bytes(memoryview(blob)[start:]), **fields)  # type: ignore[arg-type]
        except (struct.error, ValueError, TypeError, KeyError, AttributeError):
            return None


def derived_key(
    *,
    cloud_name: str,
    delivery_type: str,
    transformation: str,
    public_id: str,
    version: str,
    output: str,
    dpr: str = "",
    width_hint: str = "",
) -> str:
    """The cache key of one derived asset: SHA-256 hex over its identifying parts.

    `transformation` is the CANONICAL transformation string (so parameter order inside a
    component does not split the cache); `version` is the URL's version component ('' when
    absent: the key is needed before the origin is read, so, as on Cloudinary, clients reach
    a replaced original's derivatives through a new `v<version>` URL); `output` is the
    negotiated output: the requested extension, or for `f_auto` the class of formats Accept
    allows; `dpr` / `width_hint` the rounded client hints when `dpr_auto` / `w_auto` use them.
    The URL signature is never part of the key.
    """
    parts = [cloud_name, delivery_type, transformation, public_id, version, output, dpr, width_hint]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
