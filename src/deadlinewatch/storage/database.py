"""Engines and schema migrations.

SQLite (the default) gets WAL, a 30 s ``busy_timeout``, foreign keys, and explicit transaction
control: pysqlite's own BEGIN handling is switched off and we emit ``BEGIN`` ourselves — ``BEGIN
IMMEDIATE`` on connections marked with :data:`WRITE` so read-then-write transactions take the
write lock up front instead of failing with "database is locked" half way (the SQLAlchemy pysqlite
recipe). PostgreSQL goes through psycopg with ``pool_pre_ping``, a connect timeout, a server-side
``statement_timeout``, TCP keepalives and ``tcp_user_timeout``, so a database that stops answering
fails calls instead of holding their threads forever (:data:`PG_TIMEOUTS`; health probes use
shorter ones, see :func:`create_probe_engine`).

:func:`migrate` upgrades to the newest Alembic revision under a lock, so several processes
starting at once are safe. Nothing here runs at import time.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool, StaticPool

# Execution options that make a SQLite transaction start with BEGIN IMMEDIATE (no-op elsewhere).
WRITE: dict[str, Any] = {"deadlinewatch_begin": "IMMEDIATE"}

SQLITE_BUSY_TIMEOUT_MS = 30_000
# WAL pages before a commit copies the log back into the database (SQLite's default: 1,000 pages,
# 4 MB). A first start writes a few hundred MB of catch-up rows; checkpointing every 4 MB made the
# commits a third of that time. 10,000 pages (40 MB of log at most) checkpoints ten times less often.
SQLITE_WAL_CHECKPOINT_PAGES = 10_000
# pg_advisory_xact_lock key for schema migrations ("dlw-migr" as bytes; any fixed bigint works, it
# only has to differ from the other advisory locks the service takes).
MIGRATION_LOCK_KEY = 0x646C_772D_6D69_6772

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Timeouts:
    """PostgreSQL limits: seconds to connect, milliseconds per statement (server side), seconds to
    wait for a pooled connection."""

    connect_s: int = 10
    statement_ms: int = 60_000
    pool_s: float = 30.0


PG_TIMEOUTS = Timeouts()
PROBE_TIMEOUTS = Timeouts(connect_s=3, statement_ms=3_000, pool_s=3.0)


def _pg_connect_args(parsed: URL, timeouts: Timeouts) -> dict[str, Any]:
    """Our limits, except those the URL sets itself (connect_args would replace the URL's)."""
    options = str(parsed.query.get("options") or "")
    if "statement_timeout" not in options:  # keep the URL's options (e.g. a search_path)
        options = f"{options} -c statement_timeout={timeouts.statement_ms}".strip()
    defaults: dict[str, Any] = {
        "connect_timeout": timeouts.connect_s,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": timeouts.connect_s * 3000,
    }
    return {"options": options, **{k: v for k, v in defaults.items() if k not in parsed.query}}


def create_db_engine(url: str, *, echo: bool = False, timeouts: Timeouts = PG_TIMEOUTS) -> Engine:
    """An engine for ``url`` (``sqlite:///path``, ``sqlite:///:memory:``, ``postgresql+psycopg://…``).

    ``sqlite:///:memory:`` uses one shared connection (StaticPool), so every session sees the same
    private database — what ``replay`` needs. Read-only commands use
    :func:`deadlinewatch.storage.readonly.open_read_only` instead.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            parsed,
            pool_pre_ping=True,
            pool_timeout=timeouts.pool_s,
            connect_args=_pg_connect_args(parsed, timeouts),
            echo=echo,
        )

    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or parsed.query.get("mode") == "memory"
    if in_memory:
        engine = create_engine(
            parsed, poolclass=StaticPool, connect_args={"check_same_thread": False}, echo=echo
        )
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, echo=echo)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite; "begin" below emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                _use_wal(cursor)
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("deadlinewatch_begin", "")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")

    return engine


def create_probe_engine(engine: Engine) -> Engine:
    """An engine for health probes beside ``engine``: on PostgreSQL a fresh connection per probe
    (no pooled connection to hang on) with short timeouts; SQLite probes share ``engine``."""
    if engine.dialect.name != "postgresql":
        return engine
    parsed = engine.url
    return create_engine(parsed, poolclass=NullPool, connect_args=_pg_connect_args(parsed, PROBE_TIMEOUTS))


def sqlite_path_of(engine: Engine) -> Path | None:
    """The file of a file-backed SQLite engine (``None`` for PostgreSQL and in-memory SQLite)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database or ""
    in_memory = database in ("", ":memory:") or engine.url.query.get("mode") == "memory"
    if in_memory or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (once; it persists). The switch needs an exclusive lock and SQLite
    may answer "database is locked" at once, without its busy handler, while another process opens
    the same new file: retry for up to the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations; no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


class SchemaState(Enum):
    """Where a database's schema stands against this program's migrations."""

    EMPTY = "empty"  # no deadlinewatch schema yet
    CURRENT = "current"
    OLDER = "older"  # a known revision before head: ``migrate`` upgrades it
    NEWER = "newer"  # a revision this program does not know: written by a newer deadlinewatch


@dataclass(frozen=True)
class SchemaCheck:
    state: SchemaState
    revision: str | None  # the database's
    head: str  # this program's


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def check_schema(engine: Engine) -> SchemaCheck:
    """Read the database's schema revision (a plain read: no lock beyond it, nothing written)."""
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    assert head is not None
    revision = current_revision(engine)
    if revision is None:
        return SchemaCheck(SchemaState.EMPTY, None, head)
    if revision == head:
        return SchemaCheck(SchemaState.CURRENT, revision, head)
    try:
        script.get_revision(revision)
    except AlembicError:
        return SchemaCheck(SchemaState.NEWER, revision, head)
    return SchemaCheck(SchemaState.OLDER, revision, head)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` under a lock held for the whole upgrade.

    PostgreSQL: ``pg_advisory_xact_lock`` in the migrating transaction (DDL is transactional there,
    so a second process waits, then finds the schema at head). SQLite: ``BEGIN IMMEDIATE`` holds
    the database write lock for the same span. Idempotent: at head it changes nothing.
    """
    with engine.connect() as connection:
        connection = connection.execution_options(**WRITE)
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` before the first migration)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
