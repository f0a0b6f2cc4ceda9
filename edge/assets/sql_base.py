"""`SqlBase`, the plumbing of the SQL catalogue (`edge.assets.sql.SqlCatalogue`): the
engine, read and write transactions (retried on PostgreSQL deadlocks, made durable after the
write lock on SQLite), the one-statement asset lookup and the row -> record conversions."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Iterator, Mapping, Sequence, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import DBAPIError, OperationalError

from edge.assets import migrate
from edge.assets.catalogue import AssetRecord, CatalogueUnavailable, DerivedRecord, VersionRecord
from edge.assets.schema import asset_context, asset_tags, asset_versions, assets
from edge.assets.sql_values import as_utc, dedupe, int_boxes
from edge.assets.sql_engine import is_memory, make_engine, wal_path
from edge.storage.atomic import fsync_folder

__all__ = ["SqlBase"]


def _stored(value: Any) -> Any:
    """A JSON column's value as reading it back gives it (tuples become lists ...); the
    empty values the fast path mostly has are returned as they are."""
    return json.loads(json.dumps(value)) if value else type(value)()

T = TypeVar("T")

# PostgreSQL SQLSTATEs worth retrying: serialization failure, deadlock detected.
_RETRY_SQLSTATES = {"40001", "40P01"}


class SqlBase:
    """The engine and transactions of `edge.assets.sql.SqlCatalogue` (its arguments are
    documented there).

    `location`: `sqlite:///...` or `postgresql://...` (`postgresql+psycopg://` also accepted).
    `busy_timeout_s`: how long a SQLite writer waits for the lock (then
    `CatalogueUnavailable`); `pool_size` connections per process for PostgreSQL.  `migrate`
    runs the Alembic migrations at open.  Thread-safe; fork-safe only before first use.
    """

    def __init__(self, location: str, *, busy_timeout_s: float = 30.0, pool_size: int = 5,
                 migrate_schema: bool = True) -> None:
        self.location = location
        self.engine = make_engine(location, busy_timeout_s=busy_timeout_s, pool_size=pool_size)
        self.dialect = self.engine.dialect.name
        # An in-memory SQLite database is ONE connection shared by every thread (StaticPool):
        # its transactions are serialised by this lock.  Files and PostgreSQL need none.
        self._serial: Any = threading.RLock() if is_memory(location) else nullcontext()
        # A SQLite file's write-ahead log, fsync'd after each write commit (see `_durable`).
        self._wal = wal_path(location)
        self._wal_folder_synced = False
        # The group commit of `_durable`: generations committed and synced by this process.
        self._sync_cond = threading.Condition()
        self._committed_gen = 0
        self._synced_gen = 0
        self._syncing = False
        self._full: sa.Select | None = None
        self._stmts: dict[str, Any] | None = None
        if migrate_schema:
            try:
                migrate.upgrade(self.engine)
            except OperationalError as exc:
                raise CatalogueUnavailable(f"Catalogue unavailable: {exc.orig}") from exc

    # -- plumbing --------------------------------------------------------------------------
    def _insert(self, table: sa.Table) -> Any:
        return (pg_dialect.insert(table) if self.dialect == "postgresql" else sqlite_dialect.insert(table))

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        """A connection for lookups: SQLite a deferred `BEGIN` (WAL snapshot, never blocks a
        writer); PostgreSQL autocommit (each lookup is one statement: no BEGIN/COMMIT round
        trips)."""
        try:
            with self._serial, self.engine.connect() as conn:
                if self.dialect == "postgresql":
                    yield conn.execution_options(isolation_level="AUTOCOMMIT")
                    return
                conn = conn.execution_options(edge_read=True)
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise CatalogueUnavailable("Catalogue unavailable") from exc

    def _write(self, fn: Callable[[sa.Connection], T], *, attempts: int = 6) -> T:
        """Run `fn(conn)` in one write transaction, retried on deadlock/serialization
        failure (PostgreSQL) with a short random back-off."""
        for attempt in range(attempts):
            try:
                with self._serial, self.engine.begin() as conn:
                    result = fn(conn)
                self._durable()
                return result
            except DBAPIError as exc:
                state = getattr(exc.orig, "sqlstate", None)
                if state in _RETRY_SQLSTATES and attempt < attempts - 1:
                    time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
                    continue
                if isinstance(exc, OperationalError):
                    raise CatalogueUnavailable("Catalogue unavailable") from exc
                raise
        raise CatalogueUnavailable("Catalogue busy")  # pragma: no cover

    def _durable(self) -> None:
        """Make the transaction just committed durable before the write returns (a group
        commit of this process's writers on one `-wal` fsync).

        SQLite runs `synchronous=NORMAL` (WAL): a commit appends its frames to the `-wal`
        file without an fsync while holding the write lock.  The sync (fdatasync) is done
        here, after the lock is released, on the `-wal` file itself.  Each commit takes the
        next generation number of this process; one writer at a time syncs, for every
        generation committed when its sync started, and the writers that committed meanwhile
        wait for it instead of syncing again: while a sync is in flight, the commits that
        arrive queue for the next one, so N concurrent publishes cost about two fsyncs, not N
        (the group commit of database logs, as in Gray & Reuter, *Transaction Processing:
        Concepts and Techniques*, 1993).
        A writer returns only once a sync that started after its own commit has finished, so
        the row is still on disk before the answer.  An application crash (kill -9) loses
        nothing either way (the frames are in the OS page cache); after the sync a power cut
        does not either.  A missing `-wal` file means it was checkpointed into the database
        file and removed, and a checkpoint syncs the database file first (NORMAL).  A failed
        sync raises `CatalogueUnavailable` in the writer that ran it; the writers waiting on
        it retry the sync themselves.  PostgreSQL commits are durable on their own."""
        if self._wal is None:
            return
        with self._sync_cond:
            self._committed_gen += 1
            mine = self._committed_gen
            while self._synced_gen < mine:
                if self._syncing:
                    self._sync_cond.wait()
                    continue
                self._syncing = True
                target = self._committed_gen
                self._sync_cond.release()
                try:
                    self._sync_wal()
                finally:
                    self._sync_cond.acquire()
                    self._syncing = False
                    self._sync_cond.notify_all()
                self._synced_gen = max(self._synced_gen, target)

    def _sync_wal(self) -> None:
        """One fdatasync of the `-wal` file (and, once, of its folder); raises
        `CatalogueUnavailable` when the file system refuses."""
        assert self._wal is not None
        try:
            fd = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise CatalogueUnavailable("Catalogue unavailable: cannot sync its log") from exc
        try:
            os.fdatasync(fd)  # as SQLite syncs its own files on Linux
        except OSError as exc:
            raise CatalogueUnavailable("Catalogue unavailable: cannot sync its log") from exc
        finally:
            os.close(fd)
        if not self._wal_folder_synced:  # the -wal file's own directory entry, once
            fsync_folder(self._wal.parent)
            self._wal_folder_synced = True

    def _lock(self, q: sa.Select) -> sa.Select:
        return q.with_for_update() if self.dialect == "postgresql" else q

    def _full_select(self) -> sa.Select:
        """`SELECT assets.*, <tags as a JSON array>, <context as a JSON object>`: one round
        trip per lookup (delivery resolves every catalogue asset through it).  Built once."""
        if self._full is None:
            if self.dialect == "postgresql":
                tags = sa.func.coalesce(sa.func.json_agg(asset_tags.c.tag), sa.text("'[]'::json"))
                ctx = sa.func.coalesce(sa.func.json_object_agg(asset_context.c.key, asset_context.c.value),
                                       sa.text("'{}'::json"))
            else:
                tags = sa.func.json_group_array(asset_tags.c.tag)
                ctx = sa.func.json_group_object(asset_context.c.key, asset_context.c.value)
            tags_q = sa.select(tags).where(asset_tags.c.asset_pk == assets.c.id).scalar_subquery()
            ctx_q = sa.select(ctx).where(asset_context.c.asset_pk == assets.c.id).scalar_subquery()
            self._full = sa.select(assets, tags_q.label("tags_json"), ctx_q.label("ctx_json"))
        return self._full

    def _publish_statements(self) -> dict[str, Any]:
        """The statements of `publish`, built once with bound parameters (building a
        statement with literal values costs more CPU than running it)."""
        if self._stmts is None:
            b = sa.bindparam
            by_key = (assets.c.type == b("k_type")) & (assets.c.public_id == b("k_public_id"))
            self._stmts = {
                "row_by_key": self._lock(sa.select(assets).where(by_key)),
                "insert_asset": self._insert(assets).on_conflict_do_nothing().returning(assets.c.id),
                "insert_version": asset_versions.insert(),
                "full_by_pk": self._full_select().where(assets.c.id == b("k_pk")),
            }
        return self._stmts

    def _rows_to_records(self, conn: sa.Connection, rows: Sequence[sa.Row]) -> list[AssetRecord]:
        if not rows:
            return []
        pks = [r.id for r in rows]
        tags: dict[int, list[str]] = {pk: [] for pk in pks}
        ctx: dict[int, dict[str, str]] = {pk: {} for pk in pks}
        if "tags_json" in rows[0]._fields:
            for r in rows:
                t, c = r.tags_json, r.ctx_json
                tags[r.id] = list(json.loads(t) if isinstance(t, str) else (t or []))
                ctx[r.id] = dict(json.loads(c) if isinstance(c, str) else (c or {}))
            pks = []
        for chunk_start in range(0, len(pks), 500):
            chunk = pks[chunk_start:chunk_start + 500]
            for pk, tag in conn.execute(
                sa.select(asset_tags.c.asset_pk, asset_tags.c.tag).where(asset_tags.c.asset_pk.in_(chunk))
            ):
                tags[pk].append(tag)
            for pk, key, value in conn.execute(
                sa.select(asset_context.c.asset_pk, asset_context.c.key, asset_context.c.value)
                .where(asset_context.c.asset_pk.in_(chunk))
            ):
                ctx[pk][key] = value
        out = []
        for r in rows:
            t = tuple(sorted(tags[r.id]))
            tset = set(t)
            out.append(AssetRecord(
                asset_id=r.asset_id, type=r.type, public_id=r.public_id, version=int(r.version),
                version_id=r.version_id, format=r.format, width=r.width, height=r.height,
                bytes=int(r.bytes), etag=r.etag, created_at=as_utc(r.created_at),
                resource_type=r.resource_type, pages=r.pages, tags=t,
                context=dict(sorted(ctx[r.id].items())), metadata=dict(r.metadata or {}),
                coordinates_custom=int_boxes(r.coordinates_custom), coordinates_faces=int_boxes(r.coordinates_faces),
                asset_folder=r.asset_folder, display_name=r.display_name,
                original_filename=r.original_filename, access_mode=r.access_mode,
                moderation=list(r.moderation or []), analysis=dict(r.analysis or {}),
                auto_tags=tuple(x for x in (r.auto_tags or []) if x in tset),
                placeholder=bool(r.placeholder), updated_at=as_utc(r.updated_at), extra=dict(r.extra or {}),
                revision=int(r.revision),
            ))
        return out

    def _full_record(self, conn: sa.Connection, pk: int) -> AssetRecord:
        """The record of row `pk` with its tags and context, in one statement."""
        row = conn.execute(self._publish_statements()["full_by_pk"], {"k_pk": pk}).one()
        return self._rows_to_records(conn, [row])[0]

    @staticmethod
    def _inserted_record(values: Mapping[str, Any], draft: Any) -> AssetRecord:
        """The record of a row just inserted with `values` (`new_row_values` of `draft`) in
        this transaction, without reading it back: what `_full_record` would answer (tags
        deduplicated and sorted, context as text, JSON columns as stored, revision 0)."""
        tags = tuple(sorted(dedupe(draft.tags or ())))
        tset = set(tags)
        return AssetRecord(
            asset_id=values["asset_id"], type=values["type"], public_id=values["public_id"],
            version=int(values["version"]), version_id=values["version_id"], format=values["format"],
            width=values["width"], height=values["height"], bytes=int(values["bytes"]), etag=values["etag"],
            created_at=as_utc(values["created_at"]), resource_type=values["resource_type"], pages=values["pages"],
            tags=tags, context=dict(sorted((str(k), str(v)) for k, v in (draft.context or {}).items())),
            metadata=_stored(values["metadata"]), coordinates_custom=int_boxes(values["coordinates_custom"]),
            coordinates_faces=int_boxes(values["coordinates_faces"]), asset_folder=values["asset_folder"],
            display_name=values["display_name"], original_filename=values["original_filename"],
            access_mode=values["access_mode"], moderation=list(_stored(values["moderation"])),
            analysis=_stored(values["analysis"]),
            auto_tags=tuple(x for x in values["auto_tags"] if x in tset),
            placeholder=bool(values["placeholder"]), updated_at=as_utc(values["updated_at"]),
            extra=_stored(values["extra"]), revision=0,
        )

    def _one(self, conn: sa.Connection, where: Any, *, lock: bool = False) -> sa.Row | None:
        q = sa.select(assets).where(where)
        return conn.execute(self._lock(q) if lock else q).first()

    @staticmethod
    def _version_record(r: sa.Row) -> VersionRecord:
        return VersionRecord(
            asset_id=r.asset_id, version=int(r.version), version_id=r.version_id, format=r.format,
            width=r.width, height=r.height, bytes=int(r.bytes), etag=r.etag,
            created_at=as_utc(r.created_at), kept=bool(r.kept),
        )

    @staticmethod
    def _derived_record(r: sa.Row) -> DerivedRecord:
        return DerivedRecord(
            id=str(r.id), asset_id=r.asset_id, version_id=r.version_id, transformation=r.transformation,
            format=r.format, bytes=int(r.bytes), width=r.width, height=r.height, cache_key=r.cache_key,
            created_at=as_utc(r.created_at),
        )
