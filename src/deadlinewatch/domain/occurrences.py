"""The scheduled occurrences of one commitment under one policy (SPEC §5): reminders,
``window_open``, ``overdue`` and its repeats, ``escalation`` and ``review``.

Every occurrence is computed from its base on the nominal wall clock, never from the previous one.
An occurrence has its own ``instant`` (its identity) and ``fires_at``: the same instant, or the
instant its deadline became known when it was already past then (caught up, the latest of each).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from deadlinewatch.domain.deadlines import Deadline, DeadlineVersion
from deadlinewatch.domain.events import Escalation, EventData, Overdue, Reminder, Review, WindowOpen
from deadlinewatch.domain.localtime import format_utc, zone
from deadlinewatch.domain.model import WINDOWED, EventKind, Policy
from deadlinewatch.durations import Duration, add_days, add_months

_AVERAGE_MONTH = timedelta(days=30.436875)
_NEVER = -1


@dataclass(frozen=True)
class Occurrence:
    kind: EventKind
    instant: datetime
    fires_at: datetime
    data: EventData = field(compare=False, hash=False)


class Grid:
    """Instants ``base + k × every`` (k ≥ 0) on the nominal wall clock of ``zone``, plus an
    elapsed offset; ``every`` None = only k = 0. Computed instants are memoised."""

    __slots__ = ("_average", "_cache", "_tz", "base_local", "every", "offset", "zone")

    def __init__(
        self, base_local: datetime, offset: timedelta, zone_name: str, every: Duration | None
    ) -> None:
        self.base_local = base_local
        self.offset = offset
        self.zone = zone_name
        self.every = every
        self._tz = zone(zone_name)
        self._cache: dict[int, datetime] = {}
        self._average = (
            every.months * _AVERAGE_MONTH + timedelta(days=every.days, seconds=every.seconds)
            if every is not None
            else timedelta(0)
        )

    def at(self, k: int) -> datetime:
        cached = self._cache.get(k)
        if cached is not None:
            return cached
        every = self.every
        local = self.base_local
        extra = self.offset
        if k and every is not None:
            local = add_days(add_months(local, every.months * k), every.days * k)
            extra += timedelta(seconds=every.seconds * k)
        instant = local.replace(tzinfo=self._tz, fold=0).astimezone(UTC) + extra
        if len(self._cache) < 64:
            self._cache[k] = instant
        return instant

    def last_at_or_before(self, instant: datetime) -> int:
        """The largest k with ``at(k) <= instant``, or -1."""
        first = self.at(0)
        if first > instant:
            return _NEVER
        if self.every is None:
            return 0
        k = max(0, int((instant - first) / self._average))
        try:
            while k > 0 and self.at(k) > instant:
                k -= 1
            while self.at(k + 1) <= instant:
                k += 1
        except (OverflowError, ValueError):
            pass
        return k

    def safe_at(self, k: int) -> datetime | None:
        """``at(k)``, or None past the grid's end (k > 0 without repeats, or past year 9999)."""
        if self.every is None and k > 0:
            return None
        try:
            return self.at(k)
        except (OverflowError, ValueError):
            return None


def _shifted(duration: Duration, local: datetime) -> tuple[datetime, timedelta]:
    return duration.shift_local(local), timedelta(seconds=duration.seconds)


class CommitmentSchedule:
    """Occurrences of one commitment under one resolved policy."""

    def __init__(
        self, deadline: Deadline, policy: Policy, announced: datetime | None, announced_local: datetime | None
    ) -> None:
        self.deadline = deadline
        self.policy = policy
        self.announced = announced
        self._review: Grid | None = None
        if deadline.open_kind is not None and announced_local is not None and policy.review_every:
            first_local, first_offset = _shifted(policy.review_every, announced_local)
            self._review = Grid(first_local, first_offset, deadline.zone, policy.review_every)
        versions = deadline.versions
        self._versions = [
            _VersionSchedule(
                v, versions[i + 1].known_from if i + 1 < len(versions) else None, policy, announced
            )
            for i, v in enumerate(versions)
        ]

    def between(self, lo: datetime | None, hi: datetime) -> Iterator[Occurrence]:
        """Occurrences firing in ``(lo, hi]``; with ``lo`` None only the latest of each kind."""
        for version in self._versions:
            yield from version.between(lo, hi)
        if self._review is not None:
            yield from _grid_between(self._review, EventKind.REVIEW, lo, hi, lambda k: Review(k + 1))

    def overdue_due_by(self, instant: datetime) -> bool:
        """Whether an ``overdue`` of the deadline in force at ``instant`` is due by then."""
        for version in reversed(self._versions):
            if version.known_from is None or version.known_from <= instant:
                return version.overdue.at(0) <= instant
        return False

    def next_after(self, instant: datetime) -> datetime | None:
        candidates = [v.next_after(instant) for v in self._versions]
        if self._review is not None:
            candidates.append(self._review.safe_at(self._review.last_at_or_before(instant) + 1))
        present = [c for c in candidates if c is not None]
        return min(present) if present else None


def _grid_between(
    grid: Grid,
    kind: EventKind,
    lo: datetime | None,
    hi: datetime,
    fields: Callable[[int], EventData],
    lower_bound: datetime | None = None,
    upper_bound: datetime | None = None,
) -> Iterator[Occurrence]:
    """Grid occurrences in ``(lo, hi]`` that lie in ``[lower_bound, upper_bound)``."""
    last = grid.last_at_or_before(hi)
    if upper_bound is not None:
        last = min(last, grid.last_at_or_before(upper_bound - timedelta(microseconds=1)))
    if last < 0:
        return
    first = last if lo is None else grid.last_at_or_before(lo) + 1
    if lower_bound is not None:
        first = max(first, grid.last_at_or_before(lower_bound - timedelta(microseconds=1)) + 1)
    for k in range(first, last + 1):
        instant = grid.at(k)
        yield Occurrence(kind, instant, instant, fields(k))


class _VersionSchedule:
    def __init__(
        self, version: DeadlineVersion, until: datetime | None, policy: Policy, announced: datetime | None
    ) -> None:
        window = version.window
        self.known_from = version.known_from
        self.until = until
        self.due = window.due
        due_text = format_utc(self.due)
        early_floor = max((t for t in (version.known_from, announced) if t is not None), default=None)
        self.early: list[Occurrence] = []
        for before in policy.remind_before:
            instant = before.apply(window.due_local, window.zone, -1)
            self.early.append(
                Occurrence(EventKind.REMINDER, instant, instant, Reminder(due_text, before.text))
            )
        if window.precision in WINDOWED and not window.overdue_at_opens:
            opens = window.opens
            data = WindowOpen(format_utc(opens), due_text)
            self.early.append(Occurrence(EventKind.WINDOW_OPEN, opens, opens, data))
        self.early = sorted(
            (
                o
                for o in self.early
                if (early_floor is None or o.instant >= early_floor) and (until is None or o.instant < until)
            ),
            key=lambda o: o.instant,
        )
        base_local, base_offset = _shifted(policy.grace, window.due_local)
        self.overdue = Grid(base_local, base_offset, window.zone, policy.repeat_overdue_every)
        self.escalation: Grid | None = None
        if policy.escalate_after is not None:
            esc_local, esc_offset = _shifted(policy.escalate_after, base_local)
            self.escalation = Grid(esc_local, esc_offset + base_offset, window.zone, None)
        self._due_text = due_text

    def _late_grids(self) -> Iterator[tuple[Grid, EventKind, Callable[[int], EventData]]]:
        yield self.overdue, EventKind.OVERDUE, lambda k: Overdue(self._due_text, k)
        if self.escalation is not None:
            yield self.escalation, EventKind.ESCALATION, lambda k: Escalation(self._due_text)

    def between(self, lo: datetime | None, hi: datetime) -> Iterator[Occurrence]:
        def inside(instant: datetime) -> bool:
            return (lo is None or instant > lo) and instant <= hi

        early = [o for o in self.early if inside(o.instant)]
        if lo is None and early:
            latest: dict[EventKind, Occurrence] = {}
            for occurrence in early:
                latest[occurrence.kind] = occurrence
            early = list(latest.values())
        yield from early
        for grid, kind, fields in self._late_grids():
            known = self.known_from
            if known is not None and inside(known):
                # Became known with occurrences already past: the latest of them, at `known`.
                k = grid.last_at_or_before(known - timedelta(microseconds=1))
                if k >= 0:
                    yield Occurrence(kind, grid.at(k), known, fields(k))
            yield from _grid_between(grid, kind, lo, hi, fields, known, self.until)

    def next_after(self, instant: datetime) -> datetime | None:
        candidates: list[datetime | None] = [o.instant for o in self.early if o.instant > instant]
        if self.known_from is not None and self.known_from > instant:
            candidates.append(self.known_from)
        for grid, _, _ in self._late_grids():
            k = grid.last_at_or_before(instant) + 1
            if self.known_from is not None:
                k = max(k, grid.last_at_or_before(self.known_from - timedelta(microseconds=1)) + 1)
            candidate = grid.safe_at(k)
            if candidate is not None and (self.until is None or candidate < self.until):
                candidates.append(candidate)
        present = [c for c in candidates if c is not None]
        return min(present) if present else None
