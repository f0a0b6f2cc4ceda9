"""The record types of the asset catalogue (`edge.assets.catalogue`): the asset, the draft a
publish takes, versions, derived assets, upload presets and the results of catalogue writes,
plus the delivery types and the id generators.  Conventions (UTC times, unix-second versions,
px boxes) are those of `edge.assets.catalogue`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Mapping, Sequence

__all__ = [
    "DELIVERY_TYPES", "Box", "Direction", "AssetRecord", "AssetDraft", "VersionRecord", "DerivedRecord",
    "UploadPreset", "Publication", "Removed", "RenameResult", "TagResult", "Usage", "new_asset_id",
    "new_version_id",
]

#: Delivery types an asset may have in the catalogue.
DELIVERY_TYPES: frozenset[str] = frozenset({"upload", "private", "authenticated"})

#: One rectangle `[x, y, w, h]` in px of the stored original.
Box = list[int]

Direction = Literal["asc", "desc"]


def new_asset_id() -> str:
    """A new asset_id: 32 lowercase hex characters (128 random bits)."""
    return secrets.token_hex(16)


def new_version_id() -> str:
    """A new version_id: 32 lowercase hex characters (128 random bits)."""
    return secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class AssetRecord:
    """The current version of one asset as the catalogue stores it.

    * `asset_id`: 32 hex, stable across versions (changes only after destroy + re-upload).
    * `resource_type`: `image`; `type`: delivery type `upload` | `private` | `authenticated`.
    * `public_id`: may contain `/`, no extension.
    * `version`: unix seconds (int) of this version; `version_id`: 32 hex, new per version.
    * `format`: `jpg`, `png`, ...; `width`, `height`: px; `bytes`: size of the original;
      `etag`: MD5 hex of the original bytes; `pages`: frames/pages (1 for a still).
    * `created_at`: UTC time this version was published.
    * `tags`: sorted tuple (includes `auto_tags`); `context`: custom context `{key: value}`;
      `metadata`: structured metadata (opaque JSON object).
    * `coordinates_custom`, `coordinates_faces`: lists of `[x, y, w, h]` px.
    * `asset_folder` (`""` default), `display_name`, `original_filename` (None if discarded),
      `access_mode` (`public` | `authenticated`).
    * `moderation`: `[{"kind": ..., "status": "pending"|"approved"|"rejected"}]`.
    * `analysis`: semantic data stored for THIS version (`colors`, `phash`, `info`, ...),
      reset when a new version is published.
    * `auto_tags`: the tags of `tags` that analysis added automatically (auto_tagging).
    * `placeholder`: bool.
    * `updated_at`: UTC time of the last change to the row (tags, context, update, ...).
    * `extra`: other stored upload parameters kept opaque (`regions`, `access_control`, ...).
    * `revision`: a counter bumped by EVERY change of the row (publish, tags, context,
      update, analysis, rename).  Tags, context, metadata and coordinates feed `if_`
      conditions and `g_custom`/`g_face`, so a derivative depends on them, not only on the
      bytes: derived-cache keys use `cache_version` (`"<version_id>.<revision>"`), and any
      change makes every worker miss its old entries at once (see `edge.assets.invalidate`).
    """

    asset_id: str
    type: str
    public_id: str
    version: int
    version_id: str
    format: str
    width: int
    height: int
    bytes: int
    etag: str
    created_at: datetime
    resource_type: str = "image"
    pages: int = 1
    tags: tuple[str, ...] = ()
    context: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    coordinates_custom: list[Box] = field(default_factory=list)
    coordinates_faces: list[Box] = field(default_factory=list)
    asset_folder: str = ""
    display_name: str = ""
    original_filename: str | None = None
    access_mode: str = "public"
    moderation: list[dict[str, str]] = field(default_factory=list)
    analysis: dict[str, Any] = field(default_factory=dict)
    auto_tags: tuple[str, ...] = ()
    placeholder: bool = False
    updated_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    revision: int = 0

    @property
    def cache_version(self) -> str:
        """The version part of this asset's derived-cache keys: `"<version_id>.<revision>"`
        (pass it as `version=` to `edge.storage.derived_key`)."""
        return f"{self.version_id}.{self.revision}"


@dataclass(frozen=True, slots=True)
class AssetDraft:
    """What `Catalogue.publish` needs to make a new version (the catalogue allocates
    `version`, `created_at` and, for a new asset, `asset_id`).

    `version_id` is chosen by the caller BEFORE the original is written (its storage key is
    derived from it, see `edge.storage.writable.original_key`).  Fields left as None keep the
    previous version's value when an existing asset is overwritten (and take the
    `AssetRecord` default for a new asset); a given value replaces it.  `tags` includes
    `auto_tags`.  `analysis` is stored as the new version's analysis (default `{}`).
    """

    type: str
    public_id: str
    version_id: str
    format: str
    width: int
    height: int
    bytes: int
    etag: str
    pages: int = 1
    resource_type: str = "image"
    tags: Sequence[str] | None = None
    context: Mapping[str, str] | None = None
    metadata: Mapping[str, Any] | None = None
    coordinates_custom: Sequence[Box] | None = None
    coordinates_faces: Sequence[Box] | None = None
    asset_folder: str | None = None
    display_name: str | None = None
    original_filename: str | None = None
    access_mode: str | None = None
    moderation: Sequence[Mapping[str, str]] | None = None
    analysis: Mapping[str, Any] | None = None
    auto_tags: Sequence[str] | None = None
    placeholder: bool | None = None
    extra: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One version of an asset (current or past).

    `kept` is True while the version's original bytes are still stored (always for the
    current version; for a past one only when it was published with `keep_previous=True`,
    i.e. `backup`).  Sizes in px / bytes, `created_at` UTC.
    """

    asset_id: str
    version: int
    version_id: str
    format: str
    width: int
    height: int
    bytes: int
    etag: str
    created_at: datetime
    kept: bool = True


@dataclass(frozen=True, slots=True)
class DerivedRecord:
    """A derived asset (eager or recorded delivery render) of one asset version.

    `transformation`: the canonical transformation string (no extension); `format`: output
    format; `bytes`, `width`, `height`: of the rendered file; `cache_key`: its key in the
    derived cache (`edge.storage.derived_key`); `version_id`: the source version;
    `created_at` UTC; `id`: catalogue id (str) used by `delete_derived`.
    """

    id: str
    asset_id: str
    version_id: str
    transformation: str
    format: str
    bytes: int
    width: int
    height: int
    cache_key: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UploadPreset:
    """A named upload preset: `unsigned` allows unsigned uploads; `settings` holds the
    upload parameters it supplies (`{"folder": "x", "tags": "a,b", ...}`, wire names)."""

    name: str
    unsigned: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Publication:
    """Result of `Catalogue.publish`.

    * `record`: the asset now current (the new version; or, when `existing`, the untouched
      current one).
    * `previous`: the version that was replaced (None for a new asset or when `existing`);
      its bytes must be deleted by the caller unless `previous.kept`.
    * `existing`: True when overwrite=False met an asset already there (nothing written; the
      caller deletes the bytes it stored for the draft and answers `"existing": true`).
    * `created`: True when the asset did not exist before.
    """

    record: AssetRecord
    previous: VersionRecord | None = None
    existing: bool = False
    created: bool = False


@dataclass(frozen=True, slots=True)
class Removed:
    """One asset removed by `delete` (or replaced by an overwriting rename): its last record,
    every version whose bytes are still stored (`kept`), and its derived records (their cache
    entries are for the caller to purge, see `edge.assets.invalidate.purge_asset`)."""

    record: AssetRecord
    versions: tuple[VersionRecord, ...] = ()
    derived: tuple[DerivedRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class RenameResult:
    """Result of `rename`: the renamed `record` (same asset_id and version), and `replaced`,
    the asset that was at the target and was removed because overwrite=True (or None)."""

    record: AssetRecord
    replaced: Removed | None = None


@dataclass(frozen=True, slots=True)
class TagResult:
    """Result of a tag or context operation: the public_ids that exist and were processed
    (in request order), and those that were not found."""

    public_ids: tuple[str, ...]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Usage:
    """Counts for `GET usage`: `resources` (assets), `derived_resources`, `storage_bytes`
    (sum of stored originals incl. kept versions), `derived_bytes`, `presets`."""

    resources: int
    derived_resources: int
    storage_bytes: int
    derived_bytes: int
    presets: int
