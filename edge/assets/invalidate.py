"""Derived-cache invalidation for catalogue assets (memory, disk, S3, every worker).

Design: the derived-cache key of a catalogue asset carries `AssetRecord.cache_version`
(`"<version_id>.<revision>"`; `edge.storage.derived_key(version=record.cache_version, ...)`),
and delivery resolves a catalogue asset's current record before computing the key.  So:

* a new version, a destroy, a rename or any change of tags/context/metadata/coordinates
  makes EVERY worker compute new keys at once: no worker can serve an old derivative,
  whatever its memory tier holds (nothing has to be broadcast between processes or nodes);
* what remains are unreachable entries.  Memory tiers age them out (LRU); `purge_asset` /
  `purge_derived` delete the known ones (the catalogue's derived records: eager renders and
  recorded delivery renders) from this worker's memory tier and from the shared disk or S3
  tier, so `invalidate=true` also frees their space.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable

from edge.assets.catalogue import Catalogue, DerivedRecord, Removed
from edge.storage.derived_cache import DerivedCache

__all__ = ["PurgeResult", "purge_derived", "purge_asset", "purge_removed"]

log = logging.getLogger("edge.assets")


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """What a purge did: `records` derived records handled, `memory` / `backing` entries
    actually deleted from this worker's memory tier / the shared disk-or-S3 tier, `errors`
    backing-tier deletions that failed (logged, not raised)."""

    records: int
    memory: int
    backing: int
    errors: int = 0


def purge_derived(cache: DerivedCache | None, records: Iterable[DerivedRecord]) -> PurgeResult:
    """Delete the cache entries of `records` (their `cache_key`s) from the memory tier and
    the backing tier.  Backing errors are logged and counted, never raised (the cache must
    not fail a destroy).  Blocking."""
    recs = list(records)
    if cache is None:
        return PurgeResult(records=len(recs), memory=0, backing=0)
    mem = back = errors = 0
    for rec in recs:
        if cache.memory.delete(rec.cache_key):
            mem += 1
        if cache.backing is None:
            continue
        try:
            if cache.backing.delete(rec.cache_key):
                back += 1
        except Exception:  # noqa: BLE001 - a broken tier must not fail the caller
            errors += 1
            log.exception("derived cache purge failed in %s tier", cache.backing.name)
    return PurgeResult(records=len(recs), memory=mem, backing=back, errors=errors)


def purge_asset(catalogue: Catalogue, cache: DerivedCache | None, asset_id: str, *,
                transformations: Iterable[str] | None = None) -> PurgeResult:
    """Forget the derived records of an asset (all, or those canonical `transformations`)
    in the catalogue and delete their cache entries (see `purge_derived`).  Use it for
    `invalidate=true` on overwrite/explicit; after `Catalogue.delete` use `purge_removed`."""
    recs = catalogue.delete_derived(asset_id, transformations=list(transformations) if transformations is not None else None)
    return purge_derived(cache, recs)


def purge_removed(cache: DerivedCache | None, removed: Iterable[Removed]) -> PurgeResult:
    """Delete the cache entries of the derived records carried by `Catalogue.delete` /
    `rename(overwrite=True)` results."""
    recs = [d for r in removed for d in r.derived]
    return purge_derived(cache, recs)
