"""Asset lookups and versions of the SQL catalogue (`AssetStatements`, a part of
`edge.assets.sql.SqlCatalogue`): get, list, publish, set_analysis, update, rename, delete."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import sqlalchemy as sa

from edge.assets.catalogue import (
    DELIVERY_TYPES, AssetDraft, AssetExists, AssetMissing, AssetRecord, Publication, Removed,
    RenameResult, VersionRecord,
)
from edge.assets.schema import asset_context, asset_tags, asset_versions, assets, derived_assets
from edge.assets.sql_fast import SqliteNewAsset
from edge.assets.sql_values import (
    UPDATABLE, check_max, decode_cursor, dedupe, encode_cursor, int_boxes, like_prefix, merge_info,
    new_row_values, update_row_values, utcnow,
)

__all__ = ["AssetStatements"]


class AssetStatements:
    """See `edge.assets.catalogue.Catalogue` (needs `SqlBase`)."""

    #: SQLite: the DB-API fast path of a new public_id's publish (`edge.assets.sql_fast`), built at first use.
    _new_asset: SqliteNewAsset | None = None

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
        ids = dedupe(public_ids)
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
        ids = dedupe(version_ids)
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
        n = check_max(max_results)
        if direction not in ("asc", "desc"):
            raise ValueError("direction must be asc or desc")
        after = decode_cursor(cursor)
        if after is not None and not isinstance(after, int):
            raise ValueError("Invalid next_cursor")
        q = self._full_select()
        if type is not None:
            q = q.where(assets.c.type == type)
        if prefix:
            q = q.where(assets.c.public_id.like(like_prefix(prefix), escape="\\"))
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
        return records, (encode_cursor(rows[-1].id) if more else None)

    # -- versions --------------------------------------------------------------------------
    def publish(self, draft: AssetDraft, *, overwrite: bool = True, keep_previous: bool = False) -> Publication:
        """See `Catalogue.publish`."""
        if draft.type not in DELIVERY_TYPES:
            raise ValueError(f"Invalid type: {draft.type}")
        if not draft.public_id:
            raise ValueError("public_id must not be empty")

        if self.dialect == "sqlite":
            published = self._publish_new_sqlite(draft)
            if published is not None:
                return published
        stmts = self._publish_statements()
        key = {"k_type": draft.type, "k_public_id": draft.public_id}

        def tx(conn: sa.Connection) -> Publication:
            # A new public_id (the common case) is one INSERT: `ON CONFLICT DO NOTHING` on the
            # (type, public_id) key answers no pk when the asset exists (or another node just
            # inserted it: on PostgreSQL the INSERT waits for that transaction), and only then
            # is the row read (locked on PostgreSQL) and a new version made.
            now = utcnow()
            values = new_row_values(draft, now)
            pk = conn.execute(stmts["insert_asset"], values).scalar()
            if pk is not None:
                # a new pk (AUTOINCREMENT, tags/context cascade-deleted) has no rows to clear
                self._add_tags(conn, [pk], draft.tags or ())
                self._upsert_context(conn, [pk], draft.context or {})
                conn.execute(stmts["insert_version"], dict(
                    asset_pk=pk, asset_id=values["asset_id"], version=values["version"],
                    version_id=draft.version_id, format=draft.format, width=draft.width,
                    height=draft.height, bytes=draft.bytes, etag=draft.etag, created_at=now, kept=True))
                return Publication(record=self._inserted_record(values, draft), created=True)
            created = False
            row = conn.execute(stmts["row_by_key"], key).first()
            assert row is not None
            if not overwrite:
                return Publication(record=self._rows_to_records(conn, [row])[0], existing=True)
            version = max(int(now.timestamp()), int(row.version) + 1)
            conn.execute(asset_versions.update().where(asset_versions.c.version_id == row.version_id)
                         .values(kept=bool(keep_previous)))
            prev = conn.execute(sa.select(asset_versions).where(asset_versions.c.version_id == row.version_id)).first()
            values = update_row_values(draft, now, version)
            if "extra" in values:  # merged: a re-upload keeps the stored access_control it does not send
                merged = {**(row.extra or {}), **values["extra"]}
                values["extra"] = {k: v for k, v in merged.items() if v is not None}
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

    def _publish_new_sqlite(self, draft: AssetDraft) -> Publication | None:
        """`publish` of a public_id that does not exist yet on SQLite, through
        `SqliteNewAsset` (one transaction, the same rows as the general path); None when the
        asset exists (or the fast path declined): the general path then runs."""
        now = utcnow()
        values = new_row_values(draft, now)
        if self._new_asset is None:
            self._new_asset = SqliteNewAsset(self.engine, list(values))
        version = dict(asset_id=values["asset_id"], version=values["version"], version_id=draft.version_id,
                       format=draft.format, width=draft.width, height=draft.height, bytes=draft.bytes,
                       etag=draft.etag, created_at=now, kept=True)
        with self._serial:
            pk = self._new_asset.publish(values, version, draft.tags or (), draft.context or {})
        if pk is None:
            return None
        self._durable()
        return Publication(record=self._inserted_record(values, draft), created=True)

    def set_analysis(self, asset_id: str, version: int, data: Mapping[str, Any], *,
                     auto_tags: Sequence[str] = ()) -> AssetRecord | None:
        """See `Catalogue.set_analysis`."""
        def tx(conn: sa.Connection) -> AssetRecord | None:
            row = self._one(conn, assets.c.asset_id == asset_id, lock=True)
            if row is None or int(row.version) != int(version):
                return None
            # Analysis alone changes no pixel: the revision (part of every derived-cache key)
            # moves only when new automatic tags may change what `if_tags_...` renders.
            values: dict[str, Any] = {"analysis": merge_info(row.analysis or {}, data), "updated_at": utcnow()}
            if auto_tags:
                self._add_tags(conn, [row.id], auto_tags)
                merged = dedupe([*(row.auto_tags or []), *auto_tags])
                if merged != list(row.auto_tags or []):
                    values["auto_tags"] = merged
                    values["revision"] = assets.c.revision + 1
            conn.execute(assets.update().where(assets.c.id == row.id).values(**values))
            return self._rows_to_records(conn, [self._one(conn, assets.c.id == row.id)])[0]

        return self._write(tx)

    def update(self, type: str, public_id: str, **fields: Any) -> AssetRecord:
        """See `Catalogue.update`."""
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise ValueError(f"Cannot update field(s): {', '.join(sorted(unknown))}")

        def tx(conn: sa.Connection) -> AssetRecord:
            row = self._one(conn, (assets.c.type == type) & (assets.c.public_id == public_id), lock=True)
            if row is None:
                raise AssetMissing(f"Resource not found - {public_id}")
            values: dict[str, Any] = {"updated_at": utcnow(), "revision": assets.c.revision + 1}
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
                    values[k] = int_boxes(v)
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
                type=new_type, public_id=to_public_id, updated_at=utcnow(), revision=assets.c.revision + 1))
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
            ids = dedupe(public_ids)
            if not ids:
                return []
            q = q.where(assets.c.public_id.in_(ids))
        elif prefix is not None:
            if not prefix:
                raise ValueError("prefix must not be empty")
            q = q.where(assets.c.public_id.like(like_prefix(prefix), escape="\\"))
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
