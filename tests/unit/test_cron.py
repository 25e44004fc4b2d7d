"""Five-field cron expressions on a nominal wall clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deadlinewatch.domain.cron import CronSpec, parse_cron


def test_weekly_monday_by_name() -> None:
    spec = parse_cron("0 8 * * MON")
    assert spec.next_after(datetime(2016, 3, 24, 12, 0)) == datetime(2016, 3, 28, 8, 0)  # Thu -> Mon
    assert spec.next_after(datetime(2016, 3, 28, 8, 0)) == datetime(2016, 4, 4, 8, 0)  # strictly after


def test_next_after_is_strictly_after_and_drops_seconds() -> None:
    spec = parse_cron("* * * * *")
    assert spec.next_after(datetime(2016, 1, 1, 0, 0, 30)) == datetime(2016, 1, 1, 0, 1)


def test_lists_ranges_and_steps() -> None:
    spec = parse_cron("*/15 9-17/4 1,15 * *")
    assert spec.minutes == (0, 15, 30, 45)
    assert spec.hours == (9, 13, 17)
    assert spec.next_after(datetime(2016, 1, 1, 17, 50)) == datetime(2016, 1, 15, 9, 0)


def test_month_names_and_sunday_as_seven() -> None:
    spec = parse_cron("30 6 * jan-mar 7")
    assert spec.next_after(datetime(2016, 3, 28)) == datetime(2017, 1, 1, 6, 30)  # 1 Jan 2017 is a Sunday
    assert parse_cron("0 0 * * 0").days_of_week == parse_cron("0 0 * * SUN").days_of_week


def test_day_of_month_or_day_of_week_when_both_restricted() -> None:
    spec = parse_cron("0 0 13 * FRI")  # the 13th OR any Friday
    after = datetime(2016, 5, 1)
    hits = []
    for _ in range(4):
        after = spec.next_after(after)
        hits.append(after.date().isoformat())
    assert hits == ["2016-05-06", "2016-05-13", "2016-05-20", "2016-05-27"]
    assert spec.next_after(datetime(2016, 6, 1)) == datetime(2016, 6, 3)


def test_day_of_month_and_star_day_of_week() -> None:
    spec = parse_cron("0 0 13 * *")
    assert spec.next_after(datetime(2016, 5, 1)) == datetime(2016, 5, 13)
    spec = parse_cron("0 0 */31 * FRI")  # a starred field with a step keeps AND semantics
    assert spec.next_after(datetime(2016, 5, 1)) == datetime(2016, 7, 1)  # the 1st AND a Friday


def test_leap_day() -> None:
    assert parse_cron("0 12 29 2 *").next_after(datetime(2016, 3, 1)) == datetime(2020, 2, 29, 12, 0)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("0 8 * *", "5 fields"),
        ("60 * * * *", "minute field"),
        ("* 24 * * *", "hour field"),
        ("* * 0 * *", "day-of-month field"),
        ("* * * 13 *", "month field"),
        ("* * * * FUNDAY", "day-of-week field"),
        ("*/0 * * * *", "step"),
        ("* 5-1 * * *", "runs backwards"),
        ("0 0 30 2 *", "never matches"),
    ],
)
def test_invalid_expressions(text: str, phrase: str) -> None:
    with pytest.raises(ValueError, match=phrase):
        parse_cron(text)


def matches(spec: CronSpec, moment: datetime) -> bool:
    return moment.minute in spec.minutes and moment.hour in spec.hours and spec.matches_day(moment.date())


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(["0 8 * * MON", "*/7 * * * *", "15 3 1 * *", "0 0 13 * FRI", "5 4 * FEB,AUG 2-4"]),
)
def test_next_after_is_the_first_match(start: datetime, text: str) -> None:
    spec = parse_cron(text)
    found = spec.next_after(start)
    assert found > start
    assert matches(spec, found)
    # nothing matches in between (checked minute by minute over the last day before it)
    probe = max(start.replace(second=0, microsecond=0), found - timedelta(days=1)) + timedelta(minutes=1)
    while probe < found:
        assert not matches(spec, probe)
        probe += timedelta(minutes=1)
