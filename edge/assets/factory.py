"""Build the catalogue from the `catalogue` setting: a location string or a
`package.module:callable` (like `edge.storage.factory`; see `edge.seams`)."""

from __future__ import annotations

import os
from pathlib import Path

from edge.assets.catalogue import Catalogue
from edge.seams import build, is_import_path

__all__ = ["catalogue_from_location", "default_catalogue_location", "sibling_path"]


def default_catalogue_location(cache_dir: str | os.PathLike[str] = ".edge-cache") -> str:
    """The embedded default: `sqlite:///<cache_dir>/catalogue.db` (a SQLite file beside the
    cache, e.g. `sqlite:///.edge-cache/catalogue.db`)."""
    return f"sqlite:///{Path(cache_dir) / 'catalogue.db'}"


def sibling_path(location: str, name: str) -> Path | None:
    """For a SQLite location, the path of file `name` in the catalogue's folder (the embedded
    job queue lives there); None for other backends or an in-memory database."""
    if not location.startswith("sqlite:"):
        return None
    db = location.split(":///", 1)[1] if ":///" in location else ""
    if not db or db == ":memory:":
        return None
    return Path(db).expanduser().parent / name


def catalogue_from_location(location: str, *, settings: object = None, **kwargs: object) -> Catalogue:
    """`sqlite:///path.db` or `postgresql://user:pw@host:port/db` -> `SqlCatalogue` (schema
    migrated on open); `package.module:callable` -> `callable(settings)`, which must have every
    member of `Catalogue` (its `location`, a `sqlite:` or `postgresql:` URL, also places the
    durable job queue: `edge.assets.jobs.jobs_location_for`).

    Raises `ValueError` for any other scheme (`edge.seams.SeamError` for an import path that
    fails) and `CatalogueUnavailable` when the database cannot be reached.  `kwargs` go to
    `SqlCatalogue` (`busy_timeout_s`, `pool_size`)."""
    if is_import_path(location):
        return build(location, "catalogue", settings, Catalogue)  # type: ignore[no-any-return]
    from edge.assets.sql import SqlCatalogue

    return SqlCatalogue(location, **kwargs)  # type: ignore[arg-type]
