"""Errors of the asset catalogue (`edge.assets.catalogue`); each carries the HTTP `status`
the API answers with."""

from __future__ import annotations

__all__ = ["CatalogueError", "AssetMissing", "AssetExists", "PresetExists", "PresetMissing", "CatalogueUnavailable"]


class CatalogueError(Exception):
    """Base class of catalogue errors; `status` is the HTTP status the API answers with."""

    status = 500


class AssetMissing(CatalogueError, LookupError):
    """No asset with that (type, public_id) or asset_id."""

    status = 404


class AssetExists(CatalogueError):
    """The target (type, public_id) is taken (rename without overwrite)."""

    status = 409


class PresetExists(CatalogueError):
    """An upload preset with that name exists."""

    status = 409


class PresetMissing(CatalogueError, LookupError):
    """No upload preset with that name."""

    status = 404


class CatalogueUnavailable(CatalogueError):
    """The database cannot be reached or stayed locked past the busy timeout."""

    status = 503
