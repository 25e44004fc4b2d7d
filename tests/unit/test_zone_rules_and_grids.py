"""SPEC §2, §3 and §5 invariants over random zones and dates (issue 13): zone rules only from the
pinned ``tzdata`` package; repeat k − repeat 0 = k × every on the wall clock of repeat 0; reviews
counted from ``announced``; an instant form comes back unchanged through every zone.

The expectations are computed here from first principles (zone rules read straight from the
``tzdata`` package, calendar steps written out), not with the helpers under test."""

from __future__ import annotations

import calendar
import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deadlinewatch.domain.deadlines import Deadline, DeadlineVersion, relative_window
from deadlinewatch.domain.localtime import to_instant, to_local, zone, zone_names
from deadlinewatch.domain.model import AbsoluteDue, EventKind, OpenKind, Policy, Precision
from deadlinewatch.domain.occurrences import CommitmentSchedule
from deadlinewatch.domain.windows import Window, fixed_window
from deadlinewatch.durations import Duration, parse_duration

SRC = Path(__file__).resolve().parents[2] / "src" / "deadlinewatch"
ZONES = sorted(zone_names())
zones = st.sampled_from(ZONES)
# Minute precision, as configs are written; 1970-2060 covers the zones whose rules changed.
wall_times = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2060, 12, 31)).map(
    lambda t: t.replace(second=0, microsecond=0)
)
instants = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))
FAST = settings(max_examples=150, deadline=None)


@cache
def pinned(name: str) -> zoneinfo.ZoneInfo:
    """The zone's rules read straight from the pinned ``tzdata`` package."""
    with resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as rules:
        return zoneinfo.ZoneInfo.from_file(rules, key=name)


def instant_of(local: datetime, name: str) -> datetime:
    return local.replace(tzinfo=pinned(name)).astimezone(UTC)


def local_of(instant: datetime, name: str) -> datetime:
    return instant.astimezone(pinned(name)).replace(tzinfo=None)


def wall_step(local: datetime, months: int, days: int) -> datetime:
    """``local`` moved by calendar months (clamped to month end) then days; a moved time is a
    fresh nominal time (fold=0); with nothing to move, ``local`` itself (its fold kept)."""
    if not months and not days:
        return local
    year, month0 = divmod(local.year * 12 + local.month - 1 + months, 12)
    day = min(local.day, calendar.monthrange(year, month0 + 1)[1])
    return datetime(year, month0 + 1, day, local.hour, local.minute, local.second) + timedelta(days=days)


def plus(local: datetime, name: str, duration: Duration, n: int = 1) -> datetime:
    """The instant ``local + n × duration``: calendar part on the wall clock, then elapsed time."""
    moved = wall_step(local, duration.months * n, duration.days * n)
    return instant_of(moved, name) + timedelta(seconds=duration.seconds * n)


# --- pinned tzdata only ------------------------------------------------------------------------


def test_casablanca_uses_the_pinned_rules_not_the_hosts() -> None:
    # Issue 13, example 1: under the pinned tzdata Morocco is on UTC+0 in January 2027 (the host's
    # older rules say UTC+1, which moved the product's reminder to 23:00Z the day before).
    assert to_instant(datetime(2027, 1, 15), "Africa/Casablanca") == datetime(2027, 1, 15, tzinfo=UTC)
    assert to_instant(datetime(2027, 1, 16), "Africa/Casablanca") == datetime(2027, 1, 16, tzinfo=UTC)


def test_zone_rules_ignore_the_zoneinfo_search_path(tmp_path: Path) -> None:
    # A search path whose Europe/London holds Tokyo's rules: a zone built from the host's files
    # (the default ZoneInfo search path) would say +09:00 in January.
    fake = tmp_path / "Europe"
    fake.mkdir()
    (fake / "London").write_bytes(resources.files("tzdata.zoneinfo").joinpath("Asia", "Tokyo").read_bytes())
    zone.cache_clear()
    zoneinfo.reset_tzpath(to=[str(tmp_path)])
    zoneinfo.ZoneInfo.clear_cache()
    try:
        assert to_instant(datetime(2016, 1, 15, 12), "Europe/London") == datetime(2016, 1, 15, 12, tzinfo=UTC)
    finally:
        zoneinfo.reset_tzpath()
        zoneinfo.ZoneInfo.clear_cache()
        zone.cache_clear()


def test_unknown_zone_names_are_rejected() -> None:
    for name in ("Mars/Olympus", "../../etc/passwd", "europe/london", ""):
        with pytest.raises(ValueError, match="unknown time zone"):
            zone(name)


def test_every_zone_is_built_in_one_place() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted(SRC.rglob("*.py"))
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\bZoneInfo\b|\bzoneinfo\b|\bgettz\b|\bpytz\b", text)
        and path.relative_to(SRC) != Path("domain/localtime.py")
    ]
    assert offenders == []


@FAST
@given(zones, instants)
def test_zone_offsets_are_the_pinned_ones(name: str, instant: datetime) -> None:
    assert instant.astimezone(zone(name)).utcoffset() == instant.astimezone(pinned(name)).utcoffset()


# --- instant forms ------------------------------------------------------------------------------


@FAST
@given(zones, instants, st.integers(min_value=1, max_value=500))
def test_an_instant_form_round_trips_through_every_zone(name: str, instant: datetime, hours: int) -> None:
    window = fixed_window(AbsoluteDue(instant), name)
    assert window.due == window.opens == window.closes == instant
    assert to_instant(to_local(instant, name), name) == instant
    # Hours before it are elapsed time; a day before it is the same wall-clock time a day earlier.
    assert parse_duration(f"{hours}h").apply(window.due_local, name, -1) == instant - timedelta(hours=hours)
    assert parse_duration("1d").apply(window.due_local, name, -1) == instant_of(
        wall_step(local_of(instant, name), 0, -1), name
    )
    # A sub-day `within` anchored on that instant is that instant plus the elapsed time.
    within = parse_duration(f"{hours}h")
    relative = relative_window(to_local(instant, name), within, name, False)
    assert relative.precision is Precision.INSTANT
    assert relative.due == instant + timedelta(hours=hours)


# --- overdue repeats and escalation -------------------------------------------------------------

graces = st.sampled_from(["0d", "6h", "90m", "1d", "P1DT6H", "2w", "1mo", "PT23H"])
everies = st.sampled_from(["7d", "1d", "2w", "1mo", "3mo", "1y", "12h", "P1M3D", "P1DT12H"])
escalations = st.sampled_from(["7d", "14d", "30h", "1mo", "P2DT3H"])


@FAST
@given(zones, wall_times, graces, everies, escalations, st.integers(min_value=0, max_value=25))
def test_repeat_k_is_k_times_every_after_repeat_0_on_its_wall_clock(
    name: str, due_local: datetime, grace_text: str, every_text: str, escalate_text: str, k: int
) -> None:
    grace, every, escalate = (
        parse_duration(grace_text),
        parse_duration(every_text),
        parse_duration(escalate_text),
    )
    policy = Policy((), grace, every, escalate, None)
    window = Window(Precision.INSTANT, name, due_local, due_local)
    schedule = CommitmentSchedule(
        Deadline("c", name, (DeadlineVersion(None, window, None),)), policy, None, None
    )

    # Repeat 0 is due + grace; its wall clock is the nominal time when grace is whole days (kept
    # even where it does not exist), else the local time of that instant.
    grace_wall = wall_step(due_local, grace.months, grace.days)
    if grace.seconds:
        grace_wall = local_of(instant_of(grace_wall, name) + timedelta(seconds=grace.seconds), name)
    repeat0 = instant_of(grace_wall, name)
    expected_k = plus(grace_wall, name, every, k)
    escalation = plus(grace_wall, name, escalate)

    start = repeat0 - timedelta(seconds=1)
    end = max(expected_k, escalation)
    got = list(schedule.between(start, end))
    overdue = {o.data.repeat: o.instant for o in got if o.kind is EventKind.OVERDUE}
    assert overdue[0] == repeat0
    assert overdue[k] == expected_k
    assert sorted(overdue) == list(range(len(overdue)))
    assert [o.instant for o in got if o.kind is EventKind.ESCALATION] == [escalation]


# --- reviews ------------------------------------------------------------------------------------


@FAST
@given(
    zones,
    wall_times,
    st.sampled_from(["1mo", "2mo", "14d", "7d", "1y", "P1M3D", "P1MT12H", "36h"]),
    st.sampled_from([OpenKind.ASAP, OpenKind.IMMEDIATE, OpenKind.OPEN]),
)
def test_review_n_is_announced_plus_n_times_review_every(
    name: str, announced_local: datetime, every_text: str, kind: OpenKind
) -> None:
    every = parse_duration(every_text)
    policy = Policy((), parse_duration("0d"), None, None, every)
    announced = to_instant(announced_local, name)
    schedule = CommitmentSchedule(Deadline("c", name, open_kind=kind), policy, announced, announced_local)
    reviews = [
        o for o in schedule.between(announced - timedelta(seconds=1), plus(announced_local, name, every, 14))
    ]
    assert [o.data.n for o in reviews] == list(range(1, 15))
    for review in reviews:
        n = review.data.n
        assert isinstance(n, int)
        assert review.instant == plus(announced_local, name, every, n), n


def test_month_end_reviews_are_counted_from_announced() -> None:
    # Issue 13, example 3: announced 31 Jan 2016, review_every 1mo: 29 Feb, then 31 Mar, 30 Apr, ...
    every = parse_duration("1mo")
    schedule = CommitmentSchedule(
        Deadline("c", "UTC", open_kind=OpenKind.ASAP),
        Policy((), parse_duration("0d"), None, None, every),
        datetime(2016, 1, 31, tzinfo=UTC),
        datetime(2016, 1, 31),
    )
    got = [
        o.instant.date().isoformat()
        for o in schedule.between(datetime(2016, 1, 31, tzinfo=UTC), datetime(2016, 7, 1, tzinfo=UTC))
    ]
    assert got == ["2016-02-29", "2016-03-31", "2016-04-30", "2016-05-31", "2016-06-30"]
