"""Alembic revisions of the catalogue (one module per revision)."""
