"""A ledger row → the :class:`Outgoing` a channel sends (pure; ``now`` is an argument).

The row's payload was fixed at decision time (:mod:`deadlinewatch.services.context`); only the
"how far from the deadline" words are computed at send time. Every value is read defensively: a
payload of the wrong shape gives empty parts, never an exception, except where the row itself is
unusable (the dispatcher then marks it failed).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from deadlinewatch.delivery.base import (
    CommitmentView,
    DigestEntry,
    DigestView,
    Link,
    OperationalView,
    Outgoing,
)
from deadlinewatch.domain.localtime import parse_utc
from deadlinewatch.domain.model import OPERATIONAL_EVENTS, EventKind
from deadlinewatch.domain.wording import relative_to_now
from deadlinewatch.storage import NotificationRecord


def _text(value: object, default: str = "") -> str:
    return default if value is None else str(value)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None


def commitment_view(raw: Mapping[str, Any], now: datetime) -> CommitmentView:
    due = _instant(raw.get("due"))
    overdue_from = _instant(raw.get("overdue_from")) or due
    relative = relative_to_now(due, now, overdue_from) if due is not None and overdue_from else None
    links = tuple(
        Link(url=_text(link.get("url")), label=_text(link.get("label")))
        for link in (_mapping(item) for item in _items(raw.get("links")))
        if link.get("url")
    )
    agreement = raw.get("agreement_title")
    return CommitmentView(
        id=_text(raw.get("id")),
        title=_text(raw.get("title"), _text(raw.get("id"))),
        status=_text(raw.get("status"), "unknown"),
        deadline_words=_text(raw.get("deadline_words")),
        relative_words=relative,
        agreement_title=_text(agreement) if agreement is not None else None,
        parties=tuple(_text(p) for p in _items(raw.get("parties"))),
        links=links,
    )


def digest_view(raw: Mapping[str, Any]) -> DigestView:
    def entries(key: str) -> tuple[DigestEntry, ...]:
        return tuple(
            DigestEntry(
                id=_text(entry.get("id")),
                title=_text(entry.get("title"), _text(entry.get("id"))),
                deadline_words=_text(entry.get("deadline_words")),
            )
            for entry in (_mapping(item) for item in _items(raw.get(key)))
        )

    horizon = raw.get("horizon_words")
    return DigestView(
        overdue=entries("overdue"),
        closing=entries("closing"),
        horizon_words=_text(horizon) if horizon is not None else None,
    )


def outgoing_for(
    record: NotificationRecord, now: datetime, *, thread_ts: str | None = None, actions: bool = False
) -> Outgoing:
    """The message for ``record`` as of ``now`` (``thread_ts``: the Slack thread to reply in)."""
    context = record.context
    fields = _mapping(record.payload.get("fields"))
    commitment = context.get("commitment")
    digest = context.get("digest")
    operational = context.get("operational")
    operational_view = None
    if isinstance(operational, Mapping):
        operational_view = OperationalView(
            subject=_text(operational.get("subject"), record.subject), detail=_text(operational.get("detail"))
        )
    elif record.event in OPERATIONAL_EVENTS:
        detail = fields.get("error") or fields.get("detail") or ""
        operational_view = OperationalView(subject=record.subject, detail=_text(detail))
    digest_value = None
    if isinstance(digest, Mapping):
        digest_value = digest_view(digest)
    elif record.event is EventKind.DIGEST:
        digest_value = DigestView()
    return Outgoing(
        key=record.key,
        event=record.event,
        subscription=record.subscription,
        channel=record.channel,
        occurred=record.occurred,
        send_at=record.send_at,
        fields=dict(fields),
        commitment=commitment_view(commitment, now) if isinstance(commitment, Mapping) else None,
        digest=digest_value,
        operational=operational_view,
        thread_ts=thread_ts,
        actions=actions,
    )
