"""Derived assets and upload presets of the SQL catalogue (`DerivedStatements`,
`PresetStatements`, parts of `edge.assets.sql.SqlCatalogue`)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from edge.assets.catalogue import DerivedRecord, PresetExists, PresetMissing, UploadPreset
from edge.assets.schema import assets, derived_assets, upload_presets
from edge.assets.sql_values import as_utc, check_max, decode_cursor, encode_cursor, utcnow

__all__ = ["DerivedStatements", "PresetStatements"]


class DerivedStatements:
    """See `edge.assets.catalogue.Catalogue` (needs `SqlBase`)."""

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
                        cache_key=cache_key, created_at=utcnow())
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
        n = check_max(max_results)
        after = decode_cursor(cursor)
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
        return [self._derived_record(r) for r in rows], (encode_cursor(rows[-1].id) if more else None)

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


class PresetStatements:
    """See `edge.assets.catalogue.Catalogue` (needs `SqlBase`)."""

    # -- upload presets --------------------------------------------------------------------
    @staticmethod
    def _preset(r: sa.Row) -> UploadPreset:
        return UploadPreset(name=r.name, unsigned=bool(r.unsigned), settings=dict(r.settings or {}),
                            created_at=as_utc(r.created_at), updated_at=as_utc(r.updated_at))

    def create_preset(self, name: str, *, unsigned: bool = False, settings: Mapping[str, Any] | None = None) -> UploadPreset:
        """See `Catalogue.create_preset`."""
        if not name:
            raise ValueError("preset name must not be empty")

        def tx(conn: sa.Connection) -> UploadPreset:
            now = utcnow()
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
        n = check_max(max_results)
        after = decode_cursor(cursor)
        q = sa.select(upload_presets)
        if after is not None:
            q = q.where(upload_presets.c.name > str(after))
        q = q.order_by(upload_presets.c.name).limit(n + 1)
        with self._read() as conn:
            rows = conn.execute(q).all()
        more = len(rows) > n
        rows = rows[:n]
        return [self._preset(r) for r in rows], (encode_cursor(rows[-1].name) if more else None)

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
            values: dict[str, Any] = {"settings": merged, "updated_at": utcnow()}
            if unsigned is not None:
                values["unsigned"] = bool(unsigned)
            conn.execute(upload_presets.update().where(upload_presets.c.name == name).values(**values))
            return self._preset(conn.execute(sa.select(upload_presets).where(upload_presets.c.name == name)).one())

        return self._write(tx)

    def delete_preset(self, name: str) -> bool:
        """See `Catalogue.delete_preset`."""
        return self._write(lambda conn: conn.execute(
            upload_presets.delete().where(upload_presets.c.name == name)).rowcount > 0)
