"""Integration fixtures: one storage suite over every backend.

``database_url`` is parametrized: ``sqlite`` (a fresh file under ``tmp_path``) always, and
``postgresql`` when ``DEADLINEWATCH_TEST_POSTGRES_URL`` is set (skipped with the reason
otherwise). Each PostgreSQL test gets its own schema (``search_path`` in the URL, so subprocesses
see the same one), dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from deadlinewatch.storage import Store, create_db_engine, migrate

POSTGRES_ENV = "DEADLINEWATCH_TEST_POSTGRES_URL"


def _postgres_schema_url(base: str, schema: str) -> str:
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'deadlinewatch.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield _postgres_schema_url(base, schema)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A :class:`Store` on a freshly migrated database of each backend."""
    engine = create_db_engine(database_url)
    migrate(engine)
    try:
        yield Store(engine)
    finally:
        engine.dispose()
