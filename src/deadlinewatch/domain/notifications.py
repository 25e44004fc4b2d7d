"""What the engine decides to send: one :class:`Notice` per (subscription, event occurrence), fanned
out to the subscription's channels as ledger rows keyed by :func:`notification_key`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from deadlinewatch.domain.events import EventData, kind_of
from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import EventKind


@dataclass(frozen=True, slots=True)
class Notice:
    """One event occurrence for one subscription.

    ``occurred`` is the occurrence instant (the key); ``send_at`` is when it leaves (later than
    ``occurred`` when held by quiet hours or caught up at start). ``subject`` is the commitment id,
    the source id, the channel name (``channel_failing``) or ``""`` (digest, config_error).
    ``data`` is the event's own typed fields (:mod:`deadlinewatch.domain.events`); its kind is
    ``event``.
    """

    subscription: str
    channels: tuple[str, ...]
    event: EventKind
    subject: str
    occurred: datetime
    send_at: datetime
    data: EventData = field(compare=False, hash=False)

    def __post_init__(self) -> None:
        if kind_of(self.data) is not self.event:
            raise ValueError(f"a {self.event.value} notice carries {self.data.kind} data")

    def key(self, channel: str) -> str:
        return notification_key(self.subscription, channel, self.subject, self.event, self.occurred)

    def sort_key(self) -> tuple[datetime, str, str, int]:
        return (self.send_at, self.subject, self.subscription, self.event.rank)


def notification_key(
    subscription: str, channel: str, subject: str, event: EventKind, occurred: datetime
) -> str:
    """Deterministic, unique per (subscription, channel, subject, event, occurrence instant)."""
    raw = "\x1f".join((subscription, channel, subject, event.value, format_utc(occurred)))
    return hashlib.sha256(raw.encode()).hexdigest()[:40]
