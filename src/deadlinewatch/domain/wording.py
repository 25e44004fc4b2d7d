"""Deadlines and durations in words, for people: "by end of August 2016, Damascus time",
"3 days overdue", "closes in 12 days".

Pure: no clock, no IO. ``now`` is always an argument.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from deadlinewatch.domain.model import OpenKind, Precision
from deadlinewatch.domain.windows import Window
from deadlinewatch.durations import Duration

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_OPEN_WORDS = {
    OpenKind.ASAP: "as soon as possible",
    OpenKind.IMMEDIATE: "immediately",
    OpenKind.OPEN: "open-ended",
}
_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)
_MINUTE = timedelta(minutes=1)


def zone_words(zone_name: str) -> str:
    """``Asia/Damascus`` → ``Damascus time``; ``America/Argentina/Buenos_Aires`` → ``Buenos Aires
    time``; ``UTC`` (and ``Etc/UTC``) → ``UTC``."""
    last = zone_name.rsplit("/", 1)[-1].replace("_", " ")
    if last in {"UTC", "UCT", "Zulu", "Universal"}:
        return "UTC"
    if last.startswith("GMT"):
        # Etc/GMT+3 is three hours *behind* UTC: say the name as written rather than invert it.
        return zone_name
    return f"{last} time"


def _date(local: datetime) -> str:
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}"


def _date_time(local: datetime) -> str:
    return f"{_date(local)} {local:%H:%M}"


def _period(window: Window) -> str:
    """The window's period as a noun phrase ("August 2016", "Q3 2016", "2016-W07 (week of …)")."""
    opens = window.opens_local
    precision = window.precision
    if precision is Precision.DAY:
        return _date(opens)
    if precision is Precision.WEEK:
        year, week, _ = opens.isocalendar()
        return f"{year}-W{week:02d} (week of {_date(opens)})"
    if precision is Precision.PART_OF_MONTH:
        part = "early" if opens.day <= 10 else "mid" if opens.day <= 20 else "late"
        last_day = (window.closes_local - _DAY).day
        month = _MONTHS[opens.month - 1]
        return f"{part} {month} {opens.year} ({opens.day}–{last_day} {month})"
    if precision is Precision.MONTH:
        return f"{_MONTHS[opens.month - 1]} {opens.year}"
    if precision is Precision.QUARTER:
        return f"Q{(opens.month - 1) // 3 + 1} {opens.year}"
    if precision is Precision.YEAR:
        return str(opens.year)
    return _date_time(opens)


def describe_deadline(
    window: Window | None,
    *,
    open_kind: OpenKind | None = None,
    pending: str | None = None,
    with_zone: bool = True,
) -> str:
    """The deadline in words.

    ``window`` for a known deadline; else ``open_kind`` for ``asap``/``immediate``/``open``; else
    ``pending`` (see :func:`describe_pending`) for a relative or derived deadline not known yet;
    with none of them, ``"no deadline known"``. ``with_zone`` appends the zone ("…, Damascus time").
    """
    if window is None:
        if open_kind is not None:
            return _OPEN_WORDS[open_kind]
        return pending if pending is not None else "no deadline known"
    if window.precision is Precision.OPEN:
        return _OPEN_WORDS[open_kind or OpenKind.OPEN]
    if window.precision is Precision.INSTANT:
        words = f"by {_date_time(window.due_local)}"
    elif window.overdue_at_opens:
        words = f"by {_date_time(window.opens_local)}, start of {_period(window)}"
    else:
        words = f"by end of {_period(window)}"
    return f"{words}, {zone_words(window.zone)}" if with_zone else words


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def duration_words(duration: Duration) -> str:
    """``18mo`` → ``18 months``, ``P1Y`` → ``1 year``, ``2w`` → ``2 weeks``, ``90m`` → ``1 hour 30
    minutes``; a zero duration is ``0 days``."""
    parts: list[str] = []
    months = duration.months
    if months:
        if months % 12 == 0:
            parts.append(_plural(months // 12, "year"))
        else:
            parts.append(_plural(months, "month"))
    days = duration.days
    if days:
        parts.append(_plural(days // 7, "week") if days % 7 == 0 else _plural(days, "day"))
    hours, rest = divmod(duration.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    for value, unit in ((hours, "hour"), (minutes, "minute"), (seconds, "second")):
        if value:
            parts.append(_plural(value, unit))
    return " ".join(parts) if parts else "0 days"


def describe_pending(within: Duration, after_title: str) -> str:
    """``pending: 18 months after Draft constitution is fulfilled``."""
    return f"pending: {duration_words(within)} after {after_title} is fulfilled"


def _amount(delta: timedelta) -> tuple[str, bool]:
    """``delta`` (≥ 0) in its largest whole unit, and whether that unit is days."""
    if delta >= _DAY:
        return _plural(delta // _DAY, "day"), True
    if delta >= _HOUR:
        return _plural(delta // _HOUR, "hour"), False
    if delta >= _MINUTE:
        return _plural(delta // _MINUTE, "minute"), False
    return "less than a minute", False


def relative_to_now(due: datetime, now: datetime, overdue_from: datetime) -> str:
    """How ``now`` stands to the deadline, counted from ``due`` (whole units, rounded down).

    Before ``due``: ``closes in 12 days`` / ``closes in 3 hours``. From ``due`` to ``overdue_from``
    (the grace period): ``closed 5 hours ago, in grace period``. From ``overdue_from``: ``3 days
    overdue`` (a day or more) or ``overdue 5 hours`` (less).
    """
    if now < due:
        amount, _ = _amount(due - now)
        return f"closes in {amount}"
    amount, in_days = _amount(now - due)
    if now < overdue_from:
        return (
            "closed just now, in grace period"
            if amount.startswith("less")
            else (f"closed {amount} ago, in grace period")
        )
    if in_days:
        return f"{amount} overdue"
    return "overdue since less than a minute" if amount.startswith("less") else f"overdue {amount}"
