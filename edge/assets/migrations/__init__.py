"""Alembic migrations of the asset catalogue."""
