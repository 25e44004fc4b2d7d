"""Everything known about one commitment, for ``deadlinewatch show``: its deadline as written and
as read, its status history, acknowledgements and snoozes, the policy each matching subscription
applies (and from which level it comes), the next notifications, and the ledger rows about it.

Pure: the situation, the ledger rows and ``now`` are arguments; nothing is read or written here.
The deadline part is :mod:`services.deadline_report`, the policy part :mod:`services.policy_report`
(their types are re-exported here).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from deadlinewatch.domain.model import (
    ANNOUNCED,
    COMMITMENT_EVENTS,
    Commitment,
    DerivedDue,
    DueSpec,
    RelativeDue,
    Status,
    StatusChange,
)
from deadlinewatch.domain.planning import Planner, Situation, subscription_events
from deadlinewatch.domain.watchlist import Watchlist
from deadlinewatch.services.deadline_report import (
    AnchorReport,
    DeadlineReport,
    DeadlineVersionView,
    deadline_report,
    next_review,
    written_due,
)
from deadlinewatch.services.policy_report import PolicyKey, PolicyLevel, policy_choice, policy_keys
from deadlinewatch.services.upcoming import UpcomingNotice, look_ahead, notice_detail, upcoming_notice
from deadlinewatch.services.zoned import ZonedInstant, subscription_zone
from deadlinewatch.storage.records import NotificationRecord

__all__ = [
    "AckView",
    "AnchorReport",
    "CommitmentReport",
    "DeadlineReport",
    "DeadlineVersionView",
    "LedgerEntry",
    "PolicyKey",
    "PolicyLevel",
    "SnoozeView",
    "StatusEntry",
    "SubscriptionReport",
    "build_commitment_report",
    "next_review",
    "written_due",
]

LOOK_AHEAD = timedelta(days=3653)  # how far ahead ``show`` looks for the next notifications
LOOK_AHEAD_STEPS = 20_000  # and in at most this many planner steps


@dataclass(frozen=True)
class StatusEntry:
    """One recorded change (config ``history`` or the database), and whether it changed the status
    (``effective`` False: same-instant entry overridden, or already that status)."""

    at: ZonedInstant
    status: str
    previous: str | None
    origin: str
    actor: str | None  # who recorded it (OS user, API token name, Slack user); None: config, sources
    note: str | None
    url: str | None
    verified: bool
    recorded_at: ZonedInstant | None
    effective: bool


@dataclass(frozen=True)
class AckView:
    at: ZonedInstant
    note: str | None
    actor: str | None
    withdrawn: ZonedInstant | None  # ``unack``
    active: bool  # in force now: overdue repeats and escalation are off


@dataclass(frozen=True)
class SnoozeView:
    at: ZonedInstant
    until: ZonedInstant  # already shortened when lifted early (``unsnooze``)
    note: str | None
    actor: str | None
    active: bool


@dataclass(frozen=True)
class SubscriptionReport:
    """A subscription that matches the commitment: the policy it applies and why, and what it
    will send next."""

    name: str
    channels: tuple[str, ...]
    events: tuple[str, ...]
    zone: str
    policy: str
    level: PolicyLevel
    reason: str
    keys: tuple[PolicyKey, ...]
    next_events: tuple[UpcomingNotice, ...]


@dataclass(frozen=True)
class LedgerEntry:
    key: str
    event: str
    subscription: str
    channel: str
    occurred: ZonedInstant
    send_at: ZonedInstant
    state: str
    attempts: int
    sent_at: ZonedInstant | None
    error: str | None
    detail: str


@dataclass(frozen=True)
class CommitmentReport:
    id: str
    title: str
    description: str | None
    url: str | None
    written_at: str | None
    agreement: str | None
    agreement_title: str | None
    parties: tuple[str, ...]
    tags: tuple[str, ...]
    zone: str
    now: ZonedInstant
    deadline: DeadlineReport
    status: str
    status_since: ZonedInstant | None
    history: tuple[StatusEntry, ...]
    acks: tuple[AckView, ...]
    snoozes: tuple[SnoozeView, ...]
    subscriptions: tuple[SubscriptionReport, ...]
    ledger: tuple[LedgerEntry, ...]
    database: str | None  # which database was read (redacted)
    database_found: bool  # False: it does not exist yet, nothing recorded
    skipped_channels: tuple[str, ...] = ()  # not configured: ``run`` sends nothing to them


def build_commitment_report(
    situation: Situation,
    commitment_id: str,
    now: datetime,
    *,
    ledger: Sequence[NotificationRecord] = (),
    locate: Callable[..., str | None] = lambda *path: None,
    database: str | None = None,
    database_found: bool = False,
    skipped_channels: Sequence[str] = (),
    next_count: int = 3,
) -> CommitmentReport:
    """The report on ``commitment_id`` (which must be in the situation's watchlist) as of ``now``.

    ``ledger`` are the ledger rows about it (any order); ``locate(section, id[, key])`` gives the
    ``FILE:LINE`` where the config wrote something; ``next_count`` notifications per subscription
    are looked up, up to ten years ahead.
    """
    watchlist = situation.watchlist
    commitment = watchlist.commitments[commitment_id]
    zone = watchlist.zone_of(commitment)
    planner = Planner(_restricted(situation, commitment_id))
    timeline = planner.timelines[commitment_id]
    last = None
    for change in timeline.changes:
        if change.at <= now:
            last = change
    agreement = watchlist.agreement_of(commitment)
    return CommitmentReport(
        id=commitment.id,
        title=commitment.title,
        description=commitment.description,
        url=commitment.url,
        written_at=locate("commitments", commitment_id),
        agreement=commitment.agreement,
        agreement_title=agreement.title if agreement else None,
        parties=tuple(sorted(watchlist.parties_of(commitment))),
        tags=tuple(sorted(watchlist.tags_of(commitment))),
        zone=zone,
        now=ZonedInstant(now, zone),
        deadline=deadline_report(planner, commitment, now, locate("commitments", commitment_id, "due")),
        status=planner.status_at(commitment_id, now).value,
        status_since=ZonedInstant(last.at, zone) if last else None,
        history=_history(situation, commitment, zone, planner),
        acks=_acks(situation, planner, commitment_id, zone, now),
        snoozes=tuple(
            SnoozeView(
                ZonedInstant(s.at, zone), ZonedInstant(s.until, zone), s.note, s.actor, s.at <= now < s.until
            )
            for s in situation.snoozes
            if s.commitment_id == commitment_id
        ),
        subscriptions=_subscriptions(planner, watchlist, commitment, now, next_count),
        ledger=_ledger(ledger, watchlist, zone),
        database=database,
        database_found=database_found,
        skipped_channels=tuple(sorted(skipped_channels)),
    )


# --- status, acks ------------------------------------------------------------------------------------


def _history(
    situation: Situation, commitment: Commitment, zone: str, planner: Planner
) -> tuple[StatusEntry, ...]:
    recorded = [*commitment.history, *situation.status_changes.get(commitment.id, ())]
    ordered: list[StatusChange] = sorted(recorded, key=lambda c: c.at)  # stable, like the timeline
    effective = {id(change.change): change.previous for change in planner.timelines[commitment.id].changes}
    entries: list[StatusEntry] = []
    for change in ordered:
        previous = effective.get(id(change))
        entries.append(
            StatusEntry(
                at=ZonedInstant(change.at, zone),
                status=Status(change.status).value,
                previous=previous.value if previous is not None else None,
                origin=change.origin,
                actor=change.actor,
                note=change.note,
                url=change.url,
                verified=change.verified,
                recorded_at=(
                    ZonedInstant(change.recorded_at, zone)
                    if change.recorded_at is not None and change.origin != "config"
                    else None
                ),
                effective=id(change) in effective,
            )
        )
    return tuple(entries)


def _acks(situation: Situation, planner: Planner, cid: str, zone: str, now: datetime) -> tuple[AckView, ...]:
    timeline = planner.timelines[cid]
    return tuple(
        AckView(
            ZonedInstant(a.at, zone),
            a.note,
            a.actor,
            ZonedInstant(a.until, zone) if a.until is not None else None,
            a.holds_at(now) and not timeline.changed_between(a.at, now),
        )
        for a in situation.acks
        if a.commitment_id == cid
    )


# --- subscriptions and their policies ------------------------------------------------------------------


def _subscriptions(
    planner: Planner, watchlist: Watchlist, commitment: Commitment, now: datetime, next_count: int
) -> tuple[SubscriptionReport, ...]:
    """``planner`` runs on the restricted situation; ``watchlist`` is the whole config's."""
    matching = [
        s for s in watchlist.subscriptions if subscription_events(s) and watchlist.matches(s, commitment)
    ]
    upcoming: dict[str, list[UpcomingNotice]] = {s.name: [] for s in matching}
    if matching and next_count > 0:
        notices = look_ahead(planner.situation, now, now + LOOK_AHEAD, max_steps=LOOK_AHEAD_STEPS)
        wanted = (n for n in notices if n.subject == commitment.id and n.subscription in upcoming)
        for notice in islice(wanted, next_count * len(matching) * 4):
            bucket = upcoming[notice.subscription]
            if len(bucket) < next_count:
                bucket.append(upcoming_notice(watchlist, notice))
            if all(len(b) >= next_count for b in upcoming.values()):
                break
    reports: list[SubscriptionReport] = []
    for subscription in matching:
        name, level, reason = policy_choice(watchlist, subscription, commitment)
        reports.append(
            SubscriptionReport(
                name=subscription.name,
                channels=subscription.notify,
                events=tuple(sorted((e.value for e in subscription_events(subscription)), key=_event_rank)),
                zone=subscription_zone(subscription, watchlist.timezone),
                policy=name,
                level=level,
                reason=reason,
                keys=policy_keys(watchlist, name, commitment),
                next_events=tuple(upcoming[subscription.name]),
            )
        )
    return tuple(reports)


def _event_rank(value: str) -> int:
    return next(kind.rank for kind in COMMITMENT_EVENTS if kind.value == value)


# --- the ledger -------------------------------------------------------------------------------------


def _ledger(
    records: Sequence[NotificationRecord], watchlist: Watchlist, zone: str
) -> tuple[LedgerEntry, ...]:
    zones = {s.name: subscription_zone(s, watchlist.timezone) for s in watchlist.subscriptions}
    entries: list[LedgerEntry] = []
    for record in sorted(records, key=lambda r: (r.send_at, r.id)):
        sub_zone = zones.get(record.subscription, zone)
        entries.append(
            LedgerEntry(
                key=record.key,
                event=record.event.value,
                subscription=record.subscription,
                channel=record.channel,
                occurred=ZonedInstant(record.occurred, zone),
                send_at=ZonedInstant(record.send_at, sub_zone),
                state=record.state.value,
                attempts=record.attempts,
                sent_at=ZonedInstant(record.sent_at, sub_zone) if record.sent_at else None,
                error=record.last_error,
                detail=_record_detail(record),
            )
        )
    return tuple(entries)


def _record_detail(record: NotificationRecord) -> str:
    try:
        return notice_detail(record.data)
    except (ValueError, TypeError, KeyError):  # a row written by another version of the program
        return ""


# --- helpers ------------------------------------------------------------------------------------------


def _due_references(spec: DueSpec) -> set[str]:
    if isinstance(spec, RelativeDue):
        return set() if spec.after == ANNOUNCED else {spec.after}
    if isinstance(spec, DerivedDue):
        return set().union(*(_due_references(m) for m in spec.members))
    return set()


def _restricted(situation: Situation, commitment_id: str) -> Situation:
    """The situation cut down to the commitment and what its deadline depends on, without digests:
    looking ahead for one commitment then costs what that commitment costs."""
    watchlist = situation.watchlist
    wanted = {commitment_id}
    stack = [commitment_id]
    while stack:
        current = watchlist.commitments.get(stack.pop())
        if current is None:
            continue
        for ref in _due_references(current.due) - wanted:
            wanted.add(ref)
            stack.append(ref)
    commitments = {cid: c for cid, c in watchlist.commitments.items() if cid in wanted}
    subscriptions = tuple(dataclasses.replace(s, digest=None) for s in watchlist.subscriptions)
    restricted = dataclasses.replace(watchlist, commitments=commitments, subscriptions=subscriptions)
    return Situation(
        restricted,
        {cid: changes for cid, changes in situation.status_changes.items() if cid in wanted},
        tuple(a for a in situation.acks if a.commitment_id in wanted),
        tuple(s for s in situation.snoozes if s.commitment_id in wanted),
    )
