"""Integration fixtures: one storage suite over every backend.

``database_url`` is parametrized: ``sqlite`` (a fresh file under ``tmp_path``) always, and
``postgresql`` when ``DEADLINEWATCH_TEST_POSTGRES_URL`` is set (skipped with the reason
otherwise). Each PostgreSQL test gets its own schema (``search_path`` in the URL, so subprocesses
see the same one), dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deadlinewatch.storage import Store, create_db_engine, migrate
from support.postgres import fresh_schema


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'deadlinewatch.db'}"
        return
    with fresh_schema("t") as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A :class:`Store` on a freshly migrated database of each backend."""
    engine = create_db_engine(database_url)
    migrate(engine)
    try:
        yield Store(engine)
    finally:
        engine.dispose()
