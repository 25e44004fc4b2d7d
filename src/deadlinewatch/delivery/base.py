"""What every channel shares: the message it is asked to send (:class:`Outgoing`), what it answers
(:class:`SendReceipt`), the one error it raises (:class:`DeliveryError`) and the interface
(:class:`Channel`).

Errors carry the retry decision; the dispatcher owns backoff::

    DeliveryError
      permanent=True    bad token, unknown channel, rejected address, 5xx SMTP, payload refused:
                        retrying the same message cannot help -> mark failed, raise channel_failing
      permanent=False   429, 5xx HTTP, 4xx SMTP, connection refused, timeouts -> retry later,
                        not before ``retry_after`` seconds when the server said so
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from deadlinewatch.domain.events import EventData
from deadlinewatch.domain.model import EventKind


class DeliveryError(Exception):
    """A channel could not deliver. ``message`` never contains a secret (token, password)."""

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"DeliveryError({self.message!r}, permanent={self.permanent}, retry_after={self.retry_after})"


@dataclass(frozen=True)
class Link:
    """A link to show. Only ``http``/``https`` URLs are ever rendered; others are dropped."""

    url: str
    label: str


@dataclass(frozen=True)
class CommitmentView:
    """A commitment as a message shows it; every string may be hostile (config or source text)."""

    id: str
    title: str
    status: str
    deadline_words: str  # describe_deadline(...), e.g. "by end of August 2016, Damascus time"
    relative_words: str | None = None  # relative_to_now(...), e.g. "3 days overdue"
    agreement_title: str | None = None
    parties: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()  # source URLs, history URLs, evidence


@dataclass(frozen=True)
class DigestEntry:
    id: str
    title: str
    deadline_words: str


@dataclass(frozen=True)
class DigestView:
    overdue: tuple[DigestEntry, ...] = ()
    closing: tuple[DigestEntry, ...] = ()
    horizon_words: str | None = None  # e.g. "30 days"


@dataclass(frozen=True)
class OperationalView:
    """``source_failing``, ``source_recovered``, ``channel_failing``, ``config_error``."""

    subject: str
    detail: str


@dataclass(frozen=True)
class Outgoing:
    """Everything a channel needs to render and send one notification.

    ``key`` is the notification key (ledger, Slack ``metadata``, email ``Message-ID``). ``data`` is
    the typed event (:mod:`deadlinewatch.domain.events`). Exactly one of ``commitment``/``digest``/
    ``operational`` is normally set, by the event kind. ``thread_ts`` is the Slack parent message
    to reply under; ``actions`` asks for the ack / snooze / fulfilled buttons (only when a signing
    secret is configured).
    """

    key: str
    event: EventKind
    subscription: str
    channel: str
    occurred: datetime
    send_at: datetime
    data: EventData = field(compare=False, hash=False)
    commitment: CommitmentView | None = None
    digest: DigestView | None = None
    operational: OperationalView | None = None
    thread_ts: str | None = None
    actions: bool = False


@dataclass(frozen=True)
class SendReceipt:
    """What the channel accepted. ``ts``/``slack_channel`` identify a posted Slack message (the
    dispatcher keeps the first as the thread parent for (channel, commitment)); ``detail`` says
    anything worth recording (e.g. recipients an SMTP server refused while accepting others)."""

    channel: str
    ts: str | None = None
    slack_channel: str | None = None
    detail: str | None = None


class Channel(Protocol):
    """One configured destination. ``send`` raises only :class:`DeliveryError`."""

    name: str

    async def send(self, message: Outgoing) -> SendReceipt: ...

    async def aclose(self) -> None: ...


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds (the delay form; an HTTP-date or garbage gives ``None``,
    leaving the delay to the dispatcher's backoff)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if seconds != seconds or seconds < 0:  # NaN or negative
        return None
    return min(seconds, 3600.0)
