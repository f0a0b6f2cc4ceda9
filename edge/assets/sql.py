"""`SqlCatalogue`: the `Catalogue` on SQLAlchemy 2 Core, for SQLite and PostgreSQL.

Locations: `sqlite:///path/catalogue.db` (embedded default; WAL journal, busy timeout, every
write transaction `BEGIN IMMEDIATE`, so writers from several processes queue instead of failing
half-way) or `postgresql://user:pw@host:port/db` (psycopg 3 driver; READ COMMITTED with
`SELECT ... FOR UPDATE` row locks taken in a fixed order; deadlocks and serialization failures
are retried).  The schema is migrated with Alembic on open (`edge.assets.migrate`).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import threading
import time
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from edge.assets import migrate
from edge.storage.atomic import fsync_folder
from edge.assets.catalogue import (
    DELIVERY_TYPES, AssetDraft, AssetExists, AssetMissing, AssetRecord, CatalogueUnavailable,
    DerivedRecord, PresetExists, PresetMissing, Publication, Removed, RenameResult, TagResult,
    UploadPreset, Usage, VersionRecord, new_asset_id,
)
from edge.assets.schema import (
    asset_context, asset_tags, asset_versions, assets, derived_assets, upload_presets,
)

__all__ = ["SqlCatalogue"]

log = logging.getLogger("edge.assets")

T = TypeVar("T")

MAX_RESULTS = 500
_UPDATABLE = frozenset({
    "tags", "context", "metadata", "coordinates_custom", "coordinates_faces", "asset_folder",
    "display_name", "access_mode", "moderation", "placeholder", "extra",
})
# PostgreSQL SQLSTATEs worth retrying: serialization failure, deadlock detected.
_RETRY_SQLSTATES = {"40001", "40P01"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _encode_cursor(value: Any) -> str:
    raw = json.dumps({"k": value}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        pad = "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(cursor + pad))["k"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("Invalid next_cursor") from exc


def _check_max(max_results: int) -> int:
    n = int(max_results)
    if not 1 <= n <= MAX_RESULTS:
        raise ValueError(f"max_results must be between 1 and {MAX_RESULTS}")
    return n


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _merge_info(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for k, v in new.items():
        if k == "info" and isinstance(v, Mapping) and isinstance(out.get("info"), Mapping):
            info = dict(out["info"])
            for ik, iv in v.items():
                if isinstance(iv, Mapping) and isinstance(info.get(ik), Mapping):
                    info[ik] = {**info[ik], **iv}
                else:
                    info[ik] = iv
            out["info"] = info
        else:
            out[k] = v
    return out


def _boxes(value: Any) -> list[list[int]]:
    return [[int(round(float(c))) for c in box] for box in (value or [])]


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for i in items:
        if i not in seen:
            seen[i] = None
    return list(seen)


class SqlCatalogue:
    """The `Catalogue` protocol over one SQLAlchemy engine (see the module docs).

    `location`: `sqlite:///...` or `postgresql://...` (`postgresql+psycopg://` also accepted).
    `busy_timeout_s`: how long a SQLite writer waits for the lock (then
    `CatalogueUnavailable`); `pool_size` connections per process for PostgreSQL.  `migrate`
    runs the Alembic migrations at open.  Thread-safe; fork-safe only before first use.
    """

    def __init__(self, location: str, *, busy_timeout_s: float = 30.0, pool_size: int = 5,
                 migrate_schema: bool = True) -> None:
        self.location = location
        self.engine = _make_engine(location, busy_timeout_s=busy_timeout_s, pool_size=pool_size)
        self.dialect = self.engine.dialect.name
        # An in-memory SQLite database is ONE connection shared by every thread (StaticPool):
        # its transactions are serialised by this lock.  Files and PostgreSQL need none.
        self._serial: Any = threading.RLock() if _is_memory(location) else nullcontext()
        # A SQLite file's write-ahead log, fsync'd after each write commit (see `_durable`).
        self._wal = _wal_path(location)
        self._wal_folder_synced = False
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
        """Make the transaction just committed durable before the write returns.

        SQLite runs `synchronous=NORMAL` (WAL): a commit appends its frames to the `-wal`
        file without an fsync while holding the write lock.  The sync (fdatasync) is done here, after
        the lock is released, on the `-wal` file itself: concurrent writers no longer queue
        behind each other's fsync, and their syncs share the file system's journal commits
        (a group commit).  An application crash (kill -9) loses nothing either way (the
        frames are in the OS page cache); after this fsync a power cut does not either.  A
        missing `-wal` file means it was checkpointed into the database file and removed,
        and a checkpoint syncs the database file first (NORMAL).  PostgreSQL commits are
        durable on their own: nothing to do."""
        if self._wal is None:
            return
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
                bytes=int(r.bytes), etag=r.etag, created_at=_utc(r.created_at),
                resource_type=r.resource_type, pages=r.pages, tags=t,
                context=dict(sorted(ctx[r.id].items())), metadata=dict(r.metadata or {}),
                coordinates_custom=_boxes(r.coordinates_custom), coordinates_faces=_boxes(r.coordinates_faces),
                asset_folder=r.asset_folder, display_name=r.display_name,
                original_filename=r.original_filename, access_mode=r.access_mode,
                moderation=list(r.moderation or []), analysis=dict(r.analysis or {}),
                auto_tags=tuple(x for x in (r.auto_tags or []) if x in tset),
                placeholder=bool(r.placeholder), updated_at=_utc(r.updated_at), extra=dict(r.extra or {}),
                revision=int(r.revision),
            ))
        return out

    def _full_record(self, conn: sa.Connection, pk: int) -> AssetRecord:
        """The record of row `pk` with its tags and context, in one statement."""
        row = conn.execute(self._publish_statements()["full_by_pk"], {"k_pk": pk}).one()
        return self._rows_to_records(conn, [row])[0]

    def _one(self, conn: sa.Connection, where: Any, *, lock: bool = False) -> sa.Row | None:
        q = sa.select(assets).where(where)
        return conn.execute(self._lock(q) if lock else q).first()

    @staticmethod
    def _version_record(r: sa.Row) -> VersionRecord:
        return VersionRecord(
            asset_id=r.asset_id, version=int(r.version), version_id=r.version_id, format=r.format,
            width=r.width, height=r.height, bytes=int(r.bytes), etag=r.etag,
            created_at=_utc(r.created_at), kept=bool(r.kept),
        )

    @staticmethod
    def _derived_record(r: sa.Row) -> DerivedRecord:
        return DerivedRecord(
            id=str(r.id), asset_id=r.asset_id, version_id=r.version_id, transformation=r.transformation,
            format=r.format, bytes=int(r.bytes), width=r.width, height=r.height, cache_key=r.cache_key,
            created_at=_utc(r.created_at),
        )

    # -- lookups ---------------------------------------------------------------------------
    def get(self, type: str, public_id: str) -> AssetRecord | None:
        """See `Catalogue.get`."""
        with self._read() as conn:
            row = conn.execute(self._full_select().where(
                (assets.c.type == type) & (assets.c.public_id == public_id))).first()
            return self._rows_to_records(conn, [row])[0] if row else None

    def get_by_asset_id(self, asset_id: str) -> AssetRecord | None:
        """See `Catalogue.get_by_asset_id`."""
        with self._read() as conn:
            row = conn.execute(self._full_select().where(assets.c.asset_id == asset_id)).first()
            return self._rows_to_records(conn, [row])[0] if row else None

    def get_many(self, type: str, public_ids: Iterable[str]) -> dict[str, AssetRecord]:
        """See `Catalogue.get_many`."""
        ids = _dedupe(public_ids)
        out: dict[str, AssetRecord] = {}
        with self._read() as conn:
            for i in range(0, len(ids), 500):
                rows = conn.execute(self._full_select().where(
                    (assets.c.type == type) & assets.c.public_id.in_(ids[i:i + 500]))).all()
                for rec in self._rows_to_records(conn, rows):
                    out[rec.public_id] = rec
        return out

    def versions(self, asset_id: str) -> list[VersionRecord]:
        """See `Catalogue.versions`."""
        with self._read() as conn:
            rows = conn.execute(sa.select(asset_versions).where(asset_versions.c.asset_id == asset_id)
                                .order_by(asset_versions.c.version.desc())).all()
            return [self._version_record(r) for r in rows]

    def get_version(self, asset_id: str, version: int) -> VersionRecord | None:
        """See `Catalogue.get_version`."""
        with self._read() as conn:
            r = conn.execute(sa.select(asset_versions).where(
                (asset_versions.c.asset_id == asset_id) & (asset_versions.c.version == int(version)))).first()
            return self._version_record(r) if r else None

    def kept_version_ids(self, version_ids: Iterable[str]) -> set[str]:
        """See `Catalogue.kept_version_ids`."""
        ids = _dedupe(version_ids)
        out: set[str] = set()
        with self._read() as conn:
            for i in range(0, len(ids), 500):
                out.update(v for (v,) in conn.execute(sa.select(asset_versions.c.version_id).where(
                    asset_versions.c.version_id.in_(ids[i:i + 500]) & asset_versions.c.kept)))
        return out

    def list(
        self, *, type: str | None = None, prefix: str | None = None, tag: str | None = None,
        context_key: str | None = None, context_value: str | None = None,
        public_ids: Sequence[str] | None = None, direction: str = "desc",
        max_results: int = 10, cursor: str | None = None,
    ) -> tuple[list[AssetRecord], str | None]:
        """See `Catalogue.list`."""
        n = _check_max(max_results)
        if direction not in ("asc", "desc"):
            raise ValueError("direction must be asc or desc")
        after = _decode_cursor(cursor)
        if after is not None and not isinstance(after, int):
            raise ValueError("Invalid next_cursor")
        q = self._full_select()
        if type is not None:
            q = q.where(assets.c.type == type)
        if prefix:
            q = q.where(assets.c.public_id.like(_like_prefix(prefix), escape="\\"))
        if public_ids is not None:
            q = q.where(assets.c.public_id.in_(list(public_ids)))
        if tag is not None:
            q = q.where(sa.exists().where((asset_tags.c.asset_pk == assets.c.id) & (asset_tags.c.tag == tag)))
        if context_key is not None:
            cond = (asset_context.c.asset_pk == assets.c.id) & (asset_context.c.key == context_key)
            if context_value is not None:
                cond = cond & (asset_context.c.value == context_value)
            q = q.where(sa.exists().where(cond))
        if after is not None:
            q = q.where(assets.c.id < after if direction == "desc" else assets.c.id > after)
        q = q.order_by(assets.c.id.desc() if direction == "desc" else assets.c.id.asc()).limit(n + 1)
        with self._read() as conn:
            rows = conn.execute(q).all()
            more = len(rows) > n
            rows = rows[:n]
            records = self._rows_to_records(conn, rows)
        return records, (_encode_cursor(rows[-1].id) if more else None)

    # -- versions --------------------------------------------------------------------------
    def publish(self, draft: AssetDraft, *, overwrite: bool = True, keep_previous: bool = False) -> Publication:
        """See `Catalogue.publish`."""
        if draft.type not in DELIVERY_TYPES:
            raise ValueError(f"Invalid type: {draft.type}")
        if not draft.public_id:
            raise ValueError("public_id must not be empty")

        stmts = self._publish_statements()
        key = {"k_type": draft.type, "k_public_id": draft.public_id}

        def tx(conn: sa.Connection) -> Publication:
            row = conn.execute(stmts["row_by_key"], key).first()
            now = _now()
            created = False
            if row is None:
                values = _new_row_values(draft, now)
                pk = conn.execute(stmts["insert_asset"], values).scalar()
                if pk is None:  # another node inserted it between our SELECT and INSERT
                    row = conn.execute(stmts["row_by_key"], key).first()
                    assert row is not None
                else:
                    created = True
                    # a new pk (AUTOINCREMENT, tags/context cascade-deleted) has no rows to clear
                    self._add_tags(conn, [pk], draft.tags or ())
                    self._upsert_context(conn, [pk], draft.context or {})
                    conn.execute(stmts["insert_version"], dict(
                        asset_pk=pk, asset_id=values["asset_id"], version=values["version"],
                        version_id=draft.version_id, format=draft.format, width=draft.width,
                        height=draft.height, bytes=draft.bytes, etag=draft.etag, created_at=now, kept=True))
                    return Publication(record=self._full_record(conn, pk), created=True)
            assert row is not None
            if not overwrite:
                return Publication(record=self._rows_to_records(conn, [row])[0], existing=True)
            version = max(int(now.timestamp()), int(row.version) + 1)
            conn.execute(asset_versions.update().where(asset_versions.c.version_id == row.version_id)
                         .values(kept=bool(keep_previous)))
            prev = conn.execute(sa.select(asset_versions).where(asset_versions.c.version_id == row.version_id)).first()
            values = _update_row_values(draft, now, version)
            conn.execute(assets.update().where(assets.c.id == row.id).values(revision=assets.c.revision + 1, **values))
            if draft.tags is not None:
                self._set_tags(conn, row.id, draft.tags)
            if draft.context is not None:
                self._set_context(conn, row.id, draft.context)
            conn.execute(stmts["insert_version"], dict(
                asset_pk=row.id, asset_id=row.asset_id, version=version, version_id=draft.version_id,
                format=draft.format, width=draft.width, height=draft.height, bytes=draft.bytes,
                etag=draft.etag, created_at=now, kept=True))
            return Publication(record=self._full_record(conn, row.id),
                               previous=self._version_record(prev) if prev else None, created=created)

        return self._write(tx)

    def set_analysis(self, asset_id: str, version: int, data: Mapping[str, Any], *,
                     auto_tags: Sequence[str] = ()) -> AssetRecord | None:
        """See `Catalogue.set_analysis`."""
        def tx(conn: sa.Connection) -> AssetRecord | None:
            row = self._one(conn, assets.c.asset_id == asset_id, lock=True)
            if row is None or int(row.version) != int(version):
                return None
            # Analysis alone changes no pixel: the revision (part of every derived-cache key)
            # moves only when new automatic tags may change what `if_tags_...` renders.
            values: dict[str, Any] = {"analysis": _merge_info(row.analysis or {}, data), "updated_at": _now()}
            if auto_tags:
                self._add_tags(conn, [row.id], auto_tags)
                merged = _dedupe([*(row.auto_tags or []), *auto_tags])
                if merged != list(row.auto_tags or []):
                    values["auto_tags"] = merged
                    values["revision"] = assets.c.revision + 1
            conn.execute(assets.update().where(assets.c.id == row.id).values(**values))
            return self._rows_to_records(conn, [self._one(conn, assets.c.id == row.id)])[0]

        return self._write(tx)

    def update(self, type: str, public_id: str, **fields: Any) -> AssetRecord:
        """See `Catalogue.update`."""
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"Cannot update field(s): {', '.join(sorted(unknown))}")

        def tx(conn: sa.Connection) -> AssetRecord:
            row = self._one(conn, (assets.c.type == type) & (assets.c.public_id == public_id), lock=True)
            if row is None:
                raise AssetMissing(f"Resource not found - {public_id}")
            values: dict[str, Any] = {"updated_at": _now(), "revision": assets.c.revision + 1}
            for k, v in fields.items():
                if k == "tags":
                    self._set_tags(conn, row.id, v or ())
                elif k == "context":
                    self._set_context(conn, row.id, v or {})
                elif k in ("metadata", "extra"):
                    merged = dict(getattr(row, k) or {})
                    for mk, mv in (v or {}).items():
                        if mv is None:
                            merged.pop(mk, None)
                        else:
                            merged[mk] = mv
                    values[k] = merged
                elif k in ("coordinates_custom", "coordinates_faces"):
                    values[k] = _boxes(v)
                elif k == "moderation":
                    values[k] = [dict(m) for m in (v or [])]
                elif k == "placeholder":
                    values[k] = bool(v)
                else:
                    values[k] = "" if v is None else str(v)
            conn.execute(assets.update().where(assets.c.id == row.id).values(**values))
            return self._rows_to_records(conn, [self._one(conn, assets.c.id == row.id)])[0]

        return self._write(tx)

    def _removed(self, conn: sa.Connection, row: sa.Row) -> Removed:
        rec = self._rows_to_records(conn, [row])[0]
        vers = conn.execute(sa.select(asset_versions).where(
            (asset_versions.c.asset_pk == row.id) & asset_versions.c.kept).order_by(asset_versions.c.version.desc())).all()
        der = conn.execute(sa.select(derived_assets).where(derived_assets.c.asset_pk == row.id)
                           .order_by(derived_assets.c.id)).all()
        return Removed(record=rec, versions=tuple(self._version_record(v) for v in vers),
                       derived=tuple(self._derived_record(d) for d in der))

    def _delete_rows(self, conn: sa.Connection, pks: Sequence[int]) -> None:
        for table in (asset_tags, asset_context, derived_assets, asset_versions):
            conn.execute(table.delete().where(table.c.asset_pk.in_(pks)))
        conn.execute(assets.delete().where(assets.c.id.in_(pks)))

    def rename(self, type: str, from_public_id: str, to_public_id: str, *, overwrite: bool = False,
               to_type: str | None = None) -> RenameResult:
        """See `Catalogue.rename`."""
        new_type = to_type or type
        if new_type not in DELIVERY_TYPES:
            raise ValueError(f"Invalid type: {new_type}")
        if not to_public_id:
            raise ValueError("to_public_id must not be empty")

        def tx(conn: sa.Connection) -> RenameResult:
            keys = sorted({(type, from_public_id), (new_type, to_public_id)})
            rows = {}
            for t, p in keys:  # lock in a fixed order: two crossing renames cannot deadlock
                rows[(t, p)] = self._one(conn, (assets.c.type == t) & (assets.c.public_id == p), lock=True)
            src = rows[(type, from_public_id)]
            if src is None:
                raise AssetMissing(f"Resource not found - {from_public_id}")
            if (type, from_public_id) == (new_type, to_public_id):
                return RenameResult(record=self._rows_to_records(conn, [src])[0])
            dst = rows[(new_type, to_public_id)]
            replaced = None
            if dst is not None:
                if not overwrite:
                    raise AssetExists(f"Resource already exists - {to_public_id}")
                replaced = self._removed(conn, dst)
                self._delete_rows(conn, [dst.id])
            conn.execute(assets.update().where(assets.c.id == src.id).values(
                type=new_type, public_id=to_public_id, updated_at=_now(), revision=assets.c.revision + 1))
            rec = self._rows_to_records(conn, [self._one(conn, assets.c.id == src.id)])[0]
            return RenameResult(record=rec, replaced=replaced)

        return self._write(tx)

    def delete(self, type: str, *, public_ids: Sequence[str] | None = None, prefix: str | None = None,
               all: bool = False, limit: int | None = None) -> list[Removed]:
        """See `Catalogue.delete`."""
        given = sum(x for x in (public_ids is not None, prefix is not None, bool(all)))
        if given != 1:
            raise ValueError("Give exactly one of public_ids, prefix or all")
        q = sa.select(assets).where(assets.c.type == type)
        if public_ids is not None:
            ids = _dedupe(public_ids)
            if not ids:
                return []
            q = q.where(assets.c.public_id.in_(ids))
        elif prefix is not None:
            if not prefix:
                raise ValueError("prefix must not be empty")
            q = q.where(assets.c.public_id.like(_like_prefix(prefix), escape="\\"))
        q = q.order_by(assets.c.id)
        if limit is not None:
            if int(limit) < 1:
                raise ValueError("limit must be >= 1")
            q = q.limit(int(limit))

        def tx(conn: sa.Connection) -> list[Removed]:
            rows = conn.execute(self._lock(q)).all()
            if not rows:
                return []
            removed = [self._removed(conn, r) for r in rows]
            pks = [r.id for r in rows]
            for i in range(0, len(pks), 500):
                self._delete_rows(conn, pks[i:i + 500])
            return removed

        return self._write(tx)

    # -- tags and context ------------------------------------------------------------------
    def _locked_rows(self, conn: sa.Connection, type: str, public_ids: Sequence[str]) -> tuple[list[sa.Row], tuple[str, ...]]:
        ids = _dedupe(public_ids)
        found: dict[str, sa.Row] = {}
        for i in range(0, len(ids), 500):
            q = (sa.select(assets).where((assets.c.type == type) & assets.c.public_id.in_(ids[i:i + 500]))
                 .order_by(assets.c.id))
            for r in conn.execute(self._lock(q)):
                found[r.public_id] = r
        rows = [found[p] for p in ids if p in found]
        return rows, tuple(p for p in ids if p not in found)

    def _add_tags(self, conn: sa.Connection, pks: Sequence[int], tags: Sequence[str]) -> None:
        values = [{"asset_pk": pk, "tag": t} for pk in pks for t in _dedupe(tags)]
        if values:
            conn.execute(self._insert(asset_tags).on_conflict_do_nothing(), values)

    def _set_tags(self, conn: sa.Connection, pk: int, tags: Sequence[str]) -> None:
        conn.execute(asset_tags.delete().where(asset_tags.c.asset_pk == pk))
        self._add_tags(conn, [pk], tags)

    def _set_context(self, conn: sa.Connection, pk: int, context: Mapping[str, str]) -> None:
        conn.execute(asset_context.delete().where(asset_context.c.asset_pk == pk))
        self._upsert_context(conn, [pk], context)

    def _upsert_context(self, conn: sa.Connection, pks: Sequence[int], context: Mapping[str, str]) -> None:
        values = [{"asset_pk": pk, "key": str(k), "value": str(v)} for pk in pks for k, v in context.items()]
        if values:
            ins = self._insert(asset_context)
            conn.execute(ins.on_conflict_do_update(index_elements=["asset_pk", "key"],
                                                   set_={"value": ins.excluded.value}), values)

    def _tag_op(self, type: str, public_ids: Sequence[str], op: Callable[[sa.Connection, list[int]], None]) -> TagResult:
        def tx(conn: sa.Connection) -> TagResult:
            rows, missing = self._locked_rows(conn, type, public_ids)
            pks = [r.id for r in rows]
            if pks:
                op(conn, pks)
                conn.execute(assets.update().where(assets.c.id.in_(pks)).values(
                    updated_at=_now(), revision=assets.c.revision + 1))
            return TagResult(public_ids=tuple(r.public_id for r in rows), missing=missing)

        return self._write(tx)

    def add_tags(self, type: str, public_ids: Sequence[str], tags: Sequence[str]) -> TagResult:
        """See `Catalogue.add_tags`."""
        return self._tag_op(type, public_ids, lambda conn, pks: self._add_tags(conn, pks, tags))

    def remove_tags(self, type: str, public_ids: Sequence[str], tags: Sequence[str]) -> TagResult:
        """See `Catalogue.remove_tags`."""
        return self._tag_op(type, public_ids, lambda conn, pks: conn.execute(asset_tags.delete().where(
            asset_tags.c.asset_pk.in_(pks) & asset_tags.c.tag.in_(list(tags)))))

    def replace_tags(self, type: str, public_ids: Sequence[str], tags: Sequence[str]) -> TagResult:
        """See `Catalogue.replace_tags`."""
        def op(conn: sa.Connection, pks: list[int]) -> None:
            conn.execute(asset_tags.delete().where(asset_tags.c.asset_pk.in_(pks)))
            self._add_tags(conn, pks, tags)

        return self._tag_op(type, public_ids, op)

    def remove_all_tags(self, type: str, public_ids: Sequence[str]) -> TagResult:
        """See `Catalogue.remove_all_tags`."""
        return self._tag_op(type, public_ids, lambda conn, pks: conn.execute(
            asset_tags.delete().where(asset_tags.c.asset_pk.in_(pks))))

    def add_context(self, type: str, public_ids: Sequence[str], context: Mapping[str, str]) -> TagResult:
        """See `Catalogue.add_context`."""
        return self._tag_op(type, public_ids, lambda conn, pks: self._upsert_context(conn, pks, context))

    def remove_context(self, type: str, public_ids: Sequence[str], keys: Sequence[str] | None = None) -> TagResult:
        """See `Catalogue.remove_context`."""
        def op(conn: sa.Connection, pks: list[int]) -> None:
            cond = asset_context.c.asset_pk.in_(pks)
            if keys is not None:
                cond = cond & asset_context.c.key.in_(list(keys))
            conn.execute(asset_context.delete().where(cond))

        return self._tag_op(type, public_ids, op)

    def tags_list(self, *, prefix: str | None = None, max_results: int = 10, cursor: str | None = None,
                  ) -> tuple[list[str], str | None]:
        """See `Catalogue.tags_list`."""
        n = _check_max(max_results)
        after = _decode_cursor(cursor)
        if after is not None and not isinstance(after, str):
            raise ValueError("Invalid next_cursor")
        q = sa.select(asset_tags.c.tag).distinct()
        if prefix:
            q = q.where(asset_tags.c.tag.like(_like_prefix(prefix), escape="\\"))
        if after is not None:
            q = q.where(asset_tags.c.tag > after)
        q = q.order_by(asset_tags.c.tag).limit(n + 1)
        with self._read() as conn:
            tags = [t for (t,) in conn.execute(q)]
        more = len(tags) > n
        tags = tags[:n]
        return tags, (_encode_cursor(tags[-1]) if more else None)

    # -- derived assets --------------------------------------------------------------------
    def add_derived(self, asset_id: str, version_id: str, *, transformation: str, format: str, bytes: int,
                    width: int, height: int, cache_key: str) -> DerivedRecord | None:
        """See `Catalogue.add_derived`."""
        def tx(conn: sa.Connection) -> DerivedRecord | None:
            row = self._one(conn, assets.c.asset_id == asset_id)
            if row is None:
                return None
            vals = dict(asset_pk=row.id, asset_id=asset_id, version_id=version_id, transformation=transformation,
                        format=format, bytes=int(bytes), width=int(width), height=int(height),
                        cache_key=cache_key, created_at=_now())
            ins = self._insert(derived_assets).values(**vals)
            conn.execute(ins.on_conflict_do_update(
                index_elements=["cache_key"],
                set_={k: ins.excluded[k] for k in ("asset_pk", "asset_id", "version_id", "transformation",
                                                   "format", "bytes", "width", "height")}))
            r = conn.execute(sa.select(derived_assets).where(derived_assets.c.cache_key == cache_key)).first()
            return self._derived_record(r)

        try:
            return self._write(tx)
        except IntegrityError:  # the asset was deleted concurrently (foreign key)
            return None

    def list_derived(self, asset_id: str, *, max_results: int = 500, cursor: str | None = None,
                     ) -> tuple[list[DerivedRecord], str | None]:
        """See `Catalogue.list_derived`."""
        n = _check_max(max_results)
        after = _decode_cursor(cursor)
        if after is not None and not isinstance(after, int):
            raise ValueError("Invalid next_cursor")
        q = sa.select(derived_assets).where(derived_assets.c.asset_id == asset_id)
        if after is not None:
            q = q.where(derived_assets.c.id > after)
        q = q.order_by(derived_assets.c.id).limit(n + 1)
        with self._read() as conn:
            rows = conn.execute(q).all()
        more = len(rows) > n
        rows = rows[:n]
        return [self._derived_record(r) for r in rows], (_encode_cursor(rows[-1].id) if more else None)

    def delete_derived(self, asset_id: str, *, ids: Sequence[str] | None = None,
                       transformations: Sequence[str] | None = None) -> list[DerivedRecord]:
        """See `Catalogue.delete_derived`."""
        cond = derived_assets.c.asset_id == asset_id
        if ids is not None:
            cond = cond & derived_assets.c.id.in_([int(i) for i in ids if str(i).isdigit()])
        if transformations is not None:
            cond = cond & derived_assets.c.transformation.in_(list(transformations))

        def tx(conn: sa.Connection) -> list[DerivedRecord]:
            rows = conn.execute(sa.select(derived_assets).where(cond).order_by(derived_assets.c.id)).all()
            if rows:
                conn.execute(derived_assets.delete().where(derived_assets.c.id.in_([r.id for r in rows])))
            return [self._derived_record(r) for r in rows]

        return self._write(tx)

    # -- upload presets --------------------------------------------------------------------
    @staticmethod
    def _preset(r: sa.Row) -> UploadPreset:
        return UploadPreset(name=r.name, unsigned=bool(r.unsigned), settings=dict(r.settings or {}),
                            created_at=_utc(r.created_at), updated_at=_utc(r.updated_at))

    def create_preset(self, name: str, *, unsigned: bool = False, settings: Mapping[str, Any] | None = None) -> UploadPreset:
        """See `Catalogue.create_preset`."""
        if not name:
            raise ValueError("preset name must not be empty")

        def tx(conn: sa.Connection) -> UploadPreset:
            now = _now()
            res = conn.execute(self._insert(upload_presets).values(
                name=name, unsigned=bool(unsigned), settings=dict(settings or {}), created_at=now, updated_at=now,
            ).on_conflict_do_nothing().returning(upload_presets.c.name))
            if res.scalar() is None:
                raise PresetExists(f"Upload preset {name} already exists")
            return self._preset(conn.execute(sa.select(upload_presets).where(upload_presets.c.name == name)).one())

        return self._write(tx)

    def get_preset(self, name: str) -> UploadPreset | None:
        """See `Catalogue.get_preset`."""
        with self._read() as conn:
            r = conn.execute(sa.select(upload_presets).where(upload_presets.c.name == name)).first()
            return self._preset(r) if r else None

    def list_presets(self, *, max_results: int = 10, cursor: str | None = None) -> tuple[list[UploadPreset], str | None]:
        """See `Catalogue.list_presets`."""
        n = _check_max(max_results)
        after = _decode_cursor(cursor)
        q = sa.select(upload_presets)
        if after is not None:
            q = q.where(upload_presets.c.name > str(after))
        q = q.order_by(upload_presets.c.name).limit(n + 1)
        with self._read() as conn:
            rows = conn.execute(q).all()
        more = len(rows) > n
        rows = rows[:n]
        return [self._preset(r) for r in rows], (_encode_cursor(rows[-1].name) if more else None)

    def update_preset(self, name: str, *, unsigned: bool | None = None, settings: Mapping[str, Any] | None = None,
                      replace: bool = False) -> UploadPreset:
        """See `Catalogue.update_preset`."""
        def tx(conn: sa.Connection) -> UploadPreset:
            r = conn.execute(self._lock(sa.select(upload_presets).where(upload_presets.c.name == name))).first()
            if r is None:
                raise PresetMissing(f"Upload preset {name} not found")
            merged = {} if replace else dict(r.settings or {})
            for k, v in (settings or {}).items():
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = v
            values: dict[str, Any] = {"settings": merged, "updated_at": _now()}
            if unsigned is not None:
                values["unsigned"] = bool(unsigned)
            conn.execute(upload_presets.update().where(upload_presets.c.name == name).values(**values))
            return self._preset(conn.execute(sa.select(upload_presets).where(upload_presets.c.name == name)).one())

        return self._write(tx)

    def delete_preset(self, name: str) -> bool:
        """See `Catalogue.delete_preset`."""
        return self._write(lambda conn: conn.execute(
            upload_presets.delete().where(upload_presets.c.name == name)).rowcount > 0)

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


def _new_row_values(d: AssetDraft, now: datetime) -> dict[str, Any]:
    last = d.public_id.rsplit("/", 1)[-1]
    return dict(
        asset_id=new_asset_id(), resource_type=d.resource_type, type=d.type, public_id=d.public_id,
        version=int(now.timestamp()), version_id=d.version_id, format=d.format, width=int(d.width),
        height=int(d.height), bytes=int(d.bytes), etag=d.etag, pages=int(d.pages), created_at=now,
        updated_at=now, metadata=dict(d.metadata or {}), coordinates_custom=_boxes(d.coordinates_custom),
        coordinates_faces=_boxes(d.coordinates_faces), asset_folder=d.asset_folder or "",
        display_name=d.display_name if d.display_name is not None else last,
        original_filename=d.original_filename, access_mode=d.access_mode or "public",
        moderation=[dict(m) for m in (d.moderation or [])], analysis=dict(d.analysis or {}),
        auto_tags=_dedupe(d.auto_tags or ()), placeholder=bool(d.placeholder), extra=dict(d.extra or {}),
    )


def _update_row_values(d: AssetDraft, now: datetime, version: int) -> dict[str, Any]:
    values: dict[str, Any] = dict(
        version=version, version_id=d.version_id, format=d.format, width=int(d.width), height=int(d.height),
        bytes=int(d.bytes), etag=d.etag, pages=int(d.pages), resource_type=d.resource_type, created_at=now,
        updated_at=now, analysis=dict(d.analysis or {}), auto_tags=_dedupe(d.auto_tags or ()),
    )
    optional = {
        "metadata": lambda v: dict(v), "coordinates_custom": _boxes, "coordinates_faces": _boxes,
        "asset_folder": str, "display_name": str, "original_filename": str, "access_mode": str,
        "moderation": lambda v: [dict(m) for m in v], "placeholder": bool, "extra": lambda v: dict(v),
    }
    for name, conv in optional.items():
        v = getattr(d, name)
        if v is not None:
            values[name] = conv(v)
    return values


def _wal_path(location: str) -> Path | None:
    """The `-wal` file of a SQLite file location (None for PostgreSQL and in-memory SQLite)."""
    if not location.startswith("sqlite:") or _is_memory(location):
        return None
    return Path(str(Path(sa.make_url(location).database).expanduser()) + "-wal")


def _is_memory(location: str) -> bool:
    if not location.startswith("sqlite:"):
        return False
    db = sa.make_url(location).database
    return not db or db == ":memory:"


def _make_engine(location: str, *, busy_timeout_s: float, pool_size: int) -> sa.Engine:
    """An engine for `sqlite:///...` or `postgresql://...`; raises ValueError otherwise.
    `sqlite:///:memory:` is one connection shared by the process's threads (tests, or a
    server with no local disk at all: nothing survives a restart)."""
    if location.startswith("sqlite:"):
        url = sa.make_url(location)
        extra: dict[str, Any] = {}
        if _is_memory(location):
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
            # cut could undo), but writers do not wait for each other's fsync
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

