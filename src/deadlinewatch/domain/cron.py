"""Five-field cron expressions (``minute hour day-of-month month day-of-week``) on a nominal wall clock.

Pure: no scheduler, no clock. Supports ``*``, lists (``1,15``), ranges (``1-5``), steps (``*/15``,
``0-30/10``, ``5/15``), day names ``SUN``..``SAT`` (``0`` and ``7`` are Sunday) and month names
``JAN``..``DEC``. When both day-of-month and day-of-week are restricted (neither starts with ``*``),
a day matches when *either* does, as in standard cron.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {name: i + 1 for i, name in enumerate(_MONTH_NAMES)}
_DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
# 28 years: the calendar (leap years and weekdays) repeats, so a spec that matches no day in
# this span never matches at all.
_SEARCH_DAYS = 366 * 28


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]


_FIELDS = (
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day-of-month", 1, 31, {}),
    _Field("month", 1, 12, _MONTHS),
    _Field("day-of-week", 0, 7, _DAYS),
)


@dataclass(frozen=True)
class CronSpec:
    """A parsed cron expression; ``text`` is the expression as written."""

    text: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]  # 0 = Sunday
    dom_restricted: bool
    dow_restricted: bool

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days_of_month
        dow = (day.isoweekday() % 7) in self.days_of_week
        if self.dom_restricted and self.dow_restricted:
            return dom or dow
        return dom and dow

    def next_after(self, local: datetime) -> datetime:
        """The first matching nominal local time strictly after ``local`` (naive, minute precision)."""
        start = local.replace(second=0, microsecond=0, tzinfo=None) + timedelta(minutes=1)
        day = start.date()
        earliest: time | None = start.time()
        for _ in range(_SEARCH_DAYS + 1):
            if self.matches_day(day):
                found = self._first_time(earliest)
                if found is not None:
                    return datetime.combine(day, found)
            if day == date.max:
                break
            day += timedelta(days=1)
            earliest = None
        raise ValueError(f"cron {self.text!r} never matches a date")

    def _first_time(self, earliest: time | None) -> time | None:
        for hour in self.hours:
            if earliest is not None and hour < earliest.hour:
                continue
            for minute in self.minutes:
                if earliest is not None and hour == earliest.hour and minute < earliest.minute:
                    continue
                return time(hour, minute)
        return None


def parse_cron(text: str) -> CronSpec:
    """Parse a five-field cron expression; raises ``ValueError`` with a message meant for the user."""
    if not isinstance(text, str):
        raise ValueError(f"a cron expression is a string such as '0 8 * * MON', got {type(text).__name__}")
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(
            f"{text[:60]!r} is not a cron expression: it needs 5 fields "
            "(minute hour day-of-month month day-of-week), e.g. '0 8 * * MON'"
        )
    values = [_parse_field(part, spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    days_of_week = frozenset(0 if d == 7 else d for d in values[4])
    spec = CronSpec(
        text=text.strip(),
        minutes=tuple(sorted(values[0])),
        hours=tuple(sorted(values[1])),
        days_of_month=frozenset(values[2]),
        months=frozenset(values[3]),
        days_of_week=days_of_week,
        dom_restricted=not parts[2].startswith("*"),
        dow_restricted=not parts[4].startswith("*"),
    )
    spec.next_after(datetime(2000, 1, 1))  # raises for e.g. "0 0 30 2 *"
    return spec


def _parse_field(part: str, field: _Field) -> set[int]:
    result: set[int] = set()
    for item in part.split(","):
        result |= _parse_item(item, field, part)
    return result


def _parse_item(item: str, field: _Field, part: str) -> set[int]:
    def bad(reason: str) -> ValueError:
        return ValueError(f"cron {field.name} field {part[:40]!r}: {reason}")

    body, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise bad(f"step {step_text[:20]!r} must be a positive number")
        step = int(step_text)
    if body == "*":
        low, high = field.low, field.high
    elif "-" in body:
        first, _, last = body.partition("-")
        low, high = _value(first, field, bad), _value(last, field, bad)
        if low > high:
            raise bad(f"range {body!r} runs backwards")
    else:
        low = _value(body, field, bad)
        high = field.high if slash else low
    return set(range(low, high + 1, step))


def _value(text: str, field: _Field, bad: Callable[[str], ValueError]) -> int:
    upper = text.upper()
    if upper in field.names:
        return field.names[upper]
    if not text.isdigit():
        names = f" or a name ({', '.join(field.names)})" if field.names else ""
        raise bad(f"{text[:20]!r} is not a number{names}")
    value = int(text)
    if not field.low <= value <= field.high:
        raise bad(f"{value} is outside {field.low}-{field.high}")
    return value
