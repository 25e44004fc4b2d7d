"""A commitment's deadline as written and as read, for ``deadlinewatch show``: the ``due`` value
given back in its written form, its window in the commitment's zone (with UTC), when it becomes
overdue, what a relative or derived deadline hangs on and whether it is known yet, and the next
review of an open-ended one.

Pure: the planner (for statuses and deadlines) and ``now`` are arguments.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from deadlinewatch.domain.deadlines import Deadline, compute_deadlines
from deadlinewatch.domain.localtime import to_instant
from deadlinewatch.domain.model import (
    ANNOUNCED,
    AbsoluteDue,
    CalendarDue,
    Commitment,
    DerivedDue,
    DueSpec,
    OpenDue,
    Precision,
    RelativeDue,
)
from deadlinewatch.domain.occurrences import CommitmentSchedule
from deadlinewatch.domain.planning import Planner
from deadlinewatch.domain.windows import Window
from deadlinewatch.domain.wording import describe_deadline, describe_pending, relative_to_now
from deadlinewatch.services.zoned import ZonedInstant

__all__ = [
    "AnchorReport",
    "DeadlineReport",
    "DeadlineVersionView",
    "deadline_report",
    "next_review",
    "written_due",
]


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


def deadline_report(
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
