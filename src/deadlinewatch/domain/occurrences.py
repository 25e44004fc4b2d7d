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


@dataclass(frozen=True, slots=True)
class Occurrence:
    kind: EventKind
    instant: datetime
    fires_at: datetime
    data: EventData = field(compare=False, hash=False)


class Grid:
    """Instants ``base + n × every`` on the wall clock of ``zone``, for n = ``first + k`` (k ≥ 0):
    the calendar part of ``n × every`` moves the wall-clock time ``base_local``, then its time part
    is added as elapsed time. ``every`` None = only k = 0. Every instant is computed from the base,
    never from the previous one. ``base_local`` keeps its fold (a base read off an instant in a
    repeated hour stays that instant); None = past the calendar's end (year 9999), no occurrence.
    Computed instants are memoised."""

    __slots__ = ("_average", "_cache", "_tz", "base_local", "every", "first", "zone")

    def __init__(
        self, base_local: datetime | None, zone_name: str, every: Duration | None, first: int = 0
    ) -> None:
        self.base_local = base_local
        self.zone = zone_name
        self.every = every
        self.first = first if every is not None else 0
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
        if local is None:
            raise OverflowError("past the end of the calendar")
        extra = timedelta(0)
        n = k + self.first
        if n and every is not None:
            local = add_days(add_months(local, every.months * n), every.days * n)
            extra = timedelta(seconds=every.seconds * n)
        instant = local.replace(tzinfo=self._tz).astimezone(UTC) + extra
        if len(self._cache) < 64:
            self._cache[k] = instant
        return instant

    def last_at_or_before(self, instant: datetime) -> int:
        """The largest k with ``at(k) <= instant``, or -1."""
        first = self.safe_at(0)
        if first is None or first > instant:
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
            # Review n is announced + n × review_every (n ≥ 1), counted from `announced` itself.
            self._review = Grid(announced_local, deadline.zone, policy.review_every, first=1)
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
                first = version.overdue.safe_at(0)
                return first is not None and first <= instant
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


def _wall_clock(duration: Duration, local: datetime | None, zone_name: str) -> datetime | None:
    """``duration.wall_clock(local)``, or None past the end of the calendar."""
    if local is None:
        return None
    try:
        return duration.wall_clock(local, zone_name)
    except OverflowError:
        return None


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
            try:
                instant = before.apply(window.due_local, window.zone, -1)
            except OverflowError:  # before year 1: never
                continue
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
        # Repeat 0 is due + grace; repeat k and the escalation are counted on the wall clock of
        # repeat 0 (a grace with an hours part is elapsed time, applied before the calendar steps).
        base_local = _wall_clock(policy.grace, window.due_local, window.zone)
        self.overdue = Grid(base_local, window.zone, policy.repeat_overdue_every)
        self.escalation: Grid | None = None
        if policy.escalate_after is not None:
            esc_local = _wall_clock(policy.escalate_after, base_local, window.zone)
            self.escalation = Grid(esc_local, window.zone, None)
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
