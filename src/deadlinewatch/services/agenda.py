"""``deadlinewatch agenda`` and the dashboard's "Next 7 days": what will be sent in the coming days,
in send order, each in its subscription's zone, quiet-hour holds shown as such.

:func:`build_agenda` is pure: the situation, the notices still waiting and ``now`` are arguments;
:func:`waiting_notices` reads those from the ledger.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from deadlinewatch.domain.notifications import Notice
from deadlinewatch.domain.planning import Situation
from deadlinewatch.services.upcoming import UpcomingNotice, look_ahead, upcoming_notice
from deadlinewatch.services.zoned import ZonedInstant
from deadlinewatch.storage import NotificationState, Store

__all__ = ["Agenda", "build_agenda", "waiting_notices"]


@dataclass(frozen=True)
class Agenda:
    start: ZonedInstant
    end: ZonedInstant
    subscription: str | None
    entries: tuple[UpcomingNotice, ...]
    more: bool = False  # entries were left out beyond ``limit``
    skipped_channels: tuple[str, ...] = ()  # not configured: ``run`` sends nothing to them


def build_agenda(
    situation: Situation,
    now: datetime,
    days: int,
    *,
    subscription: str | None = None,
    waiting: Sequence[Notice] = (),
    limit: int | None = None,
    skipped_channels: Collection[str] = (),
) -> Agenda:
    """Notifications sent in ``(now, now + days]``: the planner's decisions for that span, plus
    ``waiting`` — notices already decided and recorded but not yet sent (held by quiet hours) —
    once each. ``subscription`` keeps only that subscription's; ``limit`` caps the entries;
    ``skipped_channels`` (channels without credentials) are named so a reader knows."""
    end = now + timedelta(days=days)
    if subscription is not None:
        kept = tuple(s for s in situation.watchlist.subscriptions if s.name == subscription)
        situation = dataclasses.replace(
            situation, watchlist=dataclasses.replace(situation.watchlist, subscriptions=kept)
        )
    notices: dict[str, Notice] = {}
    for notice in waiting:
        if now < notice.send_at <= end and (subscription is None or notice.subscription == subscription):
            notices.setdefault(notice.key(""), notice)
    planned = look_ahead(situation, now, end)
    # look_ahead yields in send order: with a limit, the first ``limit`` planned notices (and the
    # waiting ones) hold the first ``limit`` of the agenda, and planning stops there.
    for notice in planned if limit is None else islice(planned, limit + 1):
        notices.setdefault(notice.key(""), notice)
    ordered = sorted(notices.values(), key=Notice.sort_key)
    more = False
    if limit is not None and len(ordered) > limit:
        more = True
        ordered = ordered[:limit]
    zone = situation.watchlist.timezone
    return Agenda(
        start=ZonedInstant(now, zone),
        end=ZonedInstant(end, zone),
        subscription=subscription,
        entries=tuple(upcoming_notice(situation.watchlist, n) for n in ordered),
        more=more,
        skipped_channels=tuple(sorted(skipped_channels)),
    )


def waiting_notices(store: Store) -> list[Notice]:
    """Notices recorded but not sent yet (held by quiet hours, or queued), once each."""
    notices: dict[str, Notice] = {}
    for record in store.list_notifications(states=(NotificationState.PENDING,)):
        try:
            notice = record.notice()
        except ValueError:  # a payload another version of the program wrote: it cannot be shown
            continue
        notices.setdefault(notice.key(""), notice)
    return list(notices.values())
