"""The JSON pages of the read API as pydantic models: what the routes answer and what the served
OpenAPI schema describes (one definition for both)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field, TypeAdapter

from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import EventKind
from deadlinewatch.services.report import CommitmentState
from deadlinewatch.storage import NotificationRecord, NotificationState

__all__ = [
    "DETAIL",
    "AckEntry",
    "CommitmentDetail",
    "CommitmentPage",
    "HistoryEntry",
    "NotificationItem",
    "NotificationPage",
    "SnoozeEntry",
    "WindowOfDue",
]

_NEXT = "pass as ``cursor`` for the next page; null on the last page"


class CommitmentPage(BaseModel):
    """One page of commitments in config order, as of now."""

    items: list[CommitmentState]
    total: int = Field(description="commitments matching the filters, in all pages")
    limit: int
    offset: int
    next_cursor: str | None = Field(description=_NEXT)


class NotificationItem(BaseModel):
    """One ledger row: a notification decided for a subscription's channel, and what became of it."""

    id: int
    when: str = Field(description="when it is (or was) to be sent, UTC")
    occurred: str = Field(description="when the event happened, UTC")
    event: EventKind
    subject: str = Field(description="the commitment (or source, channel) it is about")
    subscription: str
    channel: str
    state: NotificationState
    attempts: int
    error: str | None = Field(description="the last attempt's error")
    sent_at: str | None

    @classmethod
    def of(cls, record: NotificationRecord) -> NotificationItem:
        return cls(
            id=record.id,
            when=format_utc(record.send_at),
            occurred=format_utc(record.occurred),
            event=record.event,
            subject=record.subject,
            subscription=record.subscription,
            channel=record.channel,
            state=record.state,
            attempts=record.attempts,
            error=record.last_error,
            sent_at=format_utc(record.sent_at) if record.sent_at else None,
        )


class NotificationPage(BaseModel):
    """One page of the ledger, newest row (highest id) first."""

    items: list[NotificationItem]
    total: int | None = Field(
        description="rows matching the filters, in all pages; null when more than 10,000 match"
    )
    limit: int
    offset: int
    next_cursor: str | None = Field(description=_NEXT)


class WindowOfDue(BaseModel):
    """The deadline window in force now (UTC instants) and when the commitment becomes overdue."""

    precision: str
    zone: str
    opens: str
    closes: str
    due: str
    overdue_from: str


class HistoryEntry(BaseModel):
    """A status change, from the config (``recorded_at`` null) or recorded since."""

    at: str
    status: str
    note: str | None
    url: str | None
    origin: str
    verified: bool
    by: str | None
    recorded_at: str | None


class AckEntry(BaseModel):
    at: str
    note: str | None
    by: str | None
    withdrawn: bool


class SnoozeEntry(BaseModel):
    at: str
    until: str | None = Field(description="null once lifted")
    note: str | None
    by: str | None
    lifted: bool


@dataclass(frozen=True)
class CommitmentDetail(CommitmentState):
    """One commitment: its state (as in the pages), window, history, acks, snoozes and newest
    notifications."""

    agreement_title: str | None
    parties: list[str]
    window: WindowOfDue | None
    history: list[HistoryEntry]
    acknowledged: bool
    snoozed_until: str | None
    acks: list[AckEntry]
    snoozes: list[SnoozeEntry]
    notifications: list[NotificationItem]


DETAIL: TypeAdapter[CommitmentDetail] = TypeAdapter(CommitmentDetail)
