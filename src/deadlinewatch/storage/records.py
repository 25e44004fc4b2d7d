"""What the storage layer hands out and takes in: plain frozen values, never table rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deadlinewatch.domain.briefs import Brief
from deadlinewatch.domain.events import EventData
from deadlinewatch.domain.localtime import format_utc, parse_utc
from deadlinewatch.domain.model import EventKind, Status, StatusChange
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.storage.payloads import StoredPayload, dump_brief, dump_event, load_brief, load_event
from deadlinewatch.storage.tables import NotificationState

__all__ = [
    "AckRecord",
    "NewNotification",
    "NotificationRecord",
    "NotificationState",
    "SnoozeRecord",
    "SourceState",
    "StatusChangeRecord",
    "new_notifications",
    "notice_payload",
]

KEY_LIMIT = 64  # the ``notification.key`` column's length


@dataclass(frozen=True)
class NewNotification:
    """A ledger row to insert. ``state`` is ``pending`` (to send) or ``superseded`` (decided, not
    sent: ``reason`` says why). ``payload`` is stored as JSON and never changed afterwards."""

    key: str
    subscription: str
    channel: str
    subject: str
    event: EventKind
    occurred: datetime
    send_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    state: NotificationState = NotificationState.PENDING
    reason: str | None = None

    def __post_init__(self) -> None:
        # Cheap checks at construction (the ledger insert trusts them): a bad row never reaches a write.
        if not isinstance(self.key, str) or not 0 < len(self.key) <= KEY_LIMIT:
            raise ValueError(f"a notification key is 1 to {KEY_LIMIT} characters, not {self.key!r}")
        for name in ("subscription", "channel"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"a notification's {name} is a non-empty string, not {value!r}")
        if not isinstance(self.subject, str):
            raise ValueError(f"a notification's subject is a string, not {self.subject!r}")
        if not isinstance(self.event, EventKind):
            object.__setattr__(self, "event", EventKind(self.event))  # ValueError when unknown
        state = self.state if isinstance(self.state, NotificationState) else NotificationState(self.state)
        if state not in (NotificationState.PENDING, NotificationState.SUPERSEDED):
            raise ValueError(f"a new notification is pending or superseded, not {state.value}")
        object.__setattr__(self, "state", state)
        for name in ("occurred", "send_at"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"a notification's {name} is an aware datetime, not {value!r}")
        if not isinstance(self.payload, Mapping):
            raise ValueError("a notification's payload is a mapping")
        if self.reason is not None and not isinstance(self.reason, str):
            raise ValueError(f"a notification's reason is a string or None, not {self.reason!r}")

    @classmethod
    def from_notice(
        cls,
        notice: Notice,
        channel: str,
        brief: Brief | None = None,
        *,
        state: NotificationState = NotificationState.PENDING,
        reason: str | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> NewNotification:
        """The row for ``notice`` on ``channel``; ``brief`` is what its message says of the subject.
        ``payload``, when given, is :func:`notice_payload` of the same notice and brief (built once
        and shared by the rows of every channel)."""
        return cls(
            key=notice.key(channel),
            subscription=notice.subscription,
            channel=channel,
            subject=notice.subject,
            event=notice.event,
            occurred=notice.occurred,
            send_at=notice.send_at,
            payload=payload if payload is not None else notice_payload(notice, dump_brief(brief)),
            state=state,
            reason=reason,
        )


def notice_payload(notice: Notice, brief: dict[str, Any] | None) -> StoredPayload:
    """The JSON a ledger row of ``notice`` keeps (the same for each of its channels); ``brief`` is
    the brief as :func:`~deadlinewatch.storage.payloads.dump_brief` wrote it."""
    return StoredPayload(
        subscription=notice.subscription,
        channels=list(notice.channels),
        event=notice.event.value,
        subject=notice.subject,
        occurred=format_utc(notice.occurred),
        send_at=format_utc(notice.send_at),
        data=dump_event(notice.data),
        brief=brief,
    )


def new_notifications(
    notice: Notice,
    brief: Brief | None = None,
    *,
    state: NotificationState = NotificationState.PENDING,
    reason: str | None = None,
    dumped_brief: dict[str, Any] | None = None,
) -> list[NewNotification]:
    """One row per channel of ``notice`` (its fan-out), sharing one payload. ``dumped_brief``, when
    given, is ``dump_brief(brief)`` already made (a burst shares one brief among many notices)."""
    payload = notice_payload(notice, dumped_brief if dumped_brief is not None else dump_brief(brief))
    return [
        NewNotification.from_notice(notice, channel, state=state, reason=reason, payload=payload)
        for channel in notice.channels
    ]


@dataclass(frozen=True)
class NotificationRecord:
    """A ledger row as stored."""

    id: int
    key: str
    subscription: str
    channel: str
    subject: str
    event: EventKind
    occurred: datetime
    send_at: datetime
    payload: Mapping[str, Any]
    state: NotificationState
    attempts: int
    last_error: str | None
    lease_owner: str | None
    lease_until: datetime | None
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    updated_at: datetime

    @property
    def data(self) -> EventData:
        """The typed event (raises :class:`PayloadError` when the stored JSON does not read back)."""
        raw = self.payload.get("data")
        return load_event(self.event, raw if raw is not None else self.payload.get("fields"))

    @property
    def brief(self) -> Brief | None:
        raw = self.payload.get("brief")
        return load_brief(raw if raw is not None else self.payload.get("context"))

    def notice(self) -> Notice:
        """The :class:`Notice` this row was made from (``channels`` as recorded in the payload)."""
        channels = self.payload.get("channels") or [self.channel]
        send_at = self.payload.get("send_at")
        return Notice(
            subscription=self.subscription,
            channels=tuple(str(c) for c in channels),
            event=self.event,
            subject=self.subject,
            occurred=self.occurred,
            send_at=parse_utc(send_at) if isinstance(send_at, str) else self.send_at,
            data=self.data,
        )


@dataclass(frozen=True)
class StatusChangeRecord:
    id: int
    commitment_id: str
    at: datetime
    status: Status
    note: str | None
    url: str | None
    origin: str
    verified: bool
    recorded_at: datetime
    actor: str | None = None

    @property
    def change(self) -> StatusChange:
        return StatusChange(
            at=self.at,
            status=self.status,
            note=self.note,
            url=self.url,
            origin=self.origin,
            verified=self.verified,
            actor=self.actor,
            recorded_at=self.recorded_at,
        )


@dataclass(frozen=True)
class AckRecord:
    id: int
    commitment_id: str
    at: datetime
    note: str | None
    actor: str | None = None
    lifted: bool = False  # the acknowledgement was withdrawn at ``at``


@dataclass(frozen=True)
class SnoozeRecord:
    id: int
    commitment_id: str
    at: datetime
    until: datetime
    note: str | None
    actor: str | None = None
    lifted: bool = False  # every snooze running at ``at`` ends there


@dataclass(frozen=True)
class SourceState:
    """A source's polling state. ``updated_at`` ``None`` on save = the database's clock."""

    source_id: str
    etag: str | None = None
    last_modified: str | None = None
    consecutive_failures: int = 0
    failing: bool = False
    last_error: str | None = None
    updated_at: datetime | None = None
