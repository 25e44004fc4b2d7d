"""Opening a database only to read it (``show``, ``agenda``): nothing is created, locked or migrated.

SQLite files are opened with ``mode=ro`` (a file that does not exist is "nothing recorded yet",
``None``, and stays absent); PostgreSQL sessions are ``default_transaction_read_only``. The schema
is used as it is: a database older than the program answers with the tables it has, and a missing
table is reported by the caller as a database error.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from deadlinewatch.storage.database import Timeouts, _pg_connect_args
from deadlinewatch.storage.store import Store

__all__ = ["HTTP_READ_TIMEOUTS", "open_read_only", "reader_beside"]

# The HTTP surface's reads: pages and single rows, so seconds are plenty. A little longer than the
# web app's own deadline (4 s), so a silent server is reported as such, not as a failed connect.
HTTP_READ_TIMEOUTS = Timeouts(connect_s=5, statement_ms=10_000, pool_s=5.0)


def open_read_only(url: str) -> Store | None:
    """A :class:`Store` that can only read ``url``, or ``None`` when it is a SQLite file that does
    not exist (or an in-memory database: nothing can have been recorded there).

    Raises ``sqlalchemy.exc.ArgumentError`` for a value that is not a database URL.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # Keep the URL's own libpq options (a search_path, say): connect_args would replace them.
        given = parsed.query.get("options")
        options = " ".join(
            [
                *([given] if isinstance(given, str) else list(given or ())),
                "-c default_transaction_read_only=on",
            ]
        )
        engine = create_engine(parsed, pool_pre_ping=True, connect_args={"options": options})
        return Store(engine)
    database = parsed.database or ""
    if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
        return None
    path = Path(database).expanduser()
    if not path.is_file():
        return None
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)

    return Store(create_engine("sqlite://", creator=connect, poolclass=NullPool))


def reader_beside(engine: Engine, connections: int, timeouts: Timeouts = HTTP_READ_TIMEOUTS) -> Store:
    """A :class:`Store` for reads beside ``engine`` (the service's): on PostgreSQL a pool of its
    own of at most ``connections`` read-only connections with short timeouts, so reads stuck on a
    hung server take none of the service's connections; SQLite shares ``engine``."""
    if engine.dialect.name != "postgresql":
        return Store(engine)
    args = _pg_connect_args(engine.url, timeouts)
    args["options"] = f"{args['options']} -c default_transaction_read_only=on"
    return Store(
        create_engine(
            engine.url,
            pool_size=connections,
            max_overflow=0,
            pool_timeout=timeouts.pool_s,
            pool_pre_ping=True,
            connect_args=args,
        )
    )
