"""The read side of the HTTP surface: each commitment's state, computed once per planner.

The service builds a new :class:`~deadlinewatch.domain.planning.Planner` whenever the situation
changes (config, status, ack, snooze); a :class:`CommitmentStates` is built for a planner the first
time a read asks for it (:func:`states_of`) and kept until a read asks about a newer one. Time passing
changes a state only at a few instants per commitment — a status change or a deadline version
taking effect, the overdue line (``due + grace``) being crossed — so each row carries the next such
instant and is recomputed only when a read comes after it (a heap, so advancing costs the rows that
changed, not all of them). What changes continuously (``relative``: "closes in 3 days") is worked
out per request, for the rows the response holds.

Counts by status, overdue and pending are kept up to date with the rows, so ``/metrics`` costs
nothing per commitment. Tags and agreements have an index, so a filtered page does not scan rows
that cannot match.

Thread safety: reads run in worker threads; building and advancing take the model's lock (one
build per planner however many requests arrive at once); a :class:`Row` is immutable.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from deadlinewatch.domain.deadlines import Deadline
from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import Commitment, Status
from deadlinewatch.domain.planning import Planner
from deadlinewatch.domain.statuses import EffectiveChange, StatusTimeline
from deadlinewatch.domain.windows import Window
from deadlinewatch.domain.wording import describe_deadline, relative_to_now
from deadlinewatch.durations import Duration
from deadlinewatch.services.context import commitment_brief
from deadlinewatch.services.report import CommitmentState

__all__ = ["CommitmentStates", "Page", "Row", "SnapshotCache", "states_of"]

_T = TypeVar("_T")
CLOCK_STEP = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class Row:
    """One commitment as of the model's instant; valid until ``until`` (None: for good)."""

    position: int
    commitment: Commitment
    status: Status
    last: EffectiveChange | None
    window: Window | None
    overdue_from: datetime | None
    overdue: bool
    until: datetime | None


@dataclass(frozen=True)
class Page:
    rows: tuple[Row, ...]
    total: int  # rows matching the filters, in all pages
    next_cursor: str | None  # the id to pass as ``cursor`` for the next page


class CommitmentStates:
    """Every commitment's state for one planner, advanced in time by :meth:`advance`."""

    def __init__(self, planner: Planner, now: datetime) -> None:
        self.planner = planner
        watchlist = planner.watchlist
        self._commitments: list[Commitment] = list(watchlist.commitments.values())
        self._positions: dict[str, int] = {c.id: i for i, c in enumerate(self._commitments)}
        self._graces: list[Duration] = []
        graces: dict[tuple[str, object], Duration] = {}
        self._by_tag: dict[str, list[int]] = {}
        self._by_agreement: dict[str, list[int]] = {}
        for i, commitment in enumerate(self._commitments):
            name = watchlist.policy_name_for(None, commitment)
            key = (name, type(commitment.due))
            if key not in graces:
                graces[key] = watchlist.policy_for(None, commitment).grace
            self._graces.append(graces[key])
            for tag in watchlist.tags_of(commitment):
                self._by_tag.setdefault(tag, []).append(i)
            if commitment.agreement is not None:
                self._by_agreement.setdefault(commitment.agreement, []).append(i)
        self._lock = threading.Lock()
        self._as_of = now
        self.revision = 0  # bumped whenever a row changes
        self._rows: list[Row] = []
        self._heap: list[tuple[datetime, int]] = []
        self.by_status: dict[Status, int] = dict.fromkeys(Status, 0)
        self.overdue_count = 0
        self.pending_count = sum(1 for d in planner.deadlines.values() if d.pending())
        self._rebuild(now)

    # --- time -----------------------------------------------------------------------------------

    def advance(self, now: datetime) -> None:
        """Bring every row to ``now``: only rows whose ``until`` has passed are recomputed. A clock
        that went back by more than :data:`CLOCK_STEP` (a test clock, an NTP step) rebuilds every
        row; a request whose ``now`` is a little older than another's (threads) reads the rows as
        of the newer instant."""
        with self._lock:
            if now < self._as_of:
                if self._as_of - now > CLOCK_STEP:
                    self._rebuild(now)
                return
            self._as_of = now
            heap = self._heap
            changed = False
            while heap and heap[0][0] <= now:
                _, position = heapq.heappop(heap)
                self._replace(self._row(position, now))
                changed = True
            if changed:
                self.revision += 1

    def _rebuild(self, now: datetime) -> None:
        self._as_of = now
        self._rows = []
        self._heap = []
        self.by_status = dict.fromkeys(Status, 0)
        self.overdue_count = 0
        for position in range(len(self._commitments)):
            row = self._row(position, now)
            self._rows.append(row)
            self._count(row, 1)
            if row.until is not None:
                self._heap.append((row.until, position))
        heapq.heapify(self._heap)
        self.revision += 1

    def _replace(self, row: Row) -> None:
        self._count(self._rows[row.position], -1)
        self._rows[row.position] = row
        self._count(row, 1)
        if row.until is not None:
            heapq.heappush(self._heap, (row.until, row.position))

    def _count(self, row: Row, sign: int) -> None:
        self.by_status[row.status] += sign
        if row.overdue:
            self.overdue_count += sign

    def _row(self, position: int, now: datetime) -> Row:
        commitment = self._commitments[position]
        deadline: Deadline = self.planner.deadlines[commitment.id]
        timeline: StatusTimeline = self.planner.timelines[commitment.id]
        changes = timeline.changes
        index = bisect.bisect_right(changes, now, key=lambda c: c.at)
        last = changes[index - 1] if index else None
        status = last.status if last is not None else timeline.initial
        boundaries: list[datetime] = []
        if index < len(changes):
            boundaries.append(changes[index].at)
        window = None
        for version in deadline.versions:
            if version.known_from is None or version.known_from <= now:
                window = version.window
            else:
                boundaries.append(version.known_from)
                break
        overdue_from = None
        overdue = False
        if window is not None:
            overdue_from = self._graces[position].apply(window.due_local, window.zone)
            overdue = not status.is_terminal and overdue_from <= now
            if overdue_from > now:
                boundaries.append(overdue_from)
        until = min(boundaries) if boundaries else None
        return Row(position, commitment, status, last, window, overdue_from, overdue, until)

    # --- reads ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._commitments)

    def row(self, commitment_id: str) -> Row | None:
        position = self._positions.get(commitment_id)
        return None if position is None else self._rows[position]

    def rows(self) -> Sequence[Row]:
        """Every row, in config order (a copy: safe to iterate while another thread advances)."""
        with self._lock:
            return list(self._rows)

    def position_of(self, commitment_id: str) -> int | None:
        return self._positions.get(commitment_id)

    def select(
        self,
        *,
        tags: Iterable[str] = (),
        agreement: str | None = None,
        status: str | None = None,
        overdue: bool | None = None,
        after: int = -1,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        """The rows matching every filter (any of ``tags``), in config order, starting after the
        position ``after`` (a cursor) and skipping ``offset`` matches; at most ``limit``."""
        wanted_tags = set(tags)
        candidates: Sequence[int]
        if wanted_tags:
            merged: set[int] = set()
            for tag in wanted_tags:
                merged.update(self._by_tag.get(tag, ()))
            if agreement is not None:
                merged.intersection_update(self._by_agreement.get(agreement, ()))
            candidates = sorted(merged)
        elif agreement is not None:
            candidates = self._by_agreement.get(agreement, [])
        else:
            candidates = range(len(self._commitments))
        rows = self._rows
        if status is None and overdue is None:
            # no per-row test: count and slice without touching the rows
            start = bisect.bisect_right(candidates, after) + offset
            chosen = [rows[i] for i in candidates[start : start + limit]]
            total = len(candidates)
            more = start + limit < len(candidates)
        else:
            chosen = []
            total = 0
            skipped = 0
            more = False
            for i in candidates:
                row = rows[i]
                if status is not None and row.status.value != status:
                    continue
                if overdue is not None and row.overdue != overdue:
                    continue
                total += 1
                if i <= after:
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                if len(chosen) < limit:
                    chosen.append(row)
                else:
                    more = True
        next_cursor = chosen[-1].commitment.id if chosen and more else None
        return Page(tuple(chosen), total, next_cursor)

    def state(self, row: Row, now: datetime) -> CommitmentState:
        """The row as the API and the dashboard show it (the shape of ``deadlinewatch status``);
        ``relative`` is worked out for ``now``."""
        planner = self.planner
        commitment = row.commitment
        deadline = planner.deadlines[commitment.id]
        window = row.window
        relative = None
        if window is not None:
            assert row.overdue_from is not None
            words = describe_deadline(window)
            if not row.status.is_terminal:
                relative = relative_to_now(window.due, now, row.overdue_from)
        else:
            words = commitment_brief(planner, commitment.id, now).deadline_words
        last = row.last
        return CommitmentState(
            id=commitment.id,
            title=commitment.title,
            agreement=commitment.agreement,
            status=row.status.value,
            status_at=format_utc(last.at) if last else None,
            status_origin=last.change.origin if last else None,
            precision=window.precision.value if window else ("open" if deadline.open_kind else None),
            opens=format_utc(window.opens) if window else None,
            closes=format_utc(window.closes) if window else None,
            due=format_utc(window.due) if window else None,
            overdue=row.overdue,
            pending=deadline.pending(),
            deadline=words,
            relative=relative,
            tags=sorted(planner.watchlist.tags_of(commitment)),
        )


_current: CommitmentStates | None = None
_current_lock = threading.Lock()


def states_of(planner: Planner, now: datetime) -> CommitmentStates:
    """The read model of ``planner``, advanced to ``now``: built on first use (once, however many
    threads ask at the same time). Only the model of the latest planner asked about is kept, so a
    replaced planner (and its model) is freed as soon as the service lets go of it."""
    global _current
    with _current_lock:
        model = _current
        if model is None or model.planner is not planner:
            model = _current = None  # let the old model go before building the new one
            model = _current = CommitmentStates(planner, now)
    model.advance(now)
    return model


@dataclass
class _Entry(Generic[_T]):
    key: object
    value: _T
    made_at: float
    cost: float


class SnapshotCache(Generic[_T]):
    """One value derived from a read model (a rendered page), rebuilt when its key changes — but
    not more often than ``throttle`` times the time the last build took, nor than ``min_age``
    seconds, so a large page cannot take more than a small share of a core however often it is
    asked for. One build at a time: while it runs, other callers get the previous value of the
    same snapshot at once (they never queue behind a build); only without one do they wait."""

    def __init__(self, *, throttle: float = 10.0, min_age: float = 0.0) -> None:
        self._build_lock = threading.Lock()
        self._entry: _Entry[_T] | None = None
        self.throttle = throttle
        self.min_age = min_age
        self.builds = 0

    def _fresh(self, key: object, now: float) -> _T | None:
        entry = self._entry
        if entry is None:
            return None
        if entry.key == key:
            return entry.value
        if _same_source(entry.key, key) and now - entry.made_at < max(
            self.min_age, entry.cost * self.throttle
        ):
            return entry.value
        return None

    def peek(self, key: object, *, monotonic: Callable[[], float]) -> _T | None:
        """What :meth:`get` would answer without building (``None``: it would build, or wait for a
        build under way) — so a caller can fetch what a build needs before asking."""
        found = self._fresh(key, monotonic())
        if found is not None or not self._build_lock.locked():
            return found
        entry = self._entry
        return entry.value if entry is not None and _same_source(entry.key, key) else None

    def get(self, key: object, build: Callable[[], _T], *, monotonic: Callable[[], float]) -> _T:
        found = self._fresh(key, monotonic())
        if found is not None:
            return found
        if not self._build_lock.acquire(blocking=False):
            entry = self._entry
            if entry is not None and _same_source(entry.key, key):
                return entry.value  # a build is under way: the previous value, without waiting
            self._build_lock.acquire()
        try:
            found = self._fresh(key, monotonic())  # built while this caller waited
            if found is not None:
                return found
            started = monotonic()
            value = build()
            finished = monotonic()
            self._entry = _Entry(key, value, finished, finished - started)
            self.builds += 1
            return value
        finally:
            self._build_lock.release()


def _same_source(old: object, new: object) -> bool:
    """Keys are tuples whose first item names the snapshot (a planner's id); a new snapshot always
    rebuilds, only a newer instant or revision of the same one may be throttled."""
    return isinstance(old, tuple) and isinstance(new, tuple) and bool(old) and bool(new) and old[0] == new[0]
