"""`SqlCatalogue`: the `Catalogue` on SQLAlchemy 2 Core, for SQLite and PostgreSQL.

Locations: `sqlite:///path/catalogue.db` (embedded default; WAL journal, busy timeout, every
write transaction `BEGIN IMMEDIATE`, so writers from several processes queue instead of failing
half-way) or `postgresql://user:pw@host:port/db` (psycopg 3 driver; READ COMMITTED with
`SELECT ... FOR UPDATE` row locks taken in a fixed order; deadlocks and serialization failures
are retried).  The schema is migrated with Alembic on open (`edge.assets.migrate`).

The class is assembled from one module per concern: `edge.assets.sql_base` (engine, transactions,
durability, row -> record), `sql_assets` (lookups and versions), `sql_tags` (tags and context),
`sql_derived` (derived assets, upload presets); `sql_values` and `sql_engine` hold the column
values and the engine set-up.
"""

from __future__ import annotations

import sqlalchemy as sa

from edge.assets.catalogue import Usage
from edge.assets.schema import asset_versions, assets, derived_assets, upload_presets
from edge.assets.sql_assets import AssetStatements
from edge.assets.sql_base import SqlBase
from edge.assets.sql_derived import DerivedStatements, PresetStatements
from edge.assets.sql_tags import TagStatements

__all__ = ["SqlCatalogue"]


class SqlCatalogue(AssetStatements, TagStatements, DerivedStatements, PresetStatements, SqlBase):
    """The `Catalogue` protocol over one SQLAlchemy engine (see the module docs).

    `location`: `sqlite:///...` or `postgresql://...` (`postgresql+psycopg://` also accepted).
    `busy_timeout_s`: how long a SQLite writer waits for the lock (then
    `CatalogueUnavailable`); `pool_size` connections per process for PostgreSQL.  `migrate`
    runs the Alembic migrations at open.  Thread-safe; fork-safe only before first use.
    """

    # -- housekeeping ----------------------------------------------------------------------
    def usage(self) -> Usage:
        """See `Catalogue.usage`."""
        with self._read() as conn:
            resources = conn.execute(sa.select(sa.func.count()).select_from(assets)).scalar() or 0
            storage = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(asset_versions.c.bytes), 0))
                                   .where(asset_versions.c.kept)).scalar() or 0
            derived, dbytes = conn.execute(sa.select(
                sa.func.count(), sa.func.coalesce(sa.func.sum(derived_assets.c.bytes), 0))).one()
            presets = conn.execute(sa.select(sa.func.count()).select_from(upload_presets)).scalar() or 0
        return Usage(resources=int(resources), derived_resources=int(derived or 0), storage_bytes=int(storage),
                     derived_bytes=int(dbytes or 0), presets=int(presets))

    def check(self) -> None:
        """See `Catalogue.check`."""
        with self._read() as conn:
            conn.execute(sa.text("SELECT 1"))

    def close(self) -> None:
        """See `Catalogue.close`."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlCatalogue({self.engine.url.render_as_string(hide_password=True)!r})"
