"""Fixtures of the catalogue tests: every catalogue test runs against SQLite AND a real
PostgreSQL (tests/pgserver.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgserver import pg_server  # noqa: E402,F401  (re-exported fixture)
from s3server import s3_server  # noqa: E402,F401  (re-exported fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def catalogue_location(request: Any, tmp_path: Path) -> str:
    """A fresh, empty catalogue location of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalogue.db'}"
    server = request.getfixturevalue("pg_server")
    return server.new_database()


@pytest.fixture
def catalogue(catalogue_location: str) -> Iterator[Any]:
    """An open `SqlCatalogue` on `catalogue_location` (closed after the test)."""
    from edge.assets.factory import catalogue_from_location

    cat = catalogue_from_location(catalogue_location)
    yield cat
    cat.close()
