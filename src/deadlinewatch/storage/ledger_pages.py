"""The ledger read a page at a time, for the HTTP API: newest row first (``id`` descending), with a
cursor (the last id of the previous page), so a page costs the rows it returns — on the primary
key, or on ``ix_notification_subject`` for one commitment — however long the ledger is."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select

from deadlinewatch.domain.model import EventKind
from deadlinewatch.storage.outbox import Repository, _record
from deadlinewatch.storage.records import NotificationRecord
from deadlinewatch.storage.tables import Notification, NotificationState

__all__ = ["LedgerFilter", "LedgerPage", "LedgerPages"]

_T = Notification.__table__  # type: ignore[attr-defined]
_c = _T.c


@dataclass(frozen=True)
class LedgerFilter:
    """Rows matching every given field (``None``: any; a set: any of its values)."""

    subject: str | None = None
    states: Collection[NotificationState] | None = None
    events: Collection[EventKind] | None = None
    channel: str | None = None
    subscription: str | None = None


@dataclass(frozen=True)
class LedgerPage:
    records: tuple[NotificationRecord, ...]
    more: bool  # rows match beyond this page
    total: int | None  # rows matching the filter, counted up to the cap (None: more than that)


def _conditions(wanted: LedgerFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.subject is not None:
        conditions.append(_c.subject == wanted.subject)
    if wanted.states is not None:
        conditions.append(_c.state.in_(sorted(NotificationState(s).value for s in wanted.states)))
    if wanted.events is not None:
        conditions.append(_c.event.in_(sorted(EventKind(e).value for e in wanted.events)))
    if wanted.channel is not None:
        conditions.append(_c.channel == wanted.channel)
    if wanted.subscription is not None:
        conditions.append(_c.subscription == wanted.subscription)
    return conditions


class LedgerPages(Repository):
    def notification_page(
        self,
        wanted: LedgerFilter,
        *,
        before_id: int | None = None,
        offset: int = 0,
        limit: int = 100,
        count_up_to: int = 10_000,
    ) -> LedgerPage:
        """At most ``limit`` rows matching ``wanted`` with an id below ``before_id`` (a cursor),
        newest first, after skipping ``offset`` of them. ``total`` counts every matching row
        (cursor or not) but stops at ``count_up_to`` so the count stays cheap on a long ledger."""
        conditions = _conditions(wanted)
        page = select(_T).where(*conditions)
        if before_id is not None:
            page = page.where(_c.id < before_id)
        page = page.order_by(_c.id.desc()).offset(offset).limit(limit + 1)
        capped = select(_c.id).where(*conditions).limit(count_up_to + 1).subquery()
        with self._read() as connection:
            rows = [_record(row) for row in connection.execute(page)]
            counted = int(connection.execute(select(func.count()).select_from(capped)).scalar_one())
        return LedgerPage(
            records=tuple(rows[:limit]),
            more=len(rows) > limit,
            total=counted if counted <= count_up_to else None,
        )
