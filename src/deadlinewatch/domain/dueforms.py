"""Parse the ``due:`` forms of SPEC §3 into :mod:`deadlinewatch.domain.model` due specs.

Pure: no zone is needed to parse; windows are placed in a zone by :mod:`domain.windows`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from deadlinewatch.domain.model import (
    AbsoluteDue,
    CalendarDue,
    DerivedDue,
    DerivedMode,
    DueSpec,
    OpenDue,
    OpenKind,
    Precision,
    RelativeDue,
)
from deadlinewatch.durations import parse_duration

_INSTANT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_PART = re.compile(r"^(early|mid|late) (\d{4})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")

DUE_FORMS_HELP = (
    "use 2016-08-31, 2016-08-31T12:00 (optionally with Z or +02:00), 2016-W07, early/mid/late "
    "2016-01, 2016-08, 2016-Q3, 2016, asap, immediate, open, {after: ID, within: 18mo}, "
    "{earliest_of: [...]} or {latest_of: [...]}"
)


def parse_due(value: object) -> DueSpec:
    """Parse one ``due`` value; raises ``ValueError`` with a message meant for the user."""
    if isinstance(value, Mapping):
        return _parse_mapping(value)
    if isinstance(value, bool):
        raise ValueError(f"a due date is expected, got {value!r}; {DUE_FORMS_HELP}")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return AbsoluteDue(value)
        return CalendarDue(Precision.INSTANT, value, value)
    if isinstance(value, date):
        start = datetime(value.year, value.month, value.day)
        return CalendarDue(Precision.DAY, start, start + timedelta(days=1))
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"a due date is expected, got {type(value).__name__}; {DUE_FORMS_HELP}")
    return parse_due_text(value.strip())


def parse_due_text(text: str) -> DueSpec:
    lowered = text.lower()
    for kind in OpenKind:
        if lowered == kind.value:
            return OpenDue(kind)
    try:
        return _parse_calendar(text)
    except ValueError as exc:
        if "is not a" in str(exc) or "does not exist" in str(exc) or "range" in str(exc):
            raise
        raise ValueError(f"{text[:60]!r} is not a due date: {exc}") from None


_DAY_PREFIX = re.compile(r"\d{4}-\d\d-\d\d")


def parse_local_datetime(text: str) -> datetime:
    """``2016-08-31`` (00:00) or ``2016-08-31T10:00[Z|+02:00]``: naive (local) or aware. Any other
    form is refused without listing the due forms (``asap`` is a due, not a time)."""
    try:
        spec: DueSpec | None = _parse_calendar(text.strip())
    except ValueError:
        if _DAY_PREFIX.match(text.strip()):
            raise  # a date with a wrong part (2016-02-30): the message says which
        spec = None
    if isinstance(spec, AbsoluteDue):
        return spec.instant
    if isinstance(spec, CalendarDue) and spec.precision in (Precision.DAY, Precision.INSTANT):
        return spec.opens_local
    raise ValueError(f"{text[:60]!r} is not a date or a date and time (2016-08-31, 2016-08-31T10:00)")


def _parse_calendar(text: str) -> DueSpec:
    if m := _INSTANT.match(text):
        y, mo, d, h, mi = (int(g) for g in m.groups()[:5])
        s = int(m.group(6) or 0)
        local = _datetime(text, y, mo, d, h, mi, s)
        offset = m.group(7)
        if offset:
            iso = local.isoformat() + ("+00:00" if offset == "Z" else _colon(offset))
            return AbsoluteDue(datetime.fromisoformat(iso))
        return CalendarDue(Precision.INSTANT, local, local)
    if m := _DAY.match(text):
        start = _datetime(text, *(int(g) for g in m.groups()))
        return CalendarDue(Precision.DAY, start, start + timedelta(days=1))
    if m := _WEEK.match(text):
        year, week = int(m.group(1)), int(m.group(2))
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{text!r} is not a week: {year} has no ISO week {week}") from None
        start = datetime(monday.year, monday.month, monday.day)
        return CalendarDue(Precision.WEEK, start, start + timedelta(days=7))
    if m := _PART.match(text):
        part, year, month = m.group(1), int(m.group(2)), _month(text, m.group(3))
        last = calendar.monthrange(year, month)[1]
        first_day, end_day = {"early": (1, 11), "mid": (11, 21), "late": (21, last + 1)}[part]
        start = datetime(year, month, first_day)
        return CalendarDue(Precision.PART_OF_MONTH, start, start + timedelta(days=end_day - first_day))
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), _month(text, m.group(2))
        start = datetime(year, month, 1)
        return CalendarDue(Precision.MONTH, start, _first_of_month(year, month + 1))
    if m := _QUARTER.match(text):
        year, quarter = int(m.group(1)), int(m.group(2))
        return CalendarDue(
            Precision.QUARTER,
            datetime(year, 3 * quarter - 2, 1),
            _first_of_month(year, 3 * quarter + 1),
        )
    if m := _YEAR.match(text):
        year = int(m.group(1))
        if not 1 <= year <= 9998:
            raise ValueError(f"year {year} is out of range")
        return CalendarDue(Precision.YEAR, datetime(year, 1, 1), datetime(year + 1, 1, 1))
    raise ValueError(f"{text[:60]!r} is not a due date; {DUE_FORMS_HELP}")


def _parse_mapping(value: Mapping[object, object]) -> DueSpec:
    keys = set(value)
    if keys == {"after", "within"}:
        after = value["after"]
        if not isinstance(after, str) or not after.strip():
            raise ValueError("'after' must be a commitment id or 'announced'")
        return RelativeDue(after.strip(), parse_duration(value["within"]))
    for mode in DerivedMode:
        if keys == {mode.value}:
            members = value[mode.value]
            if not isinstance(members, list) or not members:
                raise ValueError(f"'{mode.value}' must be a non-empty list of due forms")
            return DerivedDue(mode, tuple(parse_due(member) for member in members))
    raise ValueError(
        "a due mapping is {after: ID, within: DURATION}, {earliest_of: [...]} or "
        f"{{latest_of: [...]}}; got keys {sorted(str(k) for k in keys)}"
    )


def _datetime(text: str, *parts: int) -> datetime:
    try:
        return datetime(*parts)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(f"{text!r} does not exist on the calendar ({exc})") from None


def _month(text: str, digits: str) -> int:
    month = int(digits)
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r} is not a month: {month} is out of range 1-12")
    return month


def _first_of_month(year: int, month: int) -> datetime:
    extra, month0 = divmod(month - 1, 12)
    return datetime(year + extra, month0 + 1, 1)


def _colon(offset: str) -> str:
    return offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"
