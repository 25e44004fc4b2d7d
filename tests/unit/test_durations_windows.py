"""Property tests: durations, calendar arithmetic across DST, due-form windows, occurrence grids."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deadlinewatch.domain.dueforms import parse_due
from deadlinewatch.domain.localtime import to_instant, to_local
from deadlinewatch.domain.model import CalendarDue, Precision
from deadlinewatch.domain.occurrences import Grid
from deadlinewatch.domain.windows import fixed_window
from deadlinewatch.durations import add_months, parse_duration

ZONES = ["Europe/Kyiv", "America/Santiago", "Asia/Damascus", "Europe/London", "Australia/Lord_Howe", "UTC"]
locals_ = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31))
zones = st.sampled_from(ZONES)


@given(locals_, st.integers(min_value=-240, max_value=240))
def test_add_months_clamps_to_month_end(local: datetime, months: int) -> None:
    shifted = add_months(local, months)
    assert (shifted.year * 12 + shifted.month) - (local.year * 12 + local.month) == months
    last = calendar.monthrange(shifted.year, shifted.month)[1]
    assert shifted.day == min(local.day, last)
    assert shifted.time() == local.time()


def test_month_end_examples() -> None:
    assert add_months(datetime(2016, 1, 31), 1) == datetime(2016, 2, 29)
    assert add_months(datetime(2015, 1, 31), 1) == datetime(2015, 2, 28)
    assert parse_duration("1y").shift_local(datetime(2016, 2, 29)) == datetime(2017, 2, 28)


@given(locals_, st.integers(min_value=1, max_value=400), zones)
def test_days_are_calendar_days_on_the_wall_clock(local: datetime, days: int, zone: str) -> None:
    duration = parse_duration(f"{days}d")
    before = duration.apply(local, zone, -1)
    expected_local = local - timedelta(days=days)
    # The instant is the nominal wall-clock time turned into an instant (fold=0), across any DST change.
    assert before == to_instant(expected_local, zone)


@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    st.integers(min_value=1, max_value=10_000),
    zones,
)
def test_hours_are_elapsed_time(instant: datetime, hours: int, zone: str) -> None:
    local = to_local(instant, zone)
    moved = parse_duration(f"{hours}h").apply(local, zone, -1)
    assert moved == to_instant(local, zone) - timedelta(hours=hours)


@pytest.mark.parametrize(
    ("short", "iso"),
    [
        ("14d", "P14D"),
        ("2w", "P2W"),
        ("18mo", "P18M"),
        ("1y", "P1Y"),
        ("12h", "PT12H"),
        ("90m", "PT90M"),
        ("45s", "PT45S"),
    ],
)
def test_short_and_iso_forms_agree(short: str, iso: str) -> None:
    a, b = parse_duration(short), parse_duration(iso)
    assert (a.months, a.days, a.seconds) == (b.months, b.days, b.seconds)


def test_mixed_iso_duration_applies_months_then_days_then_time() -> None:
    duration = parse_duration("P1Y2M3DT4H")
    assert (duration.months, duration.days, duration.seconds) == (14, 3, 4 * 3600)
    start = datetime(2016, 1, 31, 0, 0)
    # +14 months = 2017-03-31, +3 days = 2017-04-03, then +4 h elapsed.
    assert duration.apply(start, "UTC") == datetime(2017, 4, 3, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "14", "d", "1.5d", "-3d", "P", "PT", "P1H", "14 days", "9999999y"])
def test_bad_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


due_texts = st.one_of(
    st.builds(
        lambda y, m, d: f"{y}-{m:02d}-{d:02d}",
        st.integers(1990, 2035),
        st.integers(1, 12),
        st.integers(1, 28),
    ),
    st.builds(lambda y, w: f"{y}-W{w:02d}", st.integers(1990, 2035), st.integers(1, 52)),
    st.builds(
        lambda p, y, m: f"{p} {y}-{m:02d}",
        st.sampled_from(["early", "mid", "late"]),
        st.integers(1990, 2035),
        st.integers(1, 12),
    ),
    st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(1990, 2035), st.integers(1, 12)),
    st.builds(lambda y, q: f"{y}-Q{q}", st.integers(1990, 2035), st.integers(1, 4)),
    st.builds(str, st.integers(1990, 2035)),
)


@given(due_texts, zones, st.booleans())
def test_windows_are_well_formed(text: str, zone: str, at_opens: bool) -> None:
    spec = parse_due(text)
    assert isinstance(spec, CalendarDue)
    window = fixed_window(spec, zone, at_opens)
    assert window.opens_local < window.closes_local
    assert window.opens <= window.closes
    assert window.opens_local.time() == window.closes_local.time() == datetime.min.time()
    assert window.due == (window.opens if at_opens else window.closes)
    span = (window.closes_local - window.opens_local).days
    expected = {
        Precision.DAY: (1, 1),
        Precision.WEEK: (7, 7),
        Precision.PART_OF_MONTH: (8, 11),
        Precision.MONTH: (28, 31),
        Precision.QUARTER: (90, 92),
        Precision.YEAR: (365, 366),
    }[window.precision]
    assert expected[0] <= span <= expected[1]
    if window.precision is Precision.WEEK:
        assert window.opens_local.weekday() == 0


def test_part_of_month_bounds() -> None:
    late = parse_due("late 2016-02")
    assert isinstance(late, CalendarDue)
    assert (late.opens_local, late.closes_local) == (datetime(2016, 2, 21), datetime(2016, 3, 1))
    mid = parse_due("mid 2016-01")
    assert isinstance(mid, CalendarDue)
    assert (mid.opens_local, mid.closes_local) == (datetime(2016, 1, 11), datetime(2016, 1, 21))


def test_a_due_at_a_local_time_that_does_not_exist() -> None:
    # 1996-03-31 02:30 did not exist in Berlin (clocks 02:00 -> 03:00); fold=0 gives 01:30Z.
    window = fixed_window(parse_due("1996-03-31T02:30"), "Europe/Berlin")  # type: ignore[arg-type]
    assert window.due == datetime(1996, 3, 31, 1, 30, tzinfo=UTC)


@settings(max_examples=200)
@given(locals_, zones, st.sampled_from(["7d", "2w", "1mo", "3mo", "1y", "12h", "P1M3D"]), st.integers(0, 300))
def test_grid_is_monotonic_and_searchable(base: datetime, zone: str, every_text: str, k: int) -> None:
    grid = Grid(base, zone, parse_duration(every_text))
    try:
        at_k, at_next = grid.at(k), grid.at(k + 1)
    except OverflowError:
        return
    assert at_k < at_next
    assert grid.last_at_or_before(at_k) == k
    assert grid.last_at_or_before(at_next - timedelta(microseconds=1)) == k
    # Each occurrence is computed from the base, never from the previous one.
    every = parse_duration(every_text)
    assert at_k == every.times(k).apply(base, zone)
