"""Builds things from the config and the environment: the one place that wires modules together.
Importing it opens nothing; each function builds what it names when called."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url

from deadlinewatch.config.loader import LoadedConfig, load_config
from deadlinewatch.storage import Store, create_db_engine, migrate

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


def database_url(cli_value: str | None, config: LoadedConfig | None) -> str:
    """``--database``, else the config's ``database``, else ``$DEADLINEWATCH_DATABASE_URL``, else
    SQLite under ``data/``."""
    return (
        cli_value
        or (config.database if config is not None else None)
        or os.environ.get("DEADLINEWATCH_DATABASE_URL")
        or DEFAULT_DATABASE_URL
    )


def sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def open_store(url: str, *, create: bool = True) -> Store | None:
    """A migrated store. With ``create`` False (read-only commands) a SQLite file that does not
    exist yet gives None instead of being created."""
    path = sqlite_file(url)
    if path is not None:
        if not path.exists() and not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(url)
    migrate(engine)
    store = Store(engine)
    store.ensure_deployment_id()
    return store


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)
