"""Deadlines in words (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deadlinewatch.domain.model import OpenKind, Precision
from deadlinewatch.domain.windows import Window
from deadlinewatch.domain.wording import (
    describe_deadline,
    describe_pending,
    duration_words,
    relative_to_now,
    zone_words,
)
from deadlinewatch.durations import parse_duration

D = datetime


@pytest.mark.parametrize(
    ("window", "words"),
    [
        (
            Window(Precision.MONTH, "Asia/Damascus", D(2016, 8, 1), D(2016, 9, 1)),
            "by end of August 2016, Damascus time",
        ),
        (
            Window(Precision.INSTANT, "Asia/Damascus", D(2016, 2, 26, 12), D(2016, 2, 26, 12)),
            "by 26 February 2016 12:00, Damascus time",
        ),
        (Window(Precision.DAY, "UTC", D(2016, 8, 31), D(2016, 9, 1)), "by end of 31 August 2016, UTC"),
        (
            Window(Precision.WEEK, "UTC", D(2016, 2, 15), D(2016, 2, 22)),
            "by end of 2016-W07 (week of 15 February 2016), UTC",
        ),
        (
            Window(Precision.PART_OF_MONTH, "UTC", D(2016, 1, 1), D(2016, 1, 11)),
            "by end of early January 2016 (1–10 January), UTC",
        ),
        (
            Window(Precision.PART_OF_MONTH, "UTC", D(2016, 2, 21), D(2016, 3, 1)),
            "by end of late February 2016 (21–29 February), UTC",
        ),
        (Window(Precision.QUARTER, "UTC", D(2016, 7, 1), D(2016, 10, 1)), "by end of Q3 2016, UTC"),
        (
            Window(Precision.YEAR, "Europe/London", D(2016, 1, 1), D(2017, 1, 1)),
            "by end of 2016, London time",
        ),
        (
            Window(Precision.MONTH, "Asia/Damascus", D(2016, 8, 1), D(2016, 9, 1), overdue_at_opens=True),
            "by 1 August 2016 00:00, start of August 2016, Damascus time",
        ),
    ],
)
def test_windows_in_words(window: Window, words: str) -> None:
    assert describe_deadline(window) == words


def test_without_zone_and_open_forms_and_pending() -> None:
    window = Window(Precision.YEAR, "UTC", D(2016, 1, 1), D(2017, 1, 1))
    assert describe_deadline(window, with_zone=False) == "by end of 2016"
    assert describe_deadline(None, open_kind=OpenKind.ASAP) == "as soon as possible"
    assert describe_deadline(None, open_kind=OpenKind.IMMEDIATE) == "immediately"
    assert describe_deadline(None, open_kind=OpenKind.OPEN) == "open-ended"
    pending = describe_pending(parse_duration("18mo"), "Draft constitution")
    assert pending == "pending: 18 months after Draft constitution is fulfilled"
    assert describe_deadline(None, pending=pending) == pending
    assert describe_deadline(None) == "no deadline known"


@pytest.mark.parametrize(
    ("zone", "words"),
    [
        ("Asia/Damascus", "Damascus time"),
        ("UTC", "UTC"),
        ("Etc/UTC", "UTC"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires time"),
        ("Etc/GMT+3", "Etc/GMT+3"),
    ],
)
def test_zone_words(zone: str, words: str) -> None:
    assert zone_words(zone) == words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("18mo", "18 months"),
        ("P1Y", "1 year"),
        ("2w", "2 weeks"),
        ("1d", "1 day"),
        ("90m", "1 hour 30 minutes"),
        ("0d", "0 days"),
        ("P1Y2M3DT4H", "14 months 3 days 4 hours"),
    ],
)
def test_duration_words(text: str, words: str) -> None:
    assert duration_words(parse_duration(text)) == words


DUE = D(2016, 9, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "grace", "words"),
    [
        (DUE - timedelta(days=12, hours=5), timedelta(0), "closes in 12 days"),
        (DUE - timedelta(hours=3, minutes=10), timedelta(0), "closes in 3 hours"),
        (DUE - timedelta(days=1), timedelta(0), "closes in 1 day"),
        (DUE - timedelta(minutes=20), timedelta(0), "closes in 20 minutes"),
        (DUE - timedelta(seconds=5), timedelta(0), "closes in less than a minute"),
        (DUE + timedelta(days=3, hours=2), timedelta(0), "3 days overdue"),
        (DUE + timedelta(hours=5), timedelta(0), "overdue 5 hours"),
        (DUE, timedelta(0), "overdue since less than a minute"),
        (DUE + timedelta(hours=5), timedelta(days=1), "closed 5 hours ago, in grace period"),
    ],
)
def test_relative_to_now(now: datetime, grace: timedelta, words: str) -> None:
    assert relative_to_now(DUE, now, DUE + grace) == words


instants = st.datetimes(min_value=D(2000, 1, 1), max_value=D(2100, 1, 1), timezones=st.just(UTC))


@given(due=instants, now=instants, grace=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)))
def test_relative_words_agree_with_the_clock(due: datetime, now: datetime, grace: timedelta) -> None:
    words = relative_to_now(due, now, due + grace)
    if now < due:
        assert words.startswith("closes in ")
    elif now < due + grace:
        assert words.endswith("in grace period")
    else:
        assert "overdue" in words
    if (abs(now - due)) >= timedelta(days=1):
        assert f"{abs(now - due) // timedelta(days=1)} day" in words


months = st.integers(min_value=2000, max_value=2100).flatmap(
    lambda year: st.integers(min_value=1, max_value=12).map(lambda month: D(year, month, 1))
)


@given(opens=months, zone=st.sampled_from(["UTC", "Asia/Damascus", "America/New_York"]))
def test_every_month_window_names_its_month_and_zone(opens: datetime, zone: str) -> None:
    closes = D(opens.year + opens.month // 12, opens.month % 12 + 1, 1)
    words = describe_deadline(Window(Precision.MONTH, zone, opens, closes))
    assert words.startswith("by end of ") and str(opens.year) in words
    assert words.endswith(zone_words(zone))
