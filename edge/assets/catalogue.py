"""The asset catalogue: record types and the `Catalogue` protocol.

One row per asset (`type`, `public_id` unique), the history of its versions, its tags and
context, the derived assets rendered from it, and the upload presets.  Implementations:
`edge.assets.sql.SqlCatalogue` (SQLite file or PostgreSQL, chosen by a location string through
`edge.assets.factory.catalogue_from_location`).

Conventions (every implementation):

* Everything is blocking: call it from a worker thread, never on the event loop.
* `type` is the delivery type (`upload`, `private`, `authenticated`); `resource_type` is `image`.
* Times are timezone-aware UTC `datetime`s; `version` is unix seconds (int) and strictly
  increasing per asset, also for two publishes within one second (the next version is
  `max(now, previous + 1)`).
* Every write runs in one transaction; concurrent writers on several nodes are serialised by
  constraints and row locks (PostgreSQL `SELECT ... FOR UPDATE`, SQLite `BEGIN IMMEDIATE`), so
  none of their changes is lost.
* Originals are stored under a key derived from the version_id (`original_key` in
  `edge.storage.writable`), never from the public_id: rename touches only the catalogue and
  each version's bytes have their own key.  Derived-cache keys of catalogue assets use
  `AssetRecord.cache_version` (version_id + row revision) as their version part, so a new
  version, a re-upload after destroy (even in the same second) or a tag/context/coordinates
  change never meets an old derivative.

The record types live in `edge.assets.records` and the errors in `edge.assets.errors`; both are
re-exported here, the names every caller imports.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Protocol, Sequence, runtime_checkable

from edge.assets.errors import (
    AssetExists, AssetMissing, CatalogueError, CatalogueUnavailable, PresetExists, PresetMissing,
)
from edge.assets.records import (
    DELIVERY_TYPES, AssetDraft, AssetRecord, Box, DerivedRecord, Direction, Publication, Removed,
    RenameResult, TagResult, UploadPreset, Usage, VersionRecord, new_asset_id, new_version_id,
)

__all__ = [
    "DELIVERY_TYPES", "Box", "AssetRecord", "AssetDraft", "VersionRecord", "DerivedRecord",
    "UploadPreset", "Publication", "Removed", "RenameResult", "TagResult", "Usage",
    "CatalogueError", "AssetMissing", "AssetExists", "PresetExists", "PresetMissing",
    "CatalogueUnavailable", "Catalogue", "new_asset_id", "new_version_id",
]


@runtime_checkable
class Catalogue(Protocol):
    """The asset catalogue (see the module docs for conventions).  All methods are blocking.

    Lookups return None for a missing asset; writes on a missing asset raise `AssetMissing`
    unless documented otherwise.  Tags are case-sensitive strings; context keys and values
    are strings.  `list` cursors are opaque strings valid for the same filter and direction.
    """

    location: str

    # -- lookups ---------------------------------------------------------------------------
    def get(self, type: str, public_id: str) -> AssetRecord | None:
        """The asset `(type, public_id)` or None."""

    def get_by_asset_id(self, asset_id: str) -> AssetRecord | None:
        """The asset with this asset_id or None."""

    def get_many(self, type: str, public_ids: Iterable[str]) -> dict[str, AssetRecord]:
        """The existing assets among `public_ids`, keyed by public_id."""

    def versions(self, asset_id: str) -> list[VersionRecord]:
        """Every version of the asset, newest first (current first); [] when unknown."""

    def get_version(self, asset_id: str, version: int) -> VersionRecord | None:
        """One version of the asset by its `version` number, or None."""

    def kept_version_ids(self, version_ids: Iterable[str]) -> set[str]:
        """Those of `version_ids` whose bytes the catalogue still references (a current
        version, or a past one kept by backup); the others' stored originals are garbage
        (see `edge.assets.originals.sweep_orphans`)."""

    def list(
        self, *, type: str | None = None, prefix: str | None = None, tag: str | None = None,
        context_key: str | None = None, context_value: str | None = None,
        public_ids: Sequence[str] | None = None, direction: Direction = "desc",
        max_results: int = 10, cursor: str | None = None,
    ) -> tuple[list[AssetRecord], str | None]:
        """Assets matching every given filter, in creation order (`desc`: newest asset
        first), at most `max_results` (1..500); returns `(records, next_cursor)` where
        next_cursor is None at the end.  `prefix` matches the start of public_id literally
        (no wildcards).  Raises `ValueError` for a malformed cursor or bad max_results."""

    # -- versions --------------------------------------------------------------------------
    def publish(self, draft: AssetDraft, *, overwrite: bool = True, keep_previous: bool = False) -> Publication:
        """Make `draft` the current version of `(draft.type, draft.public_id)` atomically.

        A new asset gets a new asset_id; an existing one keeps it and gets the next version
        (`max(now, previous + 1)`) — unless `overwrite=False`, when nothing changes and the
        result has `existing=True`.  Two nodes publishing the same public_id concurrently
        both succeed as successive versions (or, with overwrite=False, exactly one creates
        it).  `keep_previous` marks the replaced version's bytes as kept (backup).
        Raises `ValueError` for an unknown delivery type, `CatalogueUnavailable`."""

    def set_analysis(
        self, asset_id: str, version: int, data: Mapping[str, Any], *,
        auto_tags: Sequence[str] = (),
    ) -> AssetRecord | None:
        """Merge `data` into the stored analysis of the asset's version `version` (top-level
        keys replace; `info` merged one level deeper) and add `auto_tags` to its tags (and to
        `auto_tags`).  No-op returning None when the asset is gone or `version` is no longer
        current (a late result never lands on a newer version)."""

    def update(self, type: str, public_id: str, **fields: Any) -> AssetRecord:
        """Change fields of the current version without a new version.  Accepted fields:
        `tags` (replaces all; sequence), `context` (replaces; mapping), `metadata` (merged;
        a None value removes a key), `coordinates_custom`, `coordinates_faces`,
        `asset_folder`, `display_name`, `access_mode`, `moderation`, `placeholder`, `extra`
        (merged).  Raises `AssetMissing`, `ValueError` for an unknown field."""

    def rename(
        self, type: str, from_public_id: str, to_public_id: str, *, overwrite: bool = False,
        to_type: str | None = None,
    ) -> RenameResult:
        """Move an asset to a new public_id (and delivery type), keeping asset_id, version,
        tags, context, analysis and derived records.  Raises `AssetMissing` (no source),
        `AssetExists` (target taken and not overwrite).  With overwrite the target asset is
        removed in the same transaction and returned in `replaced`."""

    def delete(
        self, type: str, *, public_ids: Sequence[str] | None = None, prefix: str | None = None,
        all: bool = False, limit: int | None = None,
    ) -> list[Removed]:
        """Delete assets of one delivery type given by exactly one of `public_ids`, `prefix`
        or `all=True`; returns what was deleted (public_ids not found are simply absent).
        `limit` deletes at most that many (oldest first) so a huge prefix/all is done in
        bounded batches (`partial` answers: call again while it returns `limit` items).
        Raises `ValueError` when no or several selectors are given."""

    # -- tags and context ------------------------------------------------------------------
    def add_tags(self, type: str, public_ids: Sequence[str], tags: Sequence[str]) -> TagResult:
        """Add tags to every existing asset of `public_ids`, in one transaction."""

    def remove_tags(self, type: str, public_ids: Sequence[str], tags: Sequence[str]) -> TagResult:
        """Remove tags from the assets (absent tags are ignored)."""

    def replace_tags(self, type: str, public_ids: Sequence[str], tags: Sequence[str]) -> TagResult:
        """Set the assets' tags to exactly `tags`."""

    def remove_all_tags(self, type: str, public_ids: Sequence[str]) -> TagResult:
        """Remove every tag of the assets."""

    def add_context(self, type: str, public_ids: Sequence[str], context: Mapping[str, str]) -> TagResult:
        """Set the given context keys on the assets (other keys are kept)."""

    def remove_context(self, type: str, public_ids: Sequence[str], keys: Sequence[str] | None = None) -> TagResult:
        """Remove the given context keys (all keys when `keys` is None)."""

    def tags_list(
        self, *, prefix: str | None = None, max_results: int = 10, cursor: str | None = None,
    ) -> tuple[list[str], str | None]:
        """Distinct tags in use (sorted), optionally starting with `prefix`;
        `(tags, next_cursor)` like `list`."""

    # -- derived assets --------------------------------------------------------------------
    def add_derived(
        self, asset_id: str, version_id: str, *, transformation: str, format: str, bytes: int,
        width: int, height: int, cache_key: str,
    ) -> DerivedRecord | None:
        """Record a derived asset (idempotent per `cache_key`: a second add updates it);
        None when the asset is gone."""

    def list_derived(self, asset_id: str, *, max_results: int = 500, cursor: str | None = None
                     ) -> tuple[list[DerivedRecord], str | None]:
        """The recorded derived assets of an asset, oldest first."""

    def delete_derived(self, asset_id: str, *, ids: Sequence[str] | None = None,
                       transformations: Sequence[str] | None = None) -> list[DerivedRecord]:
        """Forget derived records (all of the asset, those `ids`, or those whose canonical
        transformation is in `transformations`); returns the removed records so the caller
        purges their cache entries."""

    # -- upload presets --------------------------------------------------------------------
    def create_preset(self, name: str, *, unsigned: bool = False, settings: Mapping[str, Any] | None = None) -> UploadPreset:
        """Create an upload preset; raises `PresetExists`."""

    def get_preset(self, name: str) -> UploadPreset | None:
        """The preset or None."""

    def list_presets(self, *, max_results: int = 10, cursor: str | None = None) -> tuple[list[UploadPreset], str | None]:
        """Presets sorted by name, `(presets, next_cursor)`."""

    def update_preset(self, name: str, *, unsigned: bool | None = None, settings: Mapping[str, Any] | None = None,
                      replace: bool = False) -> UploadPreset:
        """Change a preset: `settings` merged into the stored ones (replaced when `replace`;
        a None value removes a key).  Raises `PresetMissing`."""

    def delete_preset(self, name: str) -> bool:
        """Delete a preset; False when it did not exist."""

    # -- housekeeping ----------------------------------------------------------------------
    def usage(self) -> Usage:
        """Counts for the usage endpoint."""

    def check(self) -> None:
        """Raise `CatalogueUnavailable` unless the database answers (for `/readyz`)."""

    def close(self) -> None:
        """Release connections."""
