"""Alembic environment: runs on the connection handed in through ``config.attributes``.

Without one (the ``alembic`` command line, e.g. for ``revision --autogenerate``), it connects to
``$DEADLINEWATCH_DATABASE_URL`` or ``sqlalchemy.url``. ``render_as_batch`` on SQLite so later
migrations can alter tables there.
"""

from __future__ import annotations

import os

import sqlmodel
from alembic import context
from sqlalchemy import Connection

from deadlinewatch.storage import tables  # noqa: F401  (registers the tables on the metadata)
from deadlinewatch.storage.database import create_db_engine

target_metadata = sqlmodel.SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = os.environ.get("DEADLINEWATCH_DATABASE_URL") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass a connection or set DEADLINEWATCH_DATABASE_URL")
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported")
run_migrations_online()
