"""A fresh PostgreSQL schema per test, from ``DEADLINEWATCH_TEST_POSTGRES_URL`` (skipped with the
reason when it is unset). The schema is set through ``search_path`` in the URL, so subprocesses
started with that URL see the same one; it is dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ENV = "DEADLINEWATCH_TEST_POSTGRES_URL"


def schema_url(base: str, schema: str) -> str:
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def base_url_or_skip() -> str:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    return base


@contextmanager
def fresh_schema(prefix: str) -> Iterator[str]:
    """The URL of a new, empty schema (dropped on exit); skips the test without a database."""
    base = base_url_or_skip()
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield schema_url(base, schema)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()
