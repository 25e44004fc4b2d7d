"""Each commitment's deadline over time (SPEC §3): fixed windows are known from the start;
relative ones become known when their anchor is first fulfilled; derived ones are re-evaluated
whenever a member becomes known. Every change of the due is a new :class:`DeadlineVersion`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from deadlinewatch.domain.localtime import to_local
from deadlinewatch.domain.model import (
    ANNOUNCED,
    AbsoluteDue,
    CalendarDue,
    Commitment,
    DerivedDue,
    DerivedMode,
    DueSpec,
    OpenDue,
    OpenKind,
    Precision,
    RelativeDue,
)
from deadlinewatch.domain.statuses import StatusTimeline
from deadlinewatch.domain.watchlist import Watchlist
from deadlinewatch.domain.windows import Window, fixed_window
from deadlinewatch.durations import Duration

# (known from — None for "from the start" — , window)
_Step = tuple[datetime | None, Window]


@dataclass(frozen=True, slots=True)
class DeadlineVersion:
    known_from: datetime | None
    window: Window
    previous_due: datetime | None  # the due in force before this version (``before``)


@dataclass(frozen=True, slots=True)
class Deadline:
    """The deadline of one commitment: its versions in time order, or an open form."""

    commitment_id: str
    zone: str
    versions: tuple[DeadlineVersion, ...] = ()
    open_kind: OpenKind | None = None

    def version_at(self, instant: datetime) -> DeadlineVersion | None:
        """The version in force at ``instant`` (known at or before it)."""
        current = None
        for version in self.versions:
            if version.known_from is None or version.known_from <= instant:
                current = version
            else:
                break
        return current

    def window_at(self, instant: datetime) -> Window | None:
        version = self.version_at(instant)
        return version.window if version else None

    def latest_window(self) -> Window | None:
        return self.versions[-1].window if self.versions else None

    def pending(self) -> bool:
        return self.open_kind is None and not self.versions


def compute_deadlines(watchlist: Watchlist, timelines: Mapping[str, StatusTimeline]) -> dict[str, Deadline]:
    """The deadline of every commitment, given every commitment's status timeline."""
    result: dict[str, Deadline] = {}
    # Fixed dues written alike (same period, zone and `overdue_at`) share their versions.
    fixed: dict[tuple[CalendarDue | AbsoluteDue, str, bool], tuple[DeadlineVersion, ...]] = {}
    for commitment in watchlist.commitments.values():
        zone = watchlist.zone_of(commitment)
        due = commitment.due
        if isinstance(due, OpenDue):
            result[commitment.id] = Deadline(commitment.id, zone, open_kind=due.kind)
            continue
        if isinstance(due, CalendarDue | AbsoluteDue):
            key = (due, zone, commitment.overdue_at_opens)
            shared = fixed.get(key)
            if shared is None:
                window = fixed_window(due, zone, commitment.overdue_at_opens)
                shared = fixed[key] = (DeadlineVersion(None, window, None),)
            result[commitment.id] = Deadline(commitment.id, zone, shared)
            continue
        steps = _steps(commitment.due, commitment, watchlist, timelines, zone)
        versions: list[DeadlineVersion] = []
        for known_from, window in steps:
            previous = versions[-1].window.due if versions else None
            versions.append(DeadlineVersion(known_from, window, previous))
        result[commitment.id] = Deadline(commitment.id, zone, tuple(versions))
    return result


def _steps(
    spec: DueSpec,
    commitment: Commitment,
    watchlist: Watchlist,
    timelines: Mapping[str, StatusTimeline],
    zone: str,
) -> list[_Step]:
    at_opens = commitment.overdue_at_opens
    if isinstance(spec, CalendarDue | AbsoluteDue):
        return [(None, fixed_window(spec, zone, at_opens))]
    if isinstance(spec, OpenDue):
        return []
    if isinstance(spec, RelativeDue):
        if spec.after == ANNOUNCED:
            announced = watchlist.announced_of(commitment)
            if announced is None:
                return []
            return [(None, relative_window(announced, spec.within, zone, at_opens))]
        timeline = timelines.get(spec.after)
        if timeline is None:
            return []
        day0 = timeline.first_fulfilled()
        noticed = timeline.first_fulfilled_noticed()
        if day0 is None or noticed is None:
            return []
        return [(noticed, relative_window(to_local(day0, zone), spec.within, zone, at_opens))]
    return _derived_steps(spec, commitment, watchlist, timelines, zone)


def _derived_steps(
    spec: DerivedDue,
    commitment: Commitment,
    watchlist: Watchlist,
    timelines: Mapping[str, StatusTimeline],
    zone: str,
) -> list[_Step]:
    members = [_steps(m, commitment, watchlist, timelines, zone) for m in spec.members]
    points = sorted(
        {known for steps in members for known, _ in steps},
        key=lambda p: (p is not None, p or datetime.min),
    )
    result: list[_Step] = []
    for point in points:
        windows: list[Window | None] = [_window_as_of(steps, point) for steps in members]
        known = [w for w in windows if w is not None]
        chosen: Window | None
        if spec.mode is DerivedMode.EARLIEST:
            chosen = min(known, key=lambda w: w.due) if known else None
        else:
            chosen = max(known, key=lambda w: w.due) if len(known) == len(windows) else None
        if chosen is not None and (not result or result[-1][1].due != chosen.due):
            result.append((point, chosen))
    return result


def _window_as_of(steps: list[_Step], point: datetime | None) -> Window | None:
    current = None
    for known, window in steps:
        if known is None or (point is not None and known <= point):
            current = window
    return current


def relative_window(day0_local: datetime, within: Duration, zone: str, at_opens: bool) -> Window:
    """The window ``within`` after day 0: the day ``day0 + within``, or an instant when ``within``
    has a sub-day part (day 0's instant plus ``within``; the window keeps that instant's local
    time with its fold, so an instant in a repeated hour stays that instant)."""
    if within.has_subday_part:
        instant = within.apply(day0_local, zone)
        local = to_local(instant, zone)
        return Window(Precision.INSTANT, zone, local, local, at_opens)
    midnight = day0_local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    day = within.shift_local(midnight)
    return Window(Precision.DAY, zone, day, day + timedelta(days=1), at_opens)
