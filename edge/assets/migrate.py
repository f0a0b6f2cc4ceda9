"""Run the catalogue's Alembic migrations programmatically (no alembic.ini at run time).

`upgrade(engine)` brings the database to the newest revision under a lock, so several
processes opening one fresh catalogue at once migrate it exactly once: SQLite takes the write
lock (`BEGIN IMMEDIATE`, see `edge.assets.sql`), PostgreSQL a transaction-scoped advisory lock.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

__all__ = ["upgrade", "current_revision", "head_revision", "alembic_config"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Key of the PostgreSQL advisory lock held while migrating (arbitrary constant: "EDGE").
_PG_LOCK_KEY = 0x45444745


def alembic_config() -> Config:
    """An Alembic `Config` pointing at `edge/assets/migrations` (for `alembic` commands run
    from Python, e.g. `command.revision(alembic_config(), "msg", autogenerate=True)`)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest revision id of the package's migrations."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: sa.Connection) -> str | None:
    """The revision the database is at (None for an empty database)."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine) -> None:
    """Migrate the database behind `engine` to the head revision (no-op when already there).

    Raises SQLAlchemy errors when the database is unreachable."""
    head = head_revision()
    with engine.connect() as conn:
        if current_revision(conn) == head:
            conn.rollback()
            return
        conn.rollback()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        if current_revision(conn) == head:
            return
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
