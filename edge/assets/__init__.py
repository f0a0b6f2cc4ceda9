"""The asset catalogue: asset records, the catalogue protocol, SQLite/PostgreSQL wiring
(SQLAlchemy Core + Alembic) chosen by a location string, and durable jobs."""
