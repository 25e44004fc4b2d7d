"""Builds things from the config and the environment: the one place that wires modules together.
Importing it opens nothing; each function builds what it names when called."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from deadlinewatch.config.loader import LoadedConfig, load_config
from deadlinewatch.storage import SchemaCheck, SchemaState, Store, check_schema, create_db_engine, migrate
from deadlinewatch.storage.readonly import open_read_only

DEFAULT_DATABASE_URL = "sqlite:///data/deadlinewatch.db"
MEMORY_DATABASE_URL = "sqlite:///:memory:"


def config_path(value: str | None, env: Mapping[str, str] | None = None) -> Path:
    """``--config``, else ``$DEADLINEWATCH_CONFIG``, else ``./config``."""
    env = os.environ if env is None else env
    return Path(value or env.get("DEADLINEWATCH_CONFIG") or "config")


def load_or_report(path: Path, err: TextIO | None = None) -> LoadedConfig | None:
    """The config at ``path``, or None after printing every error (``FILE:LINE:COL: FIELD: msg``)."""
    err = err or sys.stderr
    result = load_config(path, os.environ)
    if result.errors or result.config is None:
        for error in result.errors:
            print(error, file=err)
        if not result.errors:
            print(f"{path}: the config could not be loaded", file=err)
        return None
    return result.config


class DatabaseProblem(Exception):
    """A database that cannot be used as asked; the message names it and says what to do."""


@dataclass(frozen=True)
class DatabaseChoice:
    """The database a command uses: ``url`` with a relative SQLite path made absolute, and where
    the setting came from (for messages)."""

    url: str
    origin: str

    def shown(self) -> str:
        return redact_url(self.url)


def config_base(config_path: Path) -> Path:
    """The folder relative SQLite paths of a config resolve against: the folder the config lives
    in — the parent of a config folder (``./config`` → ``.``), the folder of a single config file.
    The same ``--config`` from any working folder thus reaches the same database."""
    return config_path.expanduser().resolve().parent


def choose_database(
    cli_value: str | None, config: LoadedConfig | None, config_path: Path | None = None
) -> DatabaseChoice:
    """``--database``, else the config's ``database``, else ``$DEADLINEWATCH_DATABASE_URL``, else
    ``sqlite:///data/deadlinewatch.db``. A relative SQLite path resolves against the current folder
    for ``--database`` and against :func:`config_base` for the others (``Path.cwd()`` without a
    config path). Raises :class:`DatabaseProblem` for a value that is not a database URL."""
    if cli_value:
        value, origin, base = cli_value, "--database", Path.cwd()
    else:
        base = config_base(config_path) if config_path is not None else Path.cwd()
        env_value = os.environ.get("DEADLINEWATCH_DATABASE_URL")
        if config is not None and config.database:
            value, origin = config.database, "the config's database"
        elif env_value:
            value, origin = env_value, "$DEADLINEWATCH_DATABASE_URL"
        else:
            value, origin = DEFAULT_DATABASE_URL, "the default database"
    return DatabaseChoice(_absolute_url(value, origin, base), origin)


def database_url(cli_value: str | None, config: LoadedConfig | None, config_path: Path | None = None) -> str:
    """The URL of :func:`choose_database`."""
    return choose_database(cli_value, config, config_path).url


def _absolute_url(value: str, origin: str, base: Path) -> str:
    relative_to = (
        "the current folder" if origin == "--database" else f"{base}, the folder that holds the config"
    )
    example = f"sqlite:///{value}" if "://" not in value else "sqlite:///data/deadlinewatch.db"
    problem = (
        f"{origin} {redact_text(value)!r} is not a database URL: for a SQLite file write {example} "
        f"(a relative path is relative to {relative_to}), for PostgreSQL postgresql+psycopg://USER@HOST/DB"
    )
    if "://" not in value:
        raise DatabaseProblem(problem)
    try:
        parsed = make_url(value)
    except ArgumentError:
        raise DatabaseProblem(problem) from None
    path = sqlite_file(value)
    if path is None or path.is_absolute() or str(path).startswith("file:"):
        return value
    resolved = path.expanduser() if str(path).startswith("~") else base / path
    return parsed.set(database=str(resolved)).render_as_string(hide_password=False)


def sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.query.get("mode") == "memory":
        return None
    return Path(parsed.database)


def open_store(url: str, *, create: bool = True) -> Store | None:
    """A store at the newest schema, for commands that write (``create``, the default): the SQLite
    file and its folder are created and the schema upgraded, under the migration lock.

    With ``create`` False (read-only commands) nothing is created, locked or upgraded: a SQLite
    file that does not exist, or a database with no schema yet, gives None (nothing recorded); an
    older schema is an error that says how to upgrade it. A database written by a newer
    deadlinewatch is refused either way (:class:`DatabaseProblem`)."""
    if not create:
        return _open_read_only(url)
    engine = create_db_engine(url)
    try:
        check = check_schema(engine)
        _refuse_newer(url, check)
    except Exception:
        engine.dispose()
        raise
    if check.state is not SchemaState.CURRENT:
        migrate(engine)
    store = Store(engine)
    store.ensure_deployment_id()
    return store


def _open_read_only(url: str) -> Store | None:
    store = open_read_only(url)  # SQLite mode=ro, PostgreSQL read-only transactions
    if store is None:
        return None
    try:
        check = check_schema(store.engine)
        _refuse_newer(url, check)
        if check.state is SchemaState.OLDER:
            raise DatabaseProblem(
                f"database {redact_url(url)} has the older schema revision {check.revision!r} (this "
                f"deadlinewatch uses {check.head!r}); read-only commands do not upgrade it: start "
                "`deadlinewatch run` with it once (or record a change with `update`), then try again"
            )
    except Exception:
        store.engine.dispose()
        raise
    if check.state is SchemaState.EMPTY:
        store.engine.dispose()
        return None
    return store


def _refuse_newer(url: str, check: SchemaCheck) -> None:
    if check.state is SchemaState.NEWER:
        raise DatabaseProblem(
            f"database {redact_url(url)} has schema revision {check.revision!r}, which this "
            f"deadlinewatch does not know (it knows up to {check.head!r}): it was written by a newer "
            "version; run that version, or point --database at another database"
        )


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return redact_text(url)


def redact_text(value: str) -> str:
    """``value`` with anything between ``://user:`` and ``@`` hidden (for a URL that does not parse)."""
    head, sep, rest = value.partition("://")
    if not sep or "@" not in rest:
        return value
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{head}://{user}:***@{host}" if ":" in credentials else value
