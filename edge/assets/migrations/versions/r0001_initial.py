"""Initial catalogue: assets, versions, tags, context, derived assets, upload presets.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the six catalogue tables."""
    op.create_table(
        "assets",
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
        sqlite_autoincrement=True,
    )
    op.create_index("ix_assets_public_id_prefix", "assets", ["public_id"],
                    postgresql_ops={"public_id": "text_pattern_ops"})
    op.create_table(
        "asset_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("asset_pk", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("asset_id", sa.String(32), nullable=False),
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
    op.create_index("ix_asset_versions_asset_id", "asset_versions", ["asset_id"])
    op.create_table(
        "asset_tags",
        sa.Column("asset_pk", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tag", sa.Text, primary_key=True),
    )
    op.create_index("ix_asset_tags_tag", "asset_tags", ["tag"])
    op.create_table(
        "asset_context",
        sa.Column("asset_pk", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_index("ix_asset_context_key", "asset_context", ["key"])
    op.create_table(
        "derived_assets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("asset_pk", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
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
    op.create_index("ix_derived_assets_asset_pk", "derived_assets", ["asset_pk"])
    op.create_table(
        "upload_presets",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("unsigned", sa.Boolean, nullable=False),
        sa.Column("settings", JSONType, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop the catalogue tables."""
    for name in ("upload_presets", "derived_assets", "asset_context", "asset_tags", "asset_versions", "assets"):
        op.drop_table(name)
