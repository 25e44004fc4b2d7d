"""What the engine will send after an instant: the planner run forward on a private copy of the
situation (``Planner.plan`` is pure), as ``replay`` runs it, but starting from a running service's
point of view (no catch-up at the start). Used by ``agenda``, ``show`` and the dashboard.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from deadlinewatch.domain.events import (
    ChannelFailing,
    ConfigError,
    DeadlineChanged,
    Digest,
    Escalation,
    EventData,
    Evidence,
    Overdue,
    Reminder,
    Review,
    SourceFailing,
    SourceRecovered,
    StatusChanged,
    WindowOpen,
)
from deadlinewatch.domain.model import EventKind, Subscription
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.domain.planning import Planner, Situation
from deadlinewatch.domain.quiet import release_instant
from deadlinewatch.domain.watchlist import Watchlist
from deadlinewatch.services.zoned import ZonedInstant, subscription_zone

__all__ = ["UpcomingNotice", "look_ahead", "notice_detail", "upcoming_notice"]


@dataclass(frozen=True)
class UpcomingNotice:
    """One notification that will leave: ``send_at`` in the subscription's zone; ``held_from`` the
    instant it falls due when quiet hours hold it until ``send_at`` (else ``None``)."""

    notice: Notice
    send_at: ZonedInstant
    held_from: ZonedInstant | None
    title: str
    detail: str

    @property
    def event(self) -> EventKind:
        return self.notice.event

    @property
    def subscription(self) -> str:
        return self.notice.subscription

    @property
    def subject(self) -> str:
        return self.notice.subject


def look_ahead(
    situation: Situation, start: datetime, end: datetime, *, max_steps: int | None = None
) -> Iterator[Notice]:
    """Every notification a running service sends in ``(start, end]``, in send order, with the
    dispatcher's release check (a held occurrence whose commitment is terminal, acknowledged or
    snoozed by then is dropped). Lazy: stop consuming to stop planning. ``max_steps`` bounds the
    planner's steps (a suppressed schedule, say hourly repeats of a terminal commitment, yields
    nothing for many of them)."""
    planner = Planner(situation)
    held: list[tuple[tuple[datetime, str, str, int], int, Notice]] = []
    seen: set[str] = set()
    counter = 0
    now = start
    steps = 0
    while max_steps is None or steps < max_steps:
        steps += 1
        candidates = [c for c in (planner.next_after(now), held[0][0][0] if held else None) if c is not None]
        if not candidates:
            return
        following = min(candidates)
        if following > end:
            return
        for notice in planner.plan(now, following).notices:
            key = notice.key("")
            if key not in seen:
                seen.add(key)
                counter += 1
                heapq.heappush(held, (notice.sort_key(), counter, notice))
        while held and held[0][0][0] <= following:
            notice = heapq.heappop(held)[2]
            if planner.still_relevant(notice, notice.send_at):
                yield notice
        now = following


def upcoming_notice(watchlist: Watchlist, notice: Notice) -> UpcomingNotice:
    """``notice`` with its instants in the subscription's zone, its title and what it says."""
    subscription = _subscription(watchlist.subscriptions, notice.subscription)
    zone_name = subscription_zone(subscription, watchlist.timezone) if subscription else watchlist.timezone
    held_from = None
    quiet = subscription.quiet_hours if subscription else None
    if (
        quiet is not None
        and notice.send_at > notice.occurred
        and release_instant(quiet, notice.occurred) == notice.send_at
    ):
        held_from = ZonedInstant(notice.occurred, zone_name)
    commitment = watchlist.commitments.get(notice.subject)
    title = commitment.title if commitment is not None else notice.subject
    return UpcomingNotice(
        notice=notice,
        send_at=ZonedInstant(notice.send_at, zone_name),
        held_from=held_from,
        title=title,
        detail=notice_detail(notice.data),
    )


def notice_detail(data: EventData) -> str:
    """What a notification says, in a few words ("30d before the due", "overdue, repeat 2")."""
    match data:
        case Reminder(before=before, due=due):
            return f"{before} before the due ({due})"
        case WindowOpen(due=due):
            return f"the window opens (due {due})"
        case Overdue(due=due, repeat=repeat):
            return f"overdue since {due}" + (f", repeat {repeat}" if repeat else "")
        case Escalation(due=due):
            return f"escalation: overdue since {due}"
        case Review(n=n):
            return f"review #{n}"
        case StatusChanged(previous=previous, status=status):
            return f"status {previous} -> {status}"
        case DeadlineChanged(before=before, after=after):
            return f"due {before or 'unknown'} -> {after or 'unknown'}"
        case Digest(overdue=overdue, closing=closing):
            return f"overdue: {', '.join(overdue) or 'none'}; closing: {', '.join(closing) or 'none'}"
        case Evidence(title=title):
            return f"evidence: {title}"
        case SourceFailing(reason=reason):
            return f"source failing: {reason}"
        case SourceRecovered():
            return "source recovered"
        case ChannelFailing(channel=channel, error=error):
            return f"channel {channel} failing: {error}"
        case ConfigError(message=message):
            return f"config error: {message}"
    return ""


def _subscription(subscriptions: tuple[Subscription, ...], name: str) -> Subscription | None:
    return next((s for s in subscriptions if s.name == name), None)
