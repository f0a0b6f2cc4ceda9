"""Run the catalogue's Alembic migrations programmatically (no alembic.ini at run time).

`upgrade(engine)` brings the database to the newest revision under a lock, so several
processes opening one fresh catalogue at once migrate it exactly once: SQLite takes the write
lock (`BEGIN IMMEDIATE`, see `edge.assets.sql`), PostgreSQL a transaction-scoped advisory lock.

Alembic is imported only when a database is not at `HEAD_REVISION` (a fresh or older
catalogue): every worker opens the catalogue, and one already at head is recognised by one
`SELECT` of Alembic's own `alembic_version` table, so a serving worker never loads Alembic
(and Mako), about 12 MB of its RSS.  `HEAD_REVISION` is the newest revision of
`edge/assets/migrations/versions`; tests/assets/test_catalogue.py checks it against Alembic's
script directory, so a new migration without a new constant fails there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

__all__ = ["upgrade", "current_revision", "head_revision", "alembic_config", "HEAD_REVISION"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Key of the PostgreSQL advisory lock held while migrating (arbitrary constant: "EDGE").
_PG_LOCK_KEY = 0x45444745
#: The newest revision id of the package's migrations (see the module docs).
HEAD_REVISION = "0001"


def alembic_config() -> Any:
    """An Alembic `Config` pointing at `edge/assets/migrations` (for `alembic` commands run
    from Python, e.g. `command.revision(alembic_config(), "msg", autogenerate=True)`)."""
    from alembic.config import Config  # noqa: PLC0415 - see the module docs

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest revision id of the package's migrations, as Alembic's script directory
    says (equal to `HEAD_REVISION`)."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: sa.Connection) -> str | None:
    """The revision the database is at (None for an empty database), read by Alembic."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

    return MigrationContext.configure(conn).get_current_revision()


def _stored_revision(engine: sa.Engine) -> str | None:
    """The one revision in `alembic_version`, or None (no such table yet, no row, several
    rows): one SELECT, no Alembic import."""
    with engine.connect() as conn:
        try:
            rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        except DBAPIError:
            rows = []
        conn.rollback()
    return str(rows[0][0]) if len(rows) == 1 else None


def upgrade(engine: sa.Engine) -> None:
    """Migrate the database behind `engine` to the head revision (no-op when already there:
    then without importing Alembic).

    Raises SQLAlchemy errors when the database is unreachable."""
    if _stored_revision(engine) == HEAD_REVISION:
        return
    from alembic import command  # noqa: PLC0415

    head = head_revision()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        if current_revision(conn) == head:
            return
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
