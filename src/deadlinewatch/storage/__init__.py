"""Persistence (sqlmodel on SQLite or PostgreSQL): the notification ledger/outbox and the state
the engine keeps between runs. Outside this package, use :class:`Store`, the records and the
engine/migration functions re-exported here; table classes stay inside."""

from deadlinewatch.storage.database import (
    SchemaCheck,
    SchemaState,
    check_schema,
    create_db_engine,
    current_revision,
    migrate,
)
from deadlinewatch.storage.ledger_pages import LedgerFilter, LedgerPage
from deadlinewatch.storage.records import (
    AckRecord,
    NewNotification,
    NotificationRecord,
    NotificationState,
    SnoozeRecord,
    SourceState,
    StatusChangeRecord,
    new_notifications,
)
from deadlinewatch.storage.store import Store

__all__ = [
    "AckRecord",
    "LedgerFilter",
    "LedgerPage",
    "NewNotification",
    "NotificationRecord",
    "NotificationState",
    "SchemaCheck",
    "SchemaState",
    "SnoozeRecord",
    "SourceState",
    "StatusChangeRecord",
    "Store",
    "check_schema",
    "create_db_engine",
    "current_revision",
    "migrate",
    "new_notifications",
]
