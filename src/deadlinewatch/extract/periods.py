"""Calendar periods larger than a month and periods named relative to the announcement: years
("by 2017", "the end of 2015", "year-end"), quarters, halves, ISO weeks, "next month", weekdays,
"today"; and the ones declined ("mid-2016", seasons, fiscal years)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from deadlinewatch.extract.dates import (
    DATE_BODY,
    LEAD,
    WEEKDAY,
    YEAR,
    Handler,
    date_from_body,
    day_due,
    lead_is_before,
)
from deadlinewatch.extract.model import Context, Declined, FixedDue, Outcome, Precision, Understood

_ORD_Q = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
          "last": 4, "final": 4}  # fmt: skip
_END = r"(?:the\s+(?:end|close)\s+of\s+)"
YEAR_END_POLICY = "year"
""""The end of 2015" and "by year-end" are read as the year window (``2015``), like "by the end of
August" is the month window: due at its end, the same instant as the day ``2015-12-31``."""


def _year_due(year: int, why: str) -> Understood:
    return Understood(FixedDue(str(year)), Precision.YEAR, why)


def _year(m: re.Match[str], ctx: Context) -> Outcome:
    year = int(m.group("year"))
    if not (m.group("lead") or m.group("end")):
        return None
    if lead_is_before(m) and not m.group("end"):
        return day_due(date(year - 1, 12, 31), f"strictly before {year}: the last day of {year - 1}")
    if m.group("end"):
        return _year_due(year, f"by the end of {year}: the year {year}, due at its end (31 December, 24:00)")
    return _year_due(year, f"the year {year}, due at its end")


def _quarter(m: re.Match[str], ctx: Context) -> Outcome:
    quarter = int(m.group("qn")) if m.group("qn") else _ORD_Q[m.group("q").lower()]
    year_text = m.group("year")
    if year_text:
        year = int(year_text)
        note = ""
    else:
        current = (ctx.announced.month - 1) // 3 + 1
        year = ctx.announced.year + (1 if quarter < current else 0)
        note = f" (no year given: the next such quarter on or after the announcement, {year})"
    if lead_is_before(m) and not m.group("end"):
        first = date(year, 3 * quarter - 2, 1)
        return day_due(
            first - timedelta(days=1), f"strictly before Q{quarter} {year}: the day before it{note}"
        )
    return Understood(
        FixedDue(f"{year}-Q{quarter}"),
        Precision.QUARTER,
        f"quarter {quarter} of {year}, due at its end{note}",
    )


def _quarter_short(m: re.Match[str], ctx: Context) -> Outcome:
    quarter = int(m.group("qa") or m.group("qb"))
    year = int(m.group("ya") or m.group("yb"))
    return Understood(
        FixedDue(f"{year}-Q{quarter}"), Precision.QUARTER, f"quarter {quarter} of {year}, due at its end"
    )


def _half(m: re.Match[str], ctx: Context) -> Outcome:
    year = int(m.group("year"))
    first = m.group("half").lower() in ("first", "1st")
    last = date(year, 6, 30) if first else date(year, 12, 31)
    return day_due(
        last,
        f"the {'first' if first else 'second'} half of {year}: the config has no half-year window, so "
        f"the due is its last day, {last.isoformat()}",
    )


def _relative_calendar(m: re.Match[str], ctx: Context) -> Outcome:
    which = " ".join((m.group("which") or "this").lower().split())
    unit = (m.group("unit") or m.group("unit2") or "").lower()
    if m.group("ye"):
        unit = "month" if "month" in m.group("ye").lower() else "year"
    step = 1 if which == "next" else 0
    if lead_is_before(m) and not (m.group("end") or m.group("end2") or m.group("ye")):
        return Declined(f"{m.group(0).strip()!r}: 'before' a relative period is not read; write the date")
    announced = ctx.announced
    if unit == "year":
        year = announced.year + step
        return _year_due(
            year, f"{which} year from the announcement ({announced.isoformat()}): {year}, due at its end"
        )
    if unit == "month":
        month0 = announced.month - 1 + step
        year, month = announced.year + month0 // 12, month0 % 12 + 1
        return Understood(
            FixedDue(f"{year}-{month:02d}"),
            Precision.MONTH,
            f"{which} month from the announcement ({announced.isoformat()}): {year}-{month:02d}, "
            "due at its end",
        )
    monday = announced - timedelta(days=announced.weekday()) + timedelta(weeks=step)
    iso = monday.isocalendar()
    return Understood(
        FixedDue(f"{iso.year}-W{iso.week:02d}"),
        Precision.WEEK,
        f"{which} week from the announcement ({announced.isoformat()}): ISO week {iso.year}-W{iso.week:02d}",
    )


def _day_word(m: re.Match[str], ctx: Context) -> Outcome:
    word = " ".join(m.group("w").lower().split())
    shift = 2 if "day after tomorrow" in word else 1 if word == "tomorrow" else 0
    value = ctx.announced + timedelta(days=shift)
    return day_due(
        value, f"{word!r} from the announcement ({ctx.announced.isoformat()}): {value.isoformat()}"
    )


def _weekday(m: re.Match[str], ctx: Context) -> Outcome:
    if not m.group("lead"):
        return None
    wanted = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].index(
        m.group("wd").lower()
    )
    if m.group("next"):
        return Declined(
            f"{m.group(0).strip()!r}: 'next' weekday can mean this week's or next week's; write the date"
        )
    ahead = (wanted - ctx.announced.weekday()) % 7
    if ahead == 0:
        return Declined(
            f"{m.group(0).strip()!r} was said on that weekday: today or in a week? write the date"
        )
    value = ctx.announced + timedelta(days=ahead)
    if lead_is_before(m):
        value -= timedelta(days=1)
    return day_due(
        value, f"the next {m.group('wd').capitalize()} after the announcement: {value.isoformat()}"
    )


def _week_of(m: re.Match[str], ctx: Context) -> Outcome:
    body = date_from_body(m, ctx)
    if body is None or isinstance(body, str):
        return None if body is None else Declined(body)
    value, note = body
    iso = value.isocalendar()
    return Understood(
        FixedDue(f"{iso.year}-W{iso.week:02d}"),
        Precision.WEEK,
        f"the ISO week holding {value.isoformat()}{note}",
    )


def _iso_week(m: re.Match[str], ctx: Context) -> Outcome:
    year, week = int(m.group("wy")), int(m.group("wn"))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        return Declined(f"{year} has no ISO week {week}")
    return Understood(FixedDue(f"{year}-W{week:02d}"), Precision.WEEK, f"ISO week {week} of {year}")


def _iso_month(m: re.Match[str], ctx: Context) -> Outcome:
    month = int(m.group("mm"))
    if not 1 <= month <= 12:
        return None
    return Understood(FixedDue(f"{m.group('my')}-{month:02d}"), Precision.MONTH, "the month as written")


def _decline(reason: str) -> Handler:
    def handle(m: re.Match[str], ctx: Context) -> Outcome:
        return Declined(f"{m.group(0).strip()!r}: {reason}")

    return handle


RULES: list[tuple[str, str, Handler]] = [
    (
        "year",
        rf"(?:{LEAD}\s+)?(?P<end>{_END}|\bend[\s-]|\byear[\s-]end\s+)?(?:the\s+(?:calendar\s+)?year\s+)?"
        rf"\b(?P<year>{YEAR})\b(?!-\d|/)",
        _year,
    ),
    (
        "quarter",
        rf"(?:{LEAD}\s+)?(?P<end>{_END})?(?:the\s+)?\b(?P<q>first|second|third|fourth|last|final|1st|2nd|3rd|4th)"
        rf"\s+quarter(?:\s+of)?(?:\s+(?:the\s+year\s+)?(?P<year>{YEAR})\b)?(?P<qn>)",
        _quarter,
    ),
    (
        "quarter-short",
        rf"(?:{LEAD}\s+)?(?:{_END})?\b(?:Q(?P<qa>[1-4])(?:\s+of)?\s+(?P<ya>{YEAR})|(?P<yb>{YEAR})[\s-]?Q(?P<qb>[1-4]))\b",
        _quarter_short,
    ),
    (
        "half",
        rf"(?:{LEAD}\s+)?(?:{_END})?the\s+(?P<half>first|second|1st|2nd)\s+half\s+of\s+(?:the\s+year\s+)?(?P<year>{YEAR})\b",
        _half,
    ),
    (
        "relative-calendar",
        rf"(?:{LEAD}\s+)?(?:(?P<end>{_END})?(?P<which>this|the\s+current|the\s+present|next)\s+(?P<unit>year|month|week)\b"
        rf"|(?P<end2>{_END})the\s+(?P<unit2>year|month|week)\b"
        rf"|(?P<ye>\byear[\s-]?end\b|\bend[\s-]of[\s-](?:the[\s-])?year\b|\bend[\s-]year\b|\bmonth[\s-]?end\b))",
        _relative_calendar,
    ),
    (
        "day-word",
        rf"(?:{LEAD}\s+)?\b(?P<w>today|tomorrow|tonight|the\s+end\s+of\s+(?:the\s+)?day|the\s+end\s+of\s+today"
        rf"|the\s+day\s+after\s+tomorrow)\b",
        _day_word,
    ),
    (
        "weekday",
        rf"(?:{LEAD}\s+)?(?P<next>next\s+)?\b(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
        _weekday,
    ),
    (
        "week-of",
        rf"(?:{LEAD}\s+)?the\s+week\s+(?:of|beginning|starting|commencing)\s+(?:on\s+)?(?:the\s+)?{WEEKDAY}?{DATE_BODY}",
        _week_of,
    ),
    ("iso-week", rf"(?:{LEAD}\s+)?\b(?P<wy>\d{{4}})-W(?P<wn>\d{{2}})\b", _iso_week),
    ("iso-month", rf"(?:{LEAD}\s+)?\b(?P<my>\d{{4}})-(?P<mm>\d{{2}})\b(?!-\d)", _iso_month),
    (
        "part-of-year",
        rf"\b(?:(?:early|mid|late)[\s-]*|the\s+(?:beginning|start|middle)\s+of\s+(?:the\s+)?)(?:{YEAR}\b|year\b|the\s+year\b"
        rf"|next\s+year\b|this\s+year\b|the\s+decade\b)|\bmid-?year\b",
        _decline("a part of a year is not a window the config has; write the date or the quarter meant"),
    ),
    (
        "season",
        rf"\b(?:{_END})?(?:the\s+)?(?:spring|summer|autumn|winter)\b(?:\s+(?:of\s+)?{YEAR}\b)?",
        _decline("seasons differ by hemisphere and usage; write the month or the date meant"),
    ),
    (
        "fiscal-year",
        r"\b(?:fiscal|financial|budget)\s+year\b|\bFY\s?\d{2,4}\b",
        _decline("a fiscal year depends on the country"),
    ),
]
