"""Absolute time expressions: dates, times of day with their zone, months, parts of months,
quarters, halves and years, with or without a year ("by August" is the next August on or after
the announcement). Each rule is a pattern and a handler returning an :data:`Outcome`."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from deadlinewatch.extract.model import Context, Declined, FixedDue, Outcome, Precision, Understood
from deadlinewatch.extract.zones import TIME, ZONE, Zone, minutes_of_day, zone_named

Handler = Callable[[re.Match[str], Context], Outcome]

LEAD = (
    r"(?P<lead>(?:no|not)\s+later\s+than|on\s+or\s+before|at\s+the\s+(?:very\s+)?latest\s+(?:by|on)"
    r"|by|until|till|through|before|prior\s+to|(?:in|during|over)\s+the\s+course\s+of|in|during|on|at|as\s+of"
    r"|(?:with\s+effect|as)\s+from|from|starting(?:\s+(?:on|at|from))?"
    r"|beginning(?:\s+(?:on|at))?|commencing(?:\s+(?:on|at))?|effective(?:\s+(?:on|from|as\s+of))?"
    r"|(?:with\s+)?(?:the|a)\s+target\s+date\s+of|(?:the|a)\s+deadline\s+of|within|for)"
)
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)"
YEAR = r"(?:19|20)\d\d"


_MONTH_FORMS = (
    r"(?:(?:january|february|march|april|may|june|july|august|september|october|november|december)\b"
    r"|(?:jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)(?:\.|\b))"
)


def mon(group: str) -> str:
    return rf"\b(?P<{group}>{_MONTH_FORMS})"


def day(group: str) -> str:
    return rf"(?P<{group}>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\b"


DATE_BODY = (
    rf"(?:{day('d1')}(?:\s+of)?\s+{mon('m1')}(?:,?\s+(?P<y1>{YEAR})\b)?"
    rf"|{mon('m2')}\s+(?:the\s+)?{day('d2')}(?:,?\s+(?P<y2>{YEAR})\b)?)"
)


def month_number(text: str) -> int:
    return _MONTHS[text.lower()[:3]]


def is_modal_word(text: str) -> bool:
    """ "may"/"march" in lower case are a verb, not a month, unless a day or a year stands beside."""
    return text in ("may", "march")


def next_month_year(ctx: Context, month: int) -> int:
    """The year of the next such month on or after the announcement's month."""
    return ctx.announced.year + (1 if month < ctx.announced.month else 0)


def next_day(ctx: Context, month: int, dom: int) -> date | None:
    for year in range(ctx.announced.year, ctx.announced.year + 9):
        try:
            candidate = date(year, month, dom)
        except ValueError:
            continue
        if candidate >= ctx.announced:
            return candidate
    return None


def lead_is_before(m: re.Match[str]) -> bool:
    try:
        lead = m.group("lead")
    except IndexError:
        return False
    return lead is not None and lead.lower().split()[0] in ("before", "prior")


def day_due(value: date, why: str) -> Understood:
    return Understood(FixedDue(value.isoformat()), Precision.DAY, why)


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year_note(given: str | None, year: int) -> str:
    return "" if given else f" (no year given: the next one on or after the announcement, {year})"


def date_from_body(m: re.Match[str], ctx: Context) -> tuple[date, str] | str | None:
    """The date a :data:`DATE_BODY` match names, with a note on the year; a message when the date
    does not exist; ``None`` when the match is not a date after all."""
    month_text = (m.group("m1") or m.group("m2")).rstrip(".")
    dom = int(m.group("d1") or m.group("d2"))
    year_text = m.group("y1") or m.group("y2")
    month = month_number(month_text)
    if year_text:
        try:
            return date(int(year_text), month, dom), ""
        except ValueError:
            return f"{m.group(0).strip()!r} is not a date that exists"
    found = next_day(ctx, month, dom)
    if found is None:
        return f"{m.group(0).strip()!r} is not a date that exists"
    return found, _year_note(None, found.year)


def _date(m: re.Match[str], ctx: Context) -> Outcome:
    body = date_from_body(m, ctx)
    if body is None or isinstance(body, str):
        return None if body is None else Declined(body)
    value, note = body
    if lead_is_before(m):
        return day_due(
            value - timedelta(days=1), f"strictly before {value.isoformat()}: the day before{note}"
        )
    return day_due(value, f"the day {value.isoformat()}{note}")


def _instant(m: re.Match[str], ctx: Context) -> Outcome:
    body = date_from_body(m, ctx)
    if body is None or isinstance(body, str):
        return None if body is None else Declined(body)
    value, note = body
    minutes = minutes_of_day(m)
    if isinstance(minutes, str):
        return Declined(minutes)
    local = datetime(value.year, value.month, value.day) + timedelta(minutes=minutes)
    zone_text = m.group("zone")
    zone: Zone | str | None = zone_named(zone_text) if zone_text else None
    if isinstance(zone, str):
        return Declined(zone)
    if zone is None:
        where = "in the default time zone" if ctx.zone is None else f"in {ctx.zone} (--timezone)"
        text = local.strftime("%Y-%m-%dT%H:%M")
        return Understood(FixedDue(text), Precision.INSTANT, f"the instant {text} {where}{note}")
    stamped = zone.stamp(local)
    return Understood(
        FixedDue(stamped),
        Precision.INSTANT,
        f"the instant {local:%Y-%m-%d %H:%M} in {zone.name} (named in the text, overrides the "
        f"default zone) = {stamped}{note}",
    )


def _iso(m: re.Match[str], ctx: Context) -> Outcome:
    try:
        value = date(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
    except ValueError:
        return Declined(f"{m.group(0).strip()!r} is not a date that exists")
    if m.group("ih"):
        text = f"{value.isoformat()}T{m.group('ih')}:{m.group('imin')}{m.group('ioff') or ''}"
        return Understood(FixedDue(text), Precision.INSTANT, f"the instant {text}")
    if lead_is_before(m):
        return day_due(value - timedelta(days=1), f"strictly before {value.isoformat()}: the day before")
    return day_due(value, f"the day {value.isoformat()}")


def _numeric(m: re.Match[str], ctx: Context) -> Outcome:
    a, b, year = int(m.group("a")), int(m.group("b")), int(m.group("ny"))
    if a <= 12 and b <= 12 and a != b:
        return Declined(f"{m.group(0).strip()!r} can be day/month or month/day; write the month's name")
    dom, month = (a, b) if a > 12 or a == b else (b, a)
    try:
        value = date(year, month, dom)
    except ValueError:
        return Declined(f"{m.group(0).strip()!r} is not a date that exists")
    if lead_is_before(m):
        return day_due(value - timedelta(days=1), f"strictly before {value.isoformat()}: the day before")
    return day_due(value, f"the day {value.isoformat()} (only one reading of the numbers is a date)")


def _part(m: re.Match[str], ctx: Context) -> Outcome:
    month_text, year_text = m.group("mon").rstrip("."), m.group("year")
    if is_modal_word(month_text) and not year_text:
        return None
    month = month_number(month_text)
    year = int(year_text) if year_text else next_month_year(ctx, month)
    note = _year_note(year_text, year)
    part = (m.group("part") or "").lower()
    pos = (m.group("pos") or "").lower()
    if pos in ("end", "close"):
        if lead_is_before(m):
            return Understood(
                FixedDue(f"{year}-{month:02d}"),
                Precision.MONTH,
                f"before the end of the month {year}-{month:02d}{note}",
            )
        return Understood(
            FixedDue(f"{year}-{month:02d}"),
            Precision.MONTH,
            f"by the end of the month: the month {year}-{month:02d}, due at its end{note}",
        )
    word = {
        "early": "early",
        "mid": "mid",
        "late": "late",
        "beginning": "early",
        "start": "early",
        "middle": "mid",
    }[part or pos]
    if lead_is_before(m):
        return Declined(f"{m.group(0).strip()!r}: 'before' a part of a month is not a window the config has")
    days = {"early": "1-10", "mid": "11-20", "late": "21-end"}[word]
    return Understood(
        FixedDue(f"{word} {year}-{month:02d}"),
        Precision.PART_OF_MONTH,
        f"{word} {calendar.month_name[month]} {year}: days {days}{note}",
    )


def _month(m: re.Match[str], ctx: Context) -> Outcome:
    month_text, year_text, lead = m.group("mon").rstrip("."), m.group("year"), m.group("lead")
    if not year_text and not lead:
        return None
    if is_modal_word(month_text) and not year_text:
        return None
    month = month_number(month_text)
    year = int(year_text) if year_text else next_month_year(ctx, month)
    note = _year_note(year_text, year)
    if lead_is_before(m):
        prior = date(year, month, 1) - timedelta(days=1)
        return day_due(
            prior, f"strictly before {calendar.month_name[month]} {year}: the last day before it{note}"
        )
    return Understood(
        FixedDue(f"{year}-{month:02d}"),
        Precision.MONTH,
        f"the month {calendar.month_name[month]} {year}, due at its end{note}",
    )


RULES: list[tuple[str, str, Handler]] = [
    (
        "instant-time-first",
        rf"(?:{LEAD}\s+)?{TIME}{ZONE}?\s*,?\s*(?:on\s+)?(?:the\s+)?{WEEKDAY}?{DATE_BODY}",
        _instant,
    ),
    (
        "instant-date-first",
        rf"(?:{LEAD}\s+)?(?:the\s+)?{WEEKDAY}?{DATE_BODY}\s*,?\s*(?:at\s+)?{TIME}{ZONE}?",
        _instant,
    ),
    ("date", rf"(?:{LEAD}\s+)?(?:the\s+)?{WEEKDAY}?{DATE_BODY}", _date),
    (
        "iso-date",
        rf"(?:{LEAD}\s+)?\b(?P<iy>\d{{4}})-(?P<im>\d{{2}})-(?P<id>\d{{2}})"
        rf"(?:[T ](?P<ih>\d{{2}}):(?P<imin>\d{{2}})(?P<ioff>Z|[+-]\d{{2}}:?\d{{2}})?)?\b",
        _iso,
    ),
    ("numeric-date", rf"(?:{LEAD}\s+)?\b(?P<a>\d{{1,2}})[/.](?P<b>\d{{1,2}})[/.](?P<ny>\d{{4}})\b", _numeric),
    (
        "part-of-month",
        rf"(?:{LEAD}\s+)?(?:(?P<part>early|mid|late)[\s-]+|the\s+(?P<pos>beginning|start|middle|end|close)\s+of\s+)"
        rf"{mon('mon')}(?:,?\s+(?:of\s+)?(?P<year>{YEAR})\b)?",
        _part,
    ),
    ("month", rf"(?:{LEAD}\s+)?{mon('mon')}(?:,?\s+(?:of\s+)?(?P<year>{YEAR})\b)?", _month),
]
