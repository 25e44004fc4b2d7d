"""Schema migrations: idempotent, safe when several processes start at once, and in step with the
sqlmodel tables."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from typing import Any

import sqlmodel
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from deadlinewatch.storage import Store, create_db_engine, current_revision, migrate
from deadlinewatch.storage.database import MIGRATIONS_DIR, alembic_config

TABLES = {
    "notification",
    "status_change",
    "ack",
    "snooze",
    "engine_state",
    "slack_thread",
    "source_state",
    "source_item",
}


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migrate_creates_every_table_and_is_idempotent(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        migrate(engine)
        assert current_revision(engine) == _head()
        assert set(inspect(engine).get_table_names()) >= TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        migrate(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, sqlmodel.SQLModel.metadata)
        ours = [d for d in differences if _concerns(d, TABLES)]
        assert ours == []
    finally:
        engine.dispose()


def _concerns(difference: Any, tables: set[str]) -> bool:
    text = repr(difference)
    return any(f"'{name}'" in text for name in tables)


def test_migrations_ship_as_package_files() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert list((MIGRATIONS_DIR / "versions").glob("0001_*.py"))


def _migrate_in_process(url: str, barrier: Any, results: Any) -> None:
    engine = create_db_engine(url)
    try:
        barrier.wait(timeout=60)
        migrate(engine)
        results.put(("ok", current_revision(engine)))
    except Exception as error:  # reported to the parent, which fails the test
        results.put(("error", repr(error)))
    finally:
        engine.dispose()


def test_processes_migrating_at_once_all_succeed(database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    workers = 4
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=_migrate_in_process, args=(database_url, barrier, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert outcomes == [("ok", _head())] * workers
    engine = create_db_engine(database_url)
    try:
        assert current_revision(engine) == _head()
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_one_private_database() -> None:
    engine = create_db_engine("sqlite:///:memory:")
    try:
        migrate(engine)
        store = Store(engine)
        store.add_ack("syria-detainees", datetime(2016, 4, 1, tzinfo=UTC), note="seen")
        assert [a.note for a in Store(engine).acks()] == ["seen"]
        assert store.ping()
    finally:
        engine.dispose()
    other = create_db_engine("sqlite://")
    try:
        assert current_revision(other) is None
    finally:
        other.dispose()
