"""The byte store protocol of the derived-asset cache tiers (memory, disk, S3, or a
`module:callable` of your own, see `edge.seams`), also handed to other caches (vision's
detection cache): `name`, `get(key) -> bytes | None`, `put(key, data)`, `delete(key) -> bool`,
`check()`."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["ByteStore"]


@runtime_checkable
class ByteStore(Protocol):
    """A blocking key -> bytes store.  Keys are short ASCII strings (`[A-Za-z0-9._-]`, hex
    digests preferably); a store may hash or shard them.  `get` returns None for a miss (never
    partial data); `put` replaces atomically; `delete` removes a key and returns False when it
    was absent (used by purges, `edge.assets.invalidate`); `check` raises
    OSError/`OriginUnavailable` when the store is not usable (used by `/readyz`).  `name` is
    the tier label used in metrics and the `X-Edge-Cache` header (`memory`, `disk`, `s3`)."""

    name: str

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes) -> None: ...

    def delete(self, key: str) -> bool: ...

    def check(self) -> None: ...
