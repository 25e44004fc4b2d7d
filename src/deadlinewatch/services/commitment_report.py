"""Everything known about one commitment, for ``deadlinewatch show``: its deadline as written and
as read, its status history, acknowledgements and snoozes, the policy each matching subscription
applies (and from which level it comes), the next notifications, and the ledger rows about it.

Pure: the situation, the ledger rows and ``now`` are arguments; nothing is read or written here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import islice

from deadlinewatch.domain.deadlines import Deadline, compute_deadlines
from deadlinewatch.domain.localtime import to_instant
from deadlinewatch.domain.model import (
    ANNOUNCED,
    COMMITMENT_EVENTS,
    AbsoluteDue,
    CalendarDue,
    Commitment,
    DerivedDue,
    DueSpec,
    OpenDue,
    Precision,
    RelativeDue,
    Status,
    StatusChange,
    Subscription,
)
from deadlinewatch.domain.occurrences import CommitmentSchedule
from deadlinewatch.domain.planning import Planner, Situation, subscription_events
from deadlinewatch.domain.watchlist import BUILTIN_POLICY, DEFAULT_POLICY, Watchlist
from deadlinewatch.domain.windows import Window
from deadlinewatch.domain.wording import describe_deadline, describe_pending, relative_to_now
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


class PolicyLevel(StrEnum):
    """Where the policy that applies was chosen (SPEC §2 precedence, highest first)."""

    SUBSCRIPTION = "subscription"
    COMMITMENT = "commitment"
    AGREEMENT = "agreement"
    DEFAULT = "default"
    BUILT_IN = "built-in"


@dataclass(frozen=True)
class AnchorReport:
    """What a relative or derived deadline hangs on. ``after`` is a commitment id or
    ``announced``; for a derived deadline, ``members`` are its members (each an anchor report)."""

    written: str
    known: bool
    due: ZonedInstant | None
    after: str | None = None
    after_title: str | None = None
    after_status: str | None = None
    day0: ZonedInstant | None = None
    within: str | None = None
    members: tuple[AnchorReport, ...] = ()


@dataclass(frozen=True)
class DeadlineVersionView:
    """One due in force from ``known_from`` (``None``: from the start)."""

    known_from: ZonedInstant | None
    due: ZonedInstant


@dataclass(frozen=True)
class DeadlineReport:
    written: str
    written_at: str | None  # FILE:LINE of the ``due`` key, when known
    zone: str
    precision: str  # a Precision value, "open" (asap/immediate/open), or "pending"
    form: str  # "calendar", "instant", "open", "relative", "derived"
    known: bool
    words: str
    opens: ZonedInstant | None
    closes: ZonedInstant | None
    due: ZonedInstant | None
    overdue_at: str  # "closes" or "opens"
    overdue_from: ZonedInstant | None  # due + grace under the commitment's own policy
    overdue: bool
    relative: str | None  # "closes in 12 days", "3 days overdue"
    announced: ZonedInstant | None
    anchor: AnchorReport | None
    versions: tuple[DeadlineVersionView, ...]
    next_review: ZonedInstant | None  # open-ended forms: the next review (the commitment's own policy)


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
class PolicyKey:
    """One key of the resolved policy and where its value comes from."""

    name: str
    value: str
    source: str  # "policy NAME", "the config's default", "built-in"


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
        deadline=_deadline_report(planner, commitment, now, locate("commitments", commitment_id, "due")),
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


# --- the deadline ----------------------------------------------------------------------------------


def written_due(spec: DueSpec) -> str:
    """A ``due`` value as it would be written in the config (``2016-08``, ``asap``,
    ``{after: syria-draft-constitution, within: 18mo}``)."""
    if isinstance(spec, AbsoluteDue):
        return spec.instant.isoformat(timespec="minutes").replace("+00:00", "Z")
    if isinstance(spec, OpenDue):
        return spec.kind.value
    if isinstance(spec, RelativeDue):
        return f"{{after: {spec.after}, within: {spec.within.text or spec.within}}}"
    if isinstance(spec, DerivedDue):
        return f"{{{spec.mode.value}: [{', '.join(written_due(m) for m in spec.members)}]}}"
    return _written_calendar(spec)


def _written_calendar(spec: CalendarDue) -> str:
    opens = spec.opens_local
    precision = spec.precision
    if precision is Precision.INSTANT:
        return opens.isoformat(timespec="seconds" if opens.second else "minutes")
    if precision is Precision.DAY:
        return f"{opens:%Y-%m-%d}"
    if precision is Precision.WEEK:
        year, week, _ = opens.isocalendar()
        return f"{year}-W{week:02d}"
    if precision is Precision.PART_OF_MONTH:
        part = "early" if opens.day <= 10 else "mid" if opens.day <= 20 else "late"
        return f"{part} {opens:%Y-%m}"
    if precision is Precision.MONTH:
        return f"{opens:%Y-%m}"
    if precision is Precision.QUARTER:
        return f"{opens.year}-Q{(opens.month - 1) // 3 + 1}"
    return str(opens.year)


def _form(spec: DueSpec) -> str:
    if isinstance(spec, CalendarDue):
        return "instant" if spec.precision is Precision.INSTANT else "calendar"
    if isinstance(spec, AbsoluteDue):
        return "instant"
    if isinstance(spec, OpenDue):
        return "open"
    return "relative" if isinstance(spec, RelativeDue) else "derived"


def _zoned(window: Window | None, attribute: str) -> ZonedInstant | None:
    if window is None:
        return None
    instant: datetime = getattr(window, attribute)
    return ZonedInstant(instant, window.zone)


def _deadline_report(
    planner: Planner, commitment: Commitment, now: datetime, written_at: str | None
) -> DeadlineReport:
    watchlist = planner.watchlist
    zone = watchlist.zone_of(commitment)
    deadline = planner.deadlines[commitment.id]
    window = deadline.window_at(now)
    status = planner.status_at(commitment.id, now)
    overdue_from = None
    overdue = False
    relative = None
    if window is not None:
        policy = watchlist.policy_for(None, commitment)
        overdue_from = policy.grace.apply(window.due_local, window.zone)
        overdue = not status.is_terminal and overdue_from <= now
        relative = None if status.is_terminal else relative_to_now(window.due, now, overdue_from)
    anchor = _anchor(planner, commitment, commitment.due, zone, now)
    if window is not None:
        precision = window.precision.value
    elif deadline.open_kind is not None:
        precision = "open"
    else:
        precision = "pending"
    announced_local = watchlist.announced_of(commitment)
    return DeadlineReport(
        written=written_due(commitment.due),
        written_at=written_at,
        zone=zone,
        precision=precision,
        form=_form(commitment.due),
        known=window is not None or deadline.open_kind is not None,
        words=describe_deadline(
            window,
            open_kind=deadline.open_kind,
            pending=_pending_words(planner, commitment.due),
        ),
        opens=_zoned(window, "opens"),
        closes=_zoned(window, "closes"),
        due=_zoned(window, "due"),
        overdue_at="opens" if commitment.overdue_at_opens else "closes",
        overdue_from=ZonedInstant(overdue_from, zone) if overdue_from is not None else None,
        overdue=overdue,
        relative=relative,
        announced=(
            ZonedInstant(to_instant(announced_local, zone), zone) if announced_local is not None else None
        ),
        anchor=anchor,
        versions=tuple(
            DeadlineVersionView(
                ZonedInstant(v.known_from, zone) if v.known_from is not None else None,
                ZonedInstant(v.window.due, v.window.zone),
            )
            for v in deadline.versions
        ),
        next_review=_zoned_or_none(next_review(planner, commitment.id, now), zone),
    )


def _zoned_or_none(instant: datetime | None, zone: str) -> ZonedInstant | None:
    return ZonedInstant(instant, zone) if instant is not None else None


def next_review(planner: Planner, commitment_id: str, now: datetime) -> datetime | None:
    """The next ``review`` of an open-ended commitment after ``now`` under its own policy (as
    ``status`` reads it: no subscription), or ``None`` (not open-ended, no announced date, or
    terminal now: reviews are suppressed while it stays so)."""
    deadline = planner.deadlines[commitment_id]
    if deadline.open_kind is None or planner.status_at(commitment_id, now).is_terminal:
        return None
    watchlist = planner.watchlist
    commitment = watchlist.commitments[commitment_id]
    announced_local = watchlist.announced_of(commitment)
    if announced_local is None:
        return None
    announced = to_instant(announced_local, deadline.zone)
    policy = watchlist.policy_for(None, commitment)
    return CommitmentSchedule(deadline, policy, announced, announced_local).next_after(now)


def _pending_words(planner: Planner, spec: DueSpec) -> str:
    if isinstance(spec, RelativeDue) and spec.after != ANNOUNCED:
        anchor = planner.watchlist.commitments.get(spec.after)
        return describe_pending(spec.within, anchor.title if anchor else spec.after)
    return f"pending: {written_due(spec)} is not known yet"


def _anchor(
    planner: Planner, commitment: Commitment, spec: DueSpec, zone: str, now: datetime
) -> AnchorReport | None:
    """How a relative or derived ``spec`` stands as of ``now`` (``None`` for fixed and open forms)."""
    if not isinstance(spec, RelativeDue | DerivedDue):
        return None
    window = _member_deadline(planner, commitment, spec).window_at(now)
    due = _zoned(window, "due")
    if isinstance(spec, DerivedDue):
        members = tuple(_member(planner, commitment, m, zone, now) for m in spec.members)
        return AnchorReport(written_due(spec), window is not None, due, members=members)
    within = spec.within.text or str(spec.within)
    if spec.after == ANNOUNCED:
        announced_local = planner.watchlist.announced_of(commitment)
        day0 = ZonedInstant(to_instant(announced_local, zone), zone) if announced_local else None
        return AnchorReport(
            written_due(spec), window is not None, due, after=ANNOUNCED, day0=day0, within=within
        )
    anchor = planner.watchlist.commitments.get(spec.after)
    timeline = planner.timelines.get(spec.after)
    first = timeline.first_fulfilled() if timeline is not None else None
    return AnchorReport(
        written_due(spec),
        window is not None,
        due,
        after=spec.after,
        after_title=anchor.title if anchor else None,
        after_status=planner.status_at(spec.after, now).value if anchor else None,
        day0=ZonedInstant(first, zone) if first is not None and first <= now else None,
        within=within,
    )


def _member(
    planner: Planner, commitment: Commitment, spec: DueSpec, zone: str, now: datetime
) -> AnchorReport:
    nested = _anchor(planner, commitment, spec, zone, now)
    if nested is not None:
        return nested
    window = _member_deadline(planner, commitment, spec).window_at(now)
    return AnchorReport(written_due(spec), window is not None, _zoned(window, "due"))


def _member_deadline(planner: Planner, commitment: Commitment, spec: DueSpec) -> Deadline:
    """The deadline ``spec`` alone would give ``commitment`` (with the same anchors' histories)."""
    probe = dataclasses.replace(commitment, id=f"{commitment.id}\x1fprobe", due=spec)
    watchlist = dataclasses.replace(planner.watchlist, commitments={probe.id: probe})
    return compute_deadlines(watchlist, planner.timelines)[probe.id]


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
        name, level, reason = _policy_choice(watchlist, subscription, commitment)
        reports.append(
            SubscriptionReport(
                name=subscription.name,
                channels=subscription.notify,
                events=tuple(sorted((e.value for e in subscription_events(subscription)), key=_event_rank)),
                zone=subscription_zone(subscription, watchlist.timezone),
                policy=name,
                level=level,
                reason=reason,
                keys=_policy_keys(watchlist, name, commitment),
                next_events=tuple(upcoming[subscription.name]),
            )
        )
    return tuple(reports)


def _event_rank(value: str) -> int:
    return next(kind.rank for kind in COMMITMENT_EVENTS if kind.value == value)


def _policy_choice(
    watchlist: Watchlist, subscription: Subscription, commitment: Commitment
) -> tuple[str, PolicyLevel, str]:
    agreement = watchlist.agreement_of(commitment)
    if subscription.policy:
        return subscription.policy, PolicyLevel.SUBSCRIPTION, f"subscription {subscription.name} sets it"
    if commitment.policy:
        return (
            commitment.policy,
            PolicyLevel.COMMITMENT,
            f"subscription {subscription.name} sets none; the commitment sets it",
        )
    if agreement is not None and agreement.policy:
        return (
            agreement.policy,
            PolicyLevel.AGREEMENT,
            f"neither subscription {subscription.name} nor the commitment sets one; "
            f"its agreement {agreement.id} does",
        )
    if DEFAULT_POLICY in watchlist.policies:
        return (
            DEFAULT_POLICY,
            PolicyLevel.DEFAULT,
            "no subscription, commitment or agreement policy: the config's default",
        )
    return (
        DEFAULT_POLICY,
        PolicyLevel.BUILT_IN,
        "no policy set anywhere and the config has no default: the built-in defaults",
    )


def _policy_keys(watchlist: Watchlist, name: str, commitment: Commitment) -> tuple[PolicyKey, ...]:
    open_kind = commitment.due.kind if isinstance(commitment.due, OpenDue) else None
    policy = watchlist.policy_named(name, open_kind)
    layers = [
        (f"policy {name}", watchlist.policies.get(name) if name != DEFAULT_POLICY else None),
        ("the config's default", watchlist.policies.get(DEFAULT_POLICY)),
        ("built-in", BUILTIN_POLICY),
    ]

    def source(attribute: str) -> str:
        for label, layer in layers:
            if layer is None:
                continue
            if attribute == "escalate_after":
                if layer.escalate_after_set:
                    return label
            elif getattr(layer, attribute) is not None:
                return label
        return "built-in"

    keys = [
        PolicyKey(
            "remind_before",
            ", ".join(d.text or str(d) for d in policy.remind_before) or "none",
            source("remind_before"),
        ),
        PolicyKey("grace", policy.grace.text or str(policy.grace), source("grace")),
        PolicyKey(
            "repeat_overdue_every",
            policy.repeat_overdue_every.text if policy.repeat_overdue_every else "off",
            source("repeat_overdue_every"),
        ),
        PolicyKey(
            "escalate_after",
            policy.escalate_after.text if policy.escalate_after else "none",
            source("escalate_after"),
        ),
    ]
    if open_kind is not None:
        review = policy.review_every
        keys.append(
            PolicyKey(
                "review_every",
                review.text if review else "none",
                source("review_every")
                if source("review_every") != "built-in"
                else f"built-in for {open_kind.value}",
            )
        )
    return tuple(keys)


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
