"""Storing and removing originals: the writable origin and the catalogue in the order that
makes a crash harmless.

`store_original` writes the bytes under a NEW key first (atomic), then publishes the catalogue
row (one transaction), then deletes what is no longer referenced.  A crash before the publish
leaves an unreferenced new key (garbage, never served) and the old asset intact; a crash
after it leaves the new asset complete (and maybe the old version's bytes as garbage).  There
is never a catalogue row without its bytes, nor a half-written original.
"""

from __future__ import annotations

import logging
import time
from typing import BinaryIO, Iterable

from edge.assets.catalogue import (
    AssetDraft, AssetRecord, Catalogue, CatalogueUnavailable, Publication, Removed, VersionRecord,
)
from edge.storage.errors import StorageError
from edge.storage.origin import Source
from edge.storage.writable import WritableOrigin, original_key

__all__ = ["store_original", "load_original", "remove_originals", "key_of", "sweep_orphans"]

log = logging.getLogger("edge.assets")


def key_of(item: AssetRecord | VersionRecord) -> str:
    """The storage key of a record's or version's original (`original_key(version_id, format)`)."""
    return original_key(item.version_id, item.format)


def store_original(origin: WritableOrigin, catalogue: Catalogue, draft: AssetDraft, fileobj: BinaryIO, *,
                   overwrite: bool = True, backup: bool = False) -> Publication:
    """Write `fileobj` (read to EOF in chunks) as the original of `draft` and publish it.

    `draft.version_id`/`format` choose the key; `overwrite=False` on an existing asset
    returns `Publication(existing=True)` and deletes the bytes just written; `backup` keeps
    the replaced version's bytes (else they are deleted after the publish).  Raises the
    origin's `StorageError`s (nothing published) or the catalogue's errors (the new bytes
    are deleted again, best effort — except after `CatalogueUnavailable`, when the commit may
    have happened: they stay, for `sweep_orphans` to judge).  Blocking.
    """
    key = original_key(draft.version_id, draft.format)
    origin.put_file(key, fileobj)
    try:
        pub = catalogue.publish(draft, overwrite=overwrite, keep_previous=backup)
    except CatalogueUnavailable:
        # ambiguous: the commit may have landed before the connection broke.  Keep the bytes;
        # if no row references them, sweep_orphans removes them later.
        raise
    except BaseException:
        _delete_quietly(origin, key)
        raise
    if pub.existing:
        _delete_quietly(origin, key)
    elif pub.previous is not None and not pub.previous.kept:
        _delete_quietly(origin, key_of(pub.previous))
    return pub


def load_original(origin: WritableOrigin, item: AssetRecord | VersionRecord) -> Source:
    """The stored bytes of a record's (current) or a kept version's original; raises
    `AssetNotFound` when they are gone (a version that was not kept)."""
    return origin.load_key(key_of(item))


def remove_originals(origin: WritableOrigin, removed: Iterable[Removed]) -> int:
    """Delete the stored bytes of every kept version of the removed assets; returns how many
    objects were deleted (failures are logged, not raised: the rows are already gone and the
    leftovers are unreachable)."""
    n = 0
    for r in removed:
        for v in r.versions:
            n += 1 if _delete_quietly(origin, key_of(v)) else 0
    return n


def sweep_orphans(origin: WritableOrigin, catalogue: Catalogue, *, older_than_s: float = 3600.0,
                  dry_run: bool = False) -> list[str]:
    """Delete stored originals no catalogue row references (left by a crash between the write
    and the publish, or by a failed delete) that are older than `older_than_s` seconds (so an
    upload between its write and its publish is never touched).  Returns the keys deleted
    (or, with `dry_run`, those that would be).  Blocking; lists the whole originals tree."""
    cutoff = time.time() - older_than_s
    batch: list[tuple[str, str]] = []
    gone: list[str] = []

    def flush() -> None:
        kept = catalogue.kept_version_ids(v for _, v in batch)
        for key, vid in batch:
            if vid not in kept and (dry_run or _delete_quietly(origin, key)):
                gone.append(key)
        batch.clear()

    for key, mtime in origin.list_originals():
        if mtime < cutoff:
            batch.append((key, key.rsplit("/", 1)[-1].split(".", 1)[0]))
            if len(batch) >= 500:
                flush()
    if batch:
        flush()
    return gone


def _delete_quietly(origin: WritableOrigin, key: str) -> bool:
    try:
        return origin.delete(key)
    except StorageError:
        log.exception("could not delete stored original %s", key)
        return False
