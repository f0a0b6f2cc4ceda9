"""The asset catalogue: asset records, the catalogue protocol, SQLite/PostgreSQL wiring
(SQLAlchemy Core + Alembic) chosen by a location string, and durable jobs.

* `edge.assets.catalogue`: record types (`AssetRecord`, `AssetDraft`, `VersionRecord`,
  `DerivedRecord`, `UploadPreset`, results, errors) and the `Catalogue` protocol.
* `edge.assets.factory`: `catalogue_from_location("sqlite:///..." | "postgresql://...")`.
* `edge.assets.sql` / `schema` / `migrate` / `migrations/`: the SQL implementation.
* `edge.assets.originals`: store/load/remove originals through a writable origin in a
  crash-safe order; `sweep_orphans`.
* `edge.assets.invalidate`: derived-cache purges (`cache_version` keys + tier deletes).
* `edge.assets.jobs`: `JobQueue`, durable background jobs on huey.
* `edge.assets.ingest`: bulk ingestion (`edge upload` / `edge import`).

Imports flow one way: api -> assets -> storage.  Nothing here imports server, api or render.
"""
