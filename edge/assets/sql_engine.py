"""The SQLAlchemy engine of the SQL catalogue (`edge.assets.sql`) for a location string:
SQLite (file or in memory: pragmas, `BEGIN IMMEDIATE` writers, the `-wal` path whose sync makes
a commit durable, see `SqlBase._durable`) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

__all__ = ["make_engine", "is_memory", "wal_path"]


def wal_path(location: str) -> Path | None:
    """The `-wal` file of a SQLite file location (None for PostgreSQL and in-memory SQLite)."""
    if not location.startswith("sqlite:") or is_memory(location):
        return None
    return Path(str(Path(sa.make_url(location).database).expanduser()) + "-wal")


def is_memory(location: str) -> bool:
    """True for an in-memory SQLite location (`sqlite://`, `sqlite:///:memory:`)."""
    if not location.startswith("sqlite:"):
        return False
    db = sa.make_url(location).database
    return not db or db == ":memory:"


def make_engine(location: str, *, busy_timeout_s: float, pool_size: int) -> sa.Engine:
    """An engine for `sqlite:///...` or `postgresql://...`; raises ValueError otherwise.
    `sqlite:///:memory:` is one connection shared by the process's threads (tests, or a
    server with no local disk at all: nothing survives a restart)."""
    if location.startswith("sqlite:"):
        url = sa.make_url(location)
        extra: dict[str, Any] = {}
        if is_memory(location):
            extra["poolclass"] = sa.pool.StaticPool
        else:
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url.set(drivername="sqlite+pysqlite"),
                                  connect_args={"timeout": busy_timeout_s, "check_same_thread": False}, **extra)
        busy_ms = int(busy_timeout_s * 1000)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (pysqlite's is broken)
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.execute("PRAGMA journal_mode=WAL")
            # NORMAL, plus an fsync of the -wal file after each write commit, outside the
            # write lock (`SqlCatalogue._durable`): a commit is still on disk before publish
            # returns (so the replaced version's bytes are never deleted for a commit a power
            # cut could undo), but writers do not queue behind each other's fsync under the
            # lock, and the concurrent commits of a process share one (a group commit)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA case_sensitive_like=ON")  # prefixes match as on PostgreSQL
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            # Writers take the lock up front so a read-then-write never fails with "database
            # is locked" half-way; readers run deferred (WAL: they never block writers).
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("edge_read") else "BEGIN IMMEDIATE")

        return engine
    if location.startswith(("postgresql:", "postgres:", "postgresql+psycopg:")):
        url = sa.make_url(location.replace("postgres://", "postgresql://", 1))
        return sa.create_engine(url.set(drivername="postgresql+psycopg"), pool_pre_ping=True,
                                pool_size=pool_size, max_overflow=pool_size)
    raise ValueError(f"Unsupported catalogue location {location!r}: use sqlite:///path or postgresql://...")
