"""Alembic environment of the catalogue, driven programmatically by `edge.assets.migrate`.

The caller passes an open SQLAlchemy connection (already inside its transaction, which holds
the migration lock) in `config.attributes["connection"]`; no alembic.ini is needed.
"""

from __future__ import annotations

from alembic import context

from edge.assets.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - offline mode / CLI use without a connection
    raise RuntimeError("edge catalogue migrations run through edge.assets.migrate.upgrade(connection)")



def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate sees only the catalogue's tables (not the job queue's `edge_jobs_*`)."""
    return not (type_ == "table" and name is not None and name.startswith("edge_jobs_"))


context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  include_name=include_name)
with context.begin_transaction():
    context.run_migrations()
