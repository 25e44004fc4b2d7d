"""What the engine will send after an instant: the planner run forward on a private copy of the
situation (``Planner.plan`` is pure), as ``replay`` runs it, but starting from a running service's
point of view (no catch-up at the start). Used by ``agenda``, ``show`` and the dashboard.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
        detail=notice_detail(notice.event, notice.fields),
    )


def notice_detail(event: EventKind, fields: Mapping[str, Any]) -> str:
    """What a notification says, in a few words ("30d before the due", "overdue, repeat 2")."""
    if event is EventKind.REMINDER:
        return f"{fields.get('before')} before the due ({fields.get('due')})"
    if event is EventKind.WINDOW_OPEN:
        return f"the window opens (due {fields.get('due')})"
    if event is EventKind.OVERDUE:
        repeat = fields.get("repeat") or 0
        return f"overdue since {fields.get('due')}" + (f", repeat {repeat}" if repeat else "")
    if event is EventKind.ESCALATION:
        return f"escalation: overdue since {fields.get('due')}"
    if event is EventKind.REVIEW:
        return f"review #{fields.get('n')}"
    if event is EventKind.STATUS_CHANGED:
        return f"status {fields.get('previous')} -> {fields.get('status')}"
    if event is EventKind.DEADLINE_CHANGED:
        return f"due {fields.get('before') or 'unknown'} -> {fields.get('after')}"
    if event is EventKind.DIGEST:
        overdue = ", ".join(fields.get("overdue") or []) or "none"
        closing = ", ".join(fields.get("closing") or []) or "none"
        return f"overdue: {overdue}; closing: {closing}"
    return ""


def _subscription(subscriptions: tuple[Subscription, ...], name: str) -> Subscription | None:
    return next((s for s in subscriptions if s.name == name), None)
