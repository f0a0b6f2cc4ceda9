"""Tags and context of the SQL catalogue (`TagStatements`, a part of
`edge.assets.sql.SqlCatalogue`): add/remove/replace tags, context, the tag list."""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import sqlalchemy as sa

from edge.assets.catalogue import TagResult
from edge.assets.schema import asset_context, asset_tags, assets
from edge.assets.sql_values import check_max, decode_cursor, dedupe, encode_cursor, like_prefix, utcnow

__all__ = ["TagStatements"]


class TagStatements:
    """See `edge.assets.catalogue.Catalogue` (needs `SqlBase`)."""

    # -- tags and context ------------------------------------------------------------------
    def _locked_rows(self, conn: sa.Connection, type: str, public_ids: Sequence[str]) -> tuple[list[sa.Row], tuple[str, ...]]:
        ids = dedupe(public_ids)
        found: dict[str, sa.Row] = {}
        for i in range(0, len(ids), 500):
            q = (sa.select(assets).where((assets.c.type == type) & assets.c.public_id.in_(ids[i:i + 500]))
                 .order_by(assets.c.id))
            for r in conn.execute(self._lock(q)):
                found[r.public_id] = r
        rows = [found[p] for p in ids if p in found]
        return rows, tuple(p for p in ids if p not in found)

    def _add_tags(self, conn: sa.Connection, pks: Sequence[int], tags: Sequence[str]) -> None:
        values = [{"asset_pk": pk, "tag": t} for pk in pks for t in dedupe(tags)]
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
                    updated_at=utcnow(), revision=assets.c.revision + 1))
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
        n = check_max(max_results)
        after = decode_cursor(cursor)
        if after is not None and not isinstance(after, str):
            raise ValueError("Invalid next_cursor")
        q = sa.select(asset_tags.c.tag).distinct()
        if prefix:
            q = q.where(asset_tags.c.tag.like(like_prefix(prefix), escape="\\"))
        if after is not None:
            q = q.where(asset_tags.c.tag > after)
        q = q.order_by(asset_tags.c.tag).limit(n + 1)
        with self._read() as conn:
            tags = [t for (t,) in conn.execute(q)]
        more = len(tags) > n
        tags = tags[:n]
        return tags, (encode_cursor(tags[-1]) if more else None)
