"""The tiny generic byte store API shared by the derived-asset cache and other caches
(e.g. vision's detection cache): `get(key) -> bytes | None`, `put(key, data)`, `check()`."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["ByteStore"]


@runtime_checkable
class ByteStore(Protocol):
    """A blocking key -> bytes store.  Keys are short ASCII strings (`[A-Za-z0-9._-]`, hex
    digests preferably); a store may hash or shard them.  `get` returns None for a miss (never
    partial data); `put` replaces atomically; `check` raises OSError/`OriginUnavailable` when the
    store is not usable (used by `/readyz`).  `name` is the tier label used in metrics."""

    name: str

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes) -> None: ...

    def check(self) -> None: ...
