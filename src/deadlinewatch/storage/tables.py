"""The schema, as sqlmodel tables. Only ``storage/`` sees these classes.

``table=True`` models skip pydantic validation, so each table with caller-supplied values has a
plain base model (``*Fields``) that is validated first; rows are built from validated data.
Migrations (``migrations/versions``) are the source of truth for the database; a test checks that
these classes and the migrated schema agree.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import field_validator
from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from deadlinewatch.domain.model import EventKind
from deadlinewatch.storage.types import JSONDocument, UTCDateTime


class NotificationState(StrEnum):
    """Life of a ledger row: pending → sending → sent, or back to pending (retry), or failed.
    ``superseded`` rows were decided but deliberately not sent (catch-up, quiet hours release)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded"


def _require_aware(value: datetime | None) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError("naive datetime: an instant needs a time zone")
    return value


_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER keys


class NotificationFields(SQLModel):
    """What the engine decides: validated before a ``notification`` row is built."""

    key: str = Field(min_length=1, max_length=64)
    subscription: str
    channel: str
    subject: str = ""
    event: EventKind = Field(sa_type=String(32))
    occurred: datetime = Field(sa_type=UTCDateTime)
    send_at: datetime = Field(sa_type=UTCDateTime)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    state: NotificationState = Field(default=NotificationState.PENDING, sa_type=String(16))
    last_error: str | None = None

    @field_validator("occurred", "send_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        _require_aware(value)
        return value


class Notification(NotificationFields, table=True):
    """The ledger and durable outbox: one row per (subscription, channel, subject, event, instant)."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("key", name="uq_notification_key"),
        Index("ix_notification_claim", "state", "next_attempt_at"),
        Index("ix_notification_lease", "state", "lease_until"),
        Index("ix_notification_send_at", "send_at"),
        Index("ix_notification_subject", "subject", "send_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_ID)
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class StatusChangeFields(SQLModel):
    commitment_id: str = Field(min_length=1)
    at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(sa_type=String(32))
    note: str | None = None
    url: str | None = None
    origin: str = "manual"
    verified: bool = False
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    actor: str | None = None

    @field_validator("at", "recorded_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        _require_aware(value)
        return value


class StatusChangeRow(StatusChangeFields, table=True):
    __tablename__ = "status_change"
    __table_args__ = (Index("ix_status_change_commitment", "commitment_id", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=_ID)


class AckFields(SQLModel):
    commitment_id: str = Field(min_length=1)
    at: datetime = Field(sa_type=UTCDateTime)
    note: str | None = None
    actor: str | None = None
    lifted: bool = False

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        _require_aware(value)
        return value


class AckRow(AckFields, table=True):
    __tablename__ = "ack"
    __table_args__ = (Index("ix_ack_commitment", "commitment_id", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=_ID)


class SnoozeFields(SQLModel):
    commitment_id: str = Field(min_length=1)
    at: datetime = Field(sa_type=UTCDateTime)
    until: datetime = Field(sa_type=UTCDateTime)
    note: str | None = None
    actor: str | None = None
    lifted: bool = False

    @field_validator("at", "until")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        _require_aware(value)
        return value


class SnoozeRow(SnoozeFields, table=True):
    __tablename__ = "snooze"
    __table_args__ = (Index("ix_snooze_commitment", "commitment_id", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=_ID)


class EngineStateRow(SQLModel, table=True):
    """Small named JSON documents the engine keeps between runs (watermarks, last known dues)."""

    __tablename__ = "engine_state"

    key: str = Field(primary_key=True)
    value: Any = Field(default=None, sa_type=JSONDocument, nullable=True)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SlackThreadRow(SQLModel, table=True):
    __tablename__ = "slack_thread"

    channel: str = Field(primary_key=True)
    commitment_id: str = Field(primary_key=True)
    ts: str


class SourceStateRow(SQLModel, table=True):
    __tablename__ = "source_state"

    source_id: str = Field(primary_key=True)
    etag: str | None = None
    last_modified: str | None = None
    consecutive_failures: int = 0
    failing: bool = False
    last_error: str | None = None
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SourceItemRow(SQLModel, table=True):
    """Items (by guid/link) a source has already counted."""

    __tablename__ = "source_item"
    __table_args__ = (UniqueConstraint("source_id", "item_key", name="uq_source_item"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=_ID)
    source_id: str
    item_key: str
    seen_at: datetime = Field(sa_type=UTCDateTime)
