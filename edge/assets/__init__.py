"""The asset catalogue: asset records, the catalogue protocol, SQLite/PostgreSQL wiring
(SQLAlchemy Core + Alembic) chosen by a location string, and durable jobs.

Import the record types and the protocol from `edge.assets.catalogue`, the factory from
`edge.assets.factory`, the job queue from `edge.assets.jobs`.
"""
