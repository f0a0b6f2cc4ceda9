"""The catalogue's tables (SQLAlchemy Core), shared by the SQLite and PostgreSQL backends.

The Alembic revisions in `edge.assets.migrations.versions` create exactly these tables; a
change here needs a new revision.

* `assets`: one row per asset, the current version's fields; unique `(type, public_id)` and
  `asset_id`.  `id` (integer) orders listings by creation and keys the child tables.
* `asset_versions`: every version (current and past); unique `version_id` and
  `(asset_pk, version)`.
* `asset_tags` / `asset_context`: one row per tag / context key (primary keys make concurrent
  adds idempotent, so two nodes tagging one asset lose nothing).
* `derived_assets`: derived records, unique `cache_key`.
* `upload_presets`: named upload presets.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

__all__ = ["metadata", "assets", "asset_versions", "asset_tags", "asset_context", "derived_assets",
           "upload_presets", "JSONType"]

#: JSON column: `jsonb` on PostgreSQL, JSON text on SQLite.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

metadata = sa.MetaData()

assets = sa.Table(
    "assets", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("asset_id", sa.String(32), nullable=False, unique=True),
    sa.Column("resource_type", sa.String(16), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("public_id", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("version_id", sa.String(32), nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("pages", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revision", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("metadata", JSONType, nullable=False),
    sa.Column("coordinates_custom", JSONType, nullable=False),
    sa.Column("coordinates_faces", JSONType, nullable=False),
    sa.Column("asset_folder", sa.Text, nullable=False),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("original_filename", sa.Text, nullable=True),
    sa.Column("access_mode", sa.String(32), nullable=False),
    sa.Column("moderation", JSONType, nullable=False),
    sa.Column("analysis", JSONType, nullable=False),
    sa.Column("auto_tags", JSONType, nullable=False),
    sa.Column("placeholder", sa.Boolean, nullable=False),
    sa.Column("extra", JSONType, nullable=False),
    sa.UniqueConstraint("type", "public_id", name="uq_assets_type_public_id"),
    # prefix searches (`LIKE 'folder/%'`) use it on PostgreSQL whatever the database collation
    sa.Index("ix_assets_public_id_prefix", "public_id", postgresql_ops={"public_id": "text_pattern_ops"}),
    sqlite_autoincrement=True,
)

asset_versions = sa.Table(
    "asset_versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("asset_pk", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("asset_id", sa.String(32), nullable=False, index=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("version_id", sa.String(32), nullable=False, unique=True),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kept", sa.Boolean, nullable=False),
    sa.UniqueConstraint("asset_pk", "version", name="uq_asset_versions_asset_version"),
    sqlite_autoincrement=True,
)

asset_tags = sa.Table(
    "asset_tags", metadata,
    sa.Column("asset_pk", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag", sa.Text, primary_key=True),
    sa.Index("ix_asset_tags_tag", "tag"),
)

asset_context = sa.Table(
    "asset_context", metadata,
    sa.Column("asset_pk", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Index("ix_asset_context_key", "key"),
)

derived_assets = sa.Table(
    "derived_assets", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("asset_pk", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("asset_id", sa.String(32), nullable=False),
    sa.Column("version_id", sa.String(32), nullable=False),
    sa.Column("transformation", sa.Text, nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("cache_key", sa.String(128), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)

upload_presets = sa.Table(
    "upload_presets", metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("unsigned", sa.Boolean, nullable=False),
    sa.Column("settings", JSONType, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
