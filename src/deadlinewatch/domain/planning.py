"""What is due, as a pure function of the situation and two instants (SPEC §5).

``Planner.plan(lo, hi)`` returns the notifications whose occurrences fire in ``(lo, hi]``: every
commitment event, checked against the status at its own instant, filtered per subscription,
collapsed per kind to the latest when a tick covers more than one (catch-up), held by quiet hours.
``lo`` None is a first start: everything before ``hi`` is the initial state. A tick costs
O(notifications due): schedules wait in a heap keyed by their next instant, each shared by every
(commitment, subscription) pair with the same deadline and policy, and built only when due
(:mod:`deadlinewatch.domain.schedulebook`), so 100k commitments keep little in memory.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from deadlinewatch.domain.acks import Ack, Snooze
from deadlinewatch.domain.cron import CronSpec, parse_cron
from deadlinewatch.domain.deadlines import Deadline, DeadlineVersion, compute_deadlines
from deadlinewatch.domain.events import (
    DeadlineChanged,
    Digest,
    EventData,
    Overdue,
    StatusChanged,
    due_of,
    kind_of,
)
from deadlinewatch.domain.localtime import format_utc, to_instant, to_local
from deadlinewatch.domain.model import (
    COMMITMENT_EVENTS,
    SCHEDULED_EVENTS,
    Commitment,
    EventKind,
    OpenDue,
    OpenKind,
    Policy,
    Status,
    StatusChange,
    Subscription,
)
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.domain.occurrences import Occurrence
from deadlinewatch.domain.quiet import release_instant
from deadlinewatch.domain.schedulebook import ScheduleBook
from deadlinewatch.domain.statuses import EffectiveChange, StatusTimeline
from deadlinewatch.domain.watchlist import Watchlist

_T = TypeVar("_T")
_EARLY = frozenset({EventKind.REMINDER, EventKind.WINDOW_OPEN})
_ACKABLE = frozenset({EventKind.OVERDUE, EventKind.ESCALATION})
_UNCHANGED = StatusTimeline(())


@dataclass(frozen=True)
class Situation:
    """Everything a decision depends on besides time. ``status_changes`` are the changes recorded
    outside the config (CLI, API, Slack, sources), merged with each commitment's ``history``."""

    watchlist: Watchlist
    status_changes: Mapping[str, Sequence[StatusChange]] = field(default_factory=dict)
    acks: Sequence[Ack] = ()
    snoozes: Sequence[Snooze] = ()


@dataclass(frozen=True)
class Decisions:
    notices: tuple[Notice, ...]
    superseded: tuple[Notice, ...] = ()


class Planner:
    """Decides notifications for one situation. Calls to :meth:`plan` must move forward in time."""

    def __init__(self, situation: Situation) -> None:
        self._build(situation)

    def _build(self, situation: Situation) -> None:
        watchlist = situation.watchlist
        self.situation = situation  # what it was built from: a fresh Planner can look ahead alone
        self.watchlist = watchlist
        changes = situation.status_changes
        # A timeline never changes once built: commitments with no change share the empty one.
        self.timelines: dict[str, StatusTimeline] = {
            c.id: StatusTimeline([*c.history, *changes.get(c.id, ())])
            if c.history or c.id in changes
            else _UNCHANGED
            for c in watchlist.commitments.values()
        }
        self.deadlines: dict[str, Deadline] = compute_deadlines(watchlist, self.timelines)
        self._acks: dict[str, list[Ack]] = {}
        for ack in situation.acks:
            self._acks.setdefault(ack.commitment_id, []).append(ack)
        self._snoozes: dict[str, list[Snooze]] = {}
        for snooze in situation.snoozes:
            self._snoozes.setdefault(snooze.commitment_id, []).append(snooze)
        self._announced: dict[str, datetime | None] = {}
        self._subscriptions = watchlist.subscriptions
        self._events_of = [subscription_events(s) for s in watchlist.subscriptions]
        distinct = {events: i for i, events in enumerate(dict.fromkeys(self._events_of))}
        self._events_id = [distinct[events] for events in self._events_of]
        # The (commitment, subscription) pairs, as parallel arrays (100k x 3 pairs stay small), in
        # the order of output lines (commitment id, then subscription name, by code point), and
        # each pair's place in config order (the order superseded occurrences are recorded in).
        self._pair_commitment: list[str] = []
        self._pair_subscription = array("l")
        self._pair_entry = array("l")
        self._pair_config_order = array("q")
        config_order = {cid: i for i, cid in enumerate(watchlist.commitments)}
        by_name = sorted(range(len(watchlist.subscriptions)), key=lambda i: watchlist.subscriptions[i].name)
        count = len(watchlist.subscriptions)
        self._book = ScheduleBook()
        policies: dict[tuple[str, OpenKind | None], Policy] = {}
        instants: dict[tuple[datetime, int, str], datetime] = {}  # announced dates are mostly shared
        for cid in sorted(watchlist.commitments):
            commitment = watchlist.commitments[cid]
            open_kind = commitment.due.kind if isinstance(commitment.due, OpenDue) else None
            announced_local = watchlist.announced_of(commitment)
            zone = watchlist.zone_of(commitment)
            announced = None
            if announced_local is not None:
                local_key = (announced_local, announced_local.fold, zone)  # equality ignores fold
                announced = instants.get(local_key)
                if announced is None:
                    announced = instants[local_key] = to_instant(announced_local, zone)
            self._announced[commitment.id] = announced
            deadline = self.deadlines[commitment.id]
            for index in by_name:
                subscription = watchlist.subscriptions[index]
                if not self._events_of[index] or not watchlist.matches(subscription, commitment):
                    continue
                policy_key = (watchlist.policy_name_for(subscription, commitment), open_kind)
                policy = policies.get(policy_key)
                if policy is None:
                    policy = policies[policy_key] = watchlist.policy_named(*policy_key)
                entry = self._book.entry(deadline, policy_key, policy, announced, announced_local)
                self._pair_commitment.append(cid)
                self._pair_subscription.append(index)
                self._pair_entry.append(entry)
                self._pair_config_order.append(config_order[cid] * count + index)
        self._book.seal(self._pair_entry)
        self._send_at: dict[tuple[int, datetime], datetime] = {}  # release instants, in one plan
        self._status_events: list[tuple[datetime, str, int, EffectiveChange]] = sorted(
            (change.noticed, cid, i, change)
            for cid, timeline in self.timelines.items()
            for i, change in enumerate(timeline.changes)
        )
        self._deadline_events: list[tuple[datetime, str, int, DeadlineVersion]] = sorted(
            (version.known_from, cid, i, version)
            for cid, deadline in self.deadlines.items()
            for i, version in enumerate(deadline.versions)
            if version.known_from is not None
        )
        self._digests: list[tuple[Subscription, CronSpec]] = [
            (s, parse_cron(s.digest.cron))
            for s in watchlist.subscriptions
            if s.digest is not None and (s.events is None or EventKind.DIGEST in s.events)
        ]

    # --- queries -----------------------------------------------------------------------------

    def status_at(self, commitment_id: str, instant: datetime) -> Status:
        timeline = self.timelines.get(commitment_id)
        return timeline.status_at(instant) if timeline else Status.NOT_STARTED

    def acks_of(self, commitment_id: str) -> list[Ack]:
        return list(self._acks.get(commitment_id, ()))

    def snoozes_of(self, commitment_id: str) -> list[Snooze]:
        return list(self._snoozes.get(commitment_id, ()))

    def still_relevant(self, notice: Notice, at: datetime) -> bool:
        """Release-time check of a decided notification (held by quiet hours, retried, or decided
        before a change was recorded): a scheduled occurrence is dropped (superseded) when its
        commitment is terminal at ``at``, acknowledged or snoozed then, or no longer has that due;
        nothing about a snoozed commitment is sent."""
        cid = notice.subject
        if cid not in self.watchlist.commitments:
            return notice.event not in SCHEDULED_EVENTS
        if any(s.at <= at < s.until for s in self._snoozes.get(cid, ())):
            return False
        if notice.event not in SCHEDULED_EVENTS:
            return True
        if self._suppressed(cid, notice.event, notice.data, at):
            return False
        due = due_of(notice.data)
        if due is None:
            return True
        window = self.deadlines[cid].window_at(at)
        return window is not None and format_utc(window.due) == due

    def next_after(self, instant: datetime) -> datetime | None:
        """The next instant after ``instant`` at which :meth:`plan` would decide anything."""
        scheduled = self._book.next_after(instant)
        candidates = [scheduled] if scheduled is not None else []
        for events in (self._status_events, self._deadline_events):
            index = bisect.bisect_right(events, instant, key=lambda e: e[0])
            if index < len(events):
                candidates.append(events[index][0])
        for subscription, cron in self._digests:
            assert subscription.digest is not None
            zone = subscription.digest.timezone
            candidates.append(to_instant(cron.next_after(to_local(instant, zone)), zone))
        return min(candidates) if candidates else None

    def fan_out(self, subject: str, occurred: datetime, data: EventData) -> list[Notice]:
        """Notices for an event that is not scheduled (``evidence``, source-origin changes, and the
        operational events): commitment events go to the subscriptions matching the commitment
        ``subject``; operational ones only to subscriptions that list them in ``events``."""
        kind = kind_of(data)
        notices: list[Notice] = []
        if kind in COMMITMENT_EVENTS:
            commitment = self.watchlist.commitments.get(subject)
            if commitment is not None:
                self._fan_out(commitment, kind, occurred, occurred, data, notices)
            return notices
        for subscription in self.watchlist.subscriptions:
            if subscription.events is not None and kind in subscription.events:
                notices.append(self._notice(subscription, kind, subject, occurred, occurred, data))
        return notices

    # --- the decision ------------------------------------------------------------------------

    def plan(self, lo: datetime | None, hi: datetime, *, catch_up: bool = False) -> Decisions:
        """Notifications firing in ``(lo, hi]``. ``catch_up`` (a start, or a return from downtime)
        sends them at ``hi`` and skips digests; ``lo`` None (a first start) also keeps status and
        deadline changes silent and records no superseded occurrences."""
        return self._plan(lo, hi, catch_up or lo is None)

    def _plan(self, lo: datetime | None, hi: datetime, catch_up: bool) -> Decisions:
        due = self._book.take_due(lo, hi)
        pairs: Iterable[int]
        if lo is None:
            pairs = range(len(self._pair_entry))
        else:
            pairs = sorted(pair for entry in due for pair in self._book.members(entry))
        # Pairs come in output order, and each pair's notices by event: every list of notices
        # sent at one instant is in output order as made (no sort of 100k's of notices).
        by_instant: dict[datetime, list[Notice]] = {}
        superseded: list[tuple[int, list[Notice]]] = []
        chosen: dict[tuple[int, int], tuple[list[Occurrence], list[Occurrence]]] = {}
        for pair in pairs:
            entry = self._pair_entry[pair]
            outcome = due.get(entry)
            if outcome is None:
                continue
            index = self._pair_subscription[pair]
            choice = chosen.get((entry, self._events_id[index]))
            if choice is None:
                choice = chosen[(entry, self._events_id[index])] = _latest_of_each_kind(
                    outcome, self._events_of[index]
                )
            latest, skipped = choice
            if not latest:
                continue
            subscription = self._subscriptions[index]
            cid = self._pair_commitment[pair]
            plain = self.timelines[cid] is _UNCHANGED and cid not in self._snoozes and cid not in self._acks
            for occurrence in latest:
                fires = hi if catch_up else occurrence.fires_at
                if not plain and self._suppressed(cid, occurrence.kind, occurrence.data, fires):
                    continue
                notice = self._notice(
                    subscription, occurrence.kind, cid, occurrence.instant, fires, occurrence.data, index
                )
                sent = by_instant.get(notice.send_at)
                if sent is None:
                    sent = by_instant[notice.send_at] = []
                sent.append(notice)
            if lo is not None and skipped:
                chunk = [
                    self._notice(subscription, o.kind, cid, o.instant, hi, o.data, index) for o in skipped
                ]
                superseded.append((self._pair_config_order[pair], chunk))
        notices = [notice for instant in sorted(by_instant) for notice in by_instant[instant]]
        if lo is not None:
            more: list[Notice] = []
            self._plan_changes(lo, hi, catch_up, more)
            if not catch_up:
                self._plan_digests(lo, hi, more)
            if more:
                notices = sorted([*notices, *more], key=Notice.sort_key)
        superseded.sort(key=lambda chunk: chunk[0])  # pair by pair, in config order
        self._send_at = {}
        return Decisions(tuple(notices), tuple(n for _, chunk in superseded for n in chunk))

    def _suppressed(self, cid: str, kind: EventKind, data: EventData, fires: datetime) -> bool:
        if self.status_at(cid, fires).is_terminal:
            return True
        for snooze in self._snoozes.get(cid, ()):
            if snooze.at <= fires < snooze.until:
                return True
        if kind in _ACKABLE and not (isinstance(data, Overdue) and data.repeat == 0):
            timeline = self.timelines[cid]
            for ack in self._acks.get(cid, ()):
                if ack.holds_at(fires) and not timeline.changed_between(ack.at, fires):
                    return True
        return False

    def _plan_changes(self, lo: datetime, hi: datetime, catch_up: bool, notices: list[Notice]) -> None:
        commitments = self.watchlist.commitments
        for noticed, cid, _, change in _between(self._status_events, lo, hi):
            recorded = change.change
            data = StatusChanged(
                previous=change.previous.value,
                status=change.status.value,
                at=format_utc(change.at),
                note=recorded.note,
                url=recorded.url,
                verified=recorded.verified,
                origin=recorded.origin,
                actor=recorded.actor,
            )
            self._fan_out(
                commitments[cid],
                EventKind.STATUS_CHANGED,
                change.at,
                hi if catch_up else noticed,
                data,
                notices,
            )
        for known, cid, _, version in _between(self._deadline_events, lo, hi):
            before = format_utc(version.previous_due) if version.previous_due else None
            moved = DeadlineChanged(before=before, after=format_utc(version.window.due))
            self._fan_out(
                commitments[cid], EventKind.DEADLINE_CHANGED, known, hi if catch_up else known, moved, notices
            )

    def _fan_out(
        self,
        commitment: Commitment,
        kind: EventKind,
        occurred: datetime,
        fires: datetime,
        data: EventData,
        notices: list[Notice],
    ) -> None:
        for subscription in self.watchlist.subscriptions:
            if kind not in subscription_events(subscription):
                continue
            if not self.watchlist.matches(subscription, commitment):
                continue
            if any(s.at <= fires < s.until for s in self._snoozes.get(commitment.id, ())):
                continue
            notices.append(self._notice(subscription, kind, commitment.id, occurred, fires, data))

    def _plan_digests(self, lo: datetime, hi: datetime, notices: list[Notice]) -> None:
        for subscription, cron in self._digests:
            digest = subscription.digest
            assert digest is not None
            local = to_local(lo, digest.timezone)
            while True:
                local = cron.next_after(local)
                instant = to_instant(local, digest.timezone)
                if instant > hi:
                    break
                if instant <= lo:
                    continue
                # Filled, and judged empty or not, when it leaves: at the end of quiet hours if held.
                sent = release_instant(subscription.quiet_hours, instant)
                overdue, closing = self.digest_lists(subscription, sent)
                if overdue or closing:
                    digest_data = Digest(tuple(overdue), tuple(closing))
                    notices.append(
                        self._notice(subscription, EventKind.DIGEST, "", instant, instant, digest_data)
                    )

    def digest_lists(self, subscription: Subscription, instant: datetime) -> tuple[list[str], list[str]]:
        """Ids of the subscription's commitments (announced by ``instant``) overdue then, and of
        the others whose due falls in the next ``horizon``."""
        digest = subscription.digest
        assert digest is not None
        horizon_end = digest.horizon.apply(to_local(instant, digest.timezone), digest.timezone)
        overdue: list[str] = []
        closing: list[str] = []
        for commitment in self.watchlist.commitments.values():
            if not self.watchlist.matches(subscription, commitment):
                continue
            announced = self._announced.get(commitment.id)
            if announced is not None and announced > instant:
                continue
            if self.status_at(commitment.id, instant).is_terminal:
                continue
            window = self.deadlines[commitment.id].window_at(instant)
            if window is None:
                continue
            policy = self.watchlist.policy_for(subscription, commitment)
            overdue_from = policy.grace.apply(window.due_local, window.zone)
            if overdue_from <= instant:
                overdue.append(commitment.id)
            elif instant < window.due <= horizon_end:
                closing.append(commitment.id)
        return sorted(overdue), sorted(closing)

    def _notice(
        self,
        subscription: Subscription,
        kind: EventKind,
        subject: str,
        occurred: datetime,
        fires: datetime,
        data: EventData,
        index: int | None = None,
    ) -> Notice:
        if subscription.quiet_hours is None:
            send_at = fires
        elif index is None:
            send_at = release_instant(subscription.quiet_hours, fires)
        else:  # a subscription's pairs share a few instants (all of them in a catch-up)
            cached = self._send_at.get((index, fires))
            if cached is None:
                cached = self._send_at[(index, fires)] = release_instant(subscription.quiet_hours, fires)
            send_at = cached
        return Notice(subscription.name, subscription.notify, kind, subject, occurred, send_at, data)


def subscription_events(subscription: Subscription) -> frozenset[EventKind]:
    """The commitment events a subscription receives (digests are handled on their own)."""
    if subscription.events is None:
        return COMMITMENT_EVENTS
    return frozenset(subscription.events) & COMMITMENT_EVENTS


def _between(
    events: list[tuple[datetime, str, int, _T]], lo: datetime, hi: datetime
) -> list[tuple[datetime, str, int, _T]]:
    start = bisect.bisect_right(events, lo, key=lambda e: e[0])
    end = bisect.bisect_right(events, hi, key=lambda e: e[0])
    return events[start:end]


def _latest_of_each_kind(
    outcome: tuple[list[Occurrence], bool], events: frozenset[EventKind]
) -> tuple[list[Occurrence], list[Occurrence]]:
    """The occurrences a subscription receiving ``events`` is sent (the latest of each kind, by
    event order; no reminder or ``window_open`` once an overdue is due), and the ones they
    supersede, given a schedule's occurrences and whether an overdue is due at their end."""
    occurrences, overdue_due = outcome
    latest: dict[EventKind, Occurrence] = {}
    skipped: list[Occurrence] = []
    for occurrence in occurrences:
        if occurrence.kind not in events:
            continue
        current = latest.get(occurrence.kind)
        if current is None or occurrence.instant > current.instant:
            if current is not None:
                skipped.append(current)
            latest[occurrence.kind] = occurrence
        else:
            skipped.append(occurrence)
    if latest and overdue_due:
        # in event order: a set's iteration order would follow PYTHONHASHSEED from run to run
        for kind in sorted(_EARLY & latest.keys(), key=lambda k: k.rank):
            skipped.append(latest.pop(kind))
    return sorted(latest.values(), key=lambda o: o.kind.rank), skipped
