"""A ledger row → the :class:`Outgoing` a channel sends (pure; ``now`` is an argument).

The row's event and brief were fixed at decision time (:mod:`deadlinewatch.services.context`) and
read back as their types (:mod:`deadlinewatch.storage.payloads`); only the "how far from the
deadline" words are computed at send time. A row whose payload does not read back raises
:class:`~deadlinewatch.storage.payloads.PayloadError` (the dispatcher marks it failed, saying why).
"""

from __future__ import annotations

from datetime import datetime

from deadlinewatch.delivery.base import (
    CommitmentView,
    DigestEntry,
    DigestView,
    Link,
    OperationalView,
    Outgoing,
)
from deadlinewatch.domain.briefs import CommitmentBrief, DigestBrief, OperationalBrief
from deadlinewatch.domain.events import (
    ChannelFailing,
    ConfigError,
    EventData,
    SourceFailing,
    SourceRecovered,
)
from deadlinewatch.domain.localtime import parse_utc
from deadlinewatch.domain.model import OPERATIONAL_EVENTS, Status
from deadlinewatch.domain.wording import relative_to_now
from deadlinewatch.storage import NotificationRecord

TERMINAL_VALUES = frozenset(s.value for s in Status if s.is_terminal)


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None


def commitment_view(brief: CommitmentBrief, now: datetime) -> CommitmentView:
    due = _instant(brief.due)
    overdue_from = _instant(brief.overdue_from) or due
    relative = relative_to_now(due, now, overdue_from) if due is not None and overdue_from else None
    if brief.status in TERMINAL_VALUES:
        relative = None  # "2374 days overdue" beside "fulfilled" reads as a contradiction
    return CommitmentView(
        id=brief.id,
        title=brief.title or brief.id,
        status=brief.status or "unknown",
        deadline_words=brief.deadline_words,
        relative_words=relative,
        agreement_title=brief.agreement_title,
        parties=brief.parties,
        links=tuple(Link(url=link.url, label=link.label) for link in brief.links if link.url),
    )


def digest_view(brief: DigestBrief) -> DigestView:
    return DigestView(
        overdue=tuple(DigestEntry(e.id, e.title or e.id, e.deadline_words) for e in brief.overdue),
        closing=tuple(DigestEntry(e.id, e.title or e.id, e.deadline_words) for e in brief.closing),
        horizon_words=brief.horizon_words,
    )


def _operational_detail(data: EventData) -> str:
    match data:
        case ConfigError(errors=errors, message=message):
            return "\n".join(errors) or message
        case SourceFailing(reason=reason):
            return reason
        case SourceRecovered(reason=reason):
            return f"recovered; last error: {reason}" if reason else "recovered"
        case ChannelFailing(error=error):
            return error
    return ""


def outgoing_for(
    record: NotificationRecord, now: datetime, *, thread_ts: str | None = None, actions: bool = False
) -> Outgoing:
    """The message for ``record`` as of ``now`` (``thread_ts``: the Slack thread to reply in)."""
    data = record.data
    brief = record.brief
    operational = None
    if isinstance(brief, OperationalBrief):
        operational = OperationalView(subject=brief.subject or record.subject, detail=brief.detail)
    elif record.event in OPERATIONAL_EVENTS:
        subject = record.subject
        if isinstance(data, ConfigError):
            subject = f"config {data.file}" if data.file else "config"
        detail = _operational_detail(data)
        operational = OperationalView(subject=subject or record.event.value, detail=detail)
    digest = None
    if isinstance(brief, DigestBrief):
        digest = digest_view(brief)
    elif record.event.value == "digest":
        digest = DigestView()
    return Outgoing(
        key=record.key,
        event=record.event,
        subscription=record.subscription,
        channel=record.channel,
        occurred=record.occurred,
        send_at=record.send_at,
        data=data,
        commitment=commitment_view(brief, now) if isinstance(brief, CommitmentBrief) else None,
        digest=digest,
        operational=operational,
        thread_ts=thread_ts,
        actions=actions,
    )
