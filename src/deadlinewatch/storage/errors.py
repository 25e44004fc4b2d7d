"""Database errors an operator must recognise at a glance: a full disk in particular.

SQLite answers ``database or disk is full`` (SQLITE_FULL); PostgreSQL SQLSTATE 53100 (``could not
extend file ...: No space left on device``) or an ``ENOSPC`` message.
"""

from __future__ import annotations

DISK_FULL_HINT = (
    "the database's disk is full: nothing new can be recorded (planning and delivery wait; "
    "nothing is marked sent that was not); free space and the service carries on by itself"
)
_DISK_FULL_TEXTS = (
    "database or disk is full",
    "no space left on device",
    "could not extend file",
    "disk full",
)
_DISK_FULL_SQLSTATES = ("53100",)


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (a SQLAlchemy error or the driver's own) says the disk is full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlite_errorname", None) == "SQLITE_FULL":
            return True
        if getattr(current, "sqlstate", None) in _DISK_FULL_SQLSTATES:
            return True
        if any(text in str(current).lower() for text in _DISK_FULL_TEXTS):
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


def brief(exc: BaseException) -> str:
    """One line for the log: the hint for a full disk, else the error's first line."""
    first = str(exc).strip().splitlines()
    line = f"{type(exc).__name__}: {first[0] if first else ''}"[:300]
    return f"{DISK_FULL_HINT} ({line})" if is_disk_full(exc) else line
