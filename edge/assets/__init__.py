"""The asset catalogue: asset records, the catalogue protocol, SQLite/PostgreSQL wiring
(SQLAlchemy Core + Alembic) chosen by a location string, and durable jobs.

* `edge.assets.catalogue`: the `Catalogue` protocol; it re-exports the record types of
  `edge.assets.records` (`AssetRecord`, `AssetDraft`, `VersionRecord`, `DerivedRecord`,
  `UploadPreset`, results) and the errors of `edge.assets.errors`.
* `edge.assets.factory`: `catalogue_from_location("sqlite:///..." | "postgresql://...")`.
* `edge.assets.sql` (assembled from `sql_base`, `sql_assets`, `sql_tags`, `sql_derived`,
  with `sql_values` and `sql_engine`) / `schema` / `migrate` / `migrations/`: the SQL
  implementation.
* `edge.assets.originals`: store/load/remove originals through a writable origin in a
  crash-safe order; `sweep_orphans`.
* `edge.assets.invalidate`: derived-cache purges (`cache_version` keys + tier deletes).
* `edge.assets.jobs`: `JobQueue`, durable background jobs on huey.
* `edge.assets.ingest`: bulk ingestion (`edge upload` / `edge import`), with `discover`
  (library folders, files, S3 prefixes -> items) and `app_uploader` (the Upload API in process).

Imports flow one way: api -> assets -> storage.  Nothing here imports server, api or render.
"""
