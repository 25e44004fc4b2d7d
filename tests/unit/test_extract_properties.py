"""Properties of the phrase reader: any text is read or refused (never a crash), and dates the
reader prints are the dates it was given."""

from __future__ import annotations

import calendar
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from deadlinewatch.domain.dueforms import parse_due
from deadlinewatch.extract.model import Context, NotUnderstood, format_due
from deadlinewatch.extract.phrases import read_phrase, scan

WORDS = st.sampled_from(
    ["by", "within", "no later than", "the", "fifth", "day", "after", "withdrawal", "August", "2016", "six",
     "months", "(Damascus time)", "12:00", "on", "February", "26,", "immediately", "as soon as possible",
     "mid-", "end of", "year", "-", "thirty (30)", "days", "of", "signing", "D+", "quarter", "first", "half"]
)  # fmt: skip
ANNOUNCED = st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31))


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=10).map(" ".join), ANNOUNCED)
def test_any_phrase_is_read_or_refused_and_a_reading_is_a_valid_due(phrase: str, announced: date) -> None:
    try:
        reading = read_phrase(phrase, Context(announced, "Asia/Damascus"))
    except NotUnderstood:
        return
    text = format_due(reading.due)
    if text.startswith("{"):
        assert reading.precision.value == "relative"
    else:
        parse_due(text)  # the config accepts every scalar the reader prints


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), ANNOUNCED)
def test_scan_never_fails_on_arbitrary_text(text: str, announced: date) -> None:
    for item in scan(text, Context(announced)):
        assert 0 <= item.start <= item.end <= len(text)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31)), ANNOUNCED)
def test_a_written_date_is_read_as_that_day(day: date, announced: date) -> None:
    month = calendar.month_name[day.month]
    for phrase in (f"by {day.day} {month} {day.year}", f"no later than {month} {day.day}, {day.year}"):
        assert format_due(read_phrase(phrase, Context(announced)).due) == day.isoformat()
