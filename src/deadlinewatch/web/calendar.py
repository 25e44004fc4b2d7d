"""Every known deadline window as an iCalendar (RFC 5545) event, written by hand.

One ``VEVENT`` per commitment whose deadline is known at ``now``: ``UID`` ``<id>@deadlinewatch``,
``DTSTART``/``DTEND`` the window in UTC (an instant has no ``DTEND``), ``SUMMARY`` the title,
``DESCRIPTION`` the agreement, the deadline in words and the status. Each ``remind_before`` of the
commitment's own policy (no subscription) is a ``VALARM``: a trigger relative to the due (the end,
or the start with ``overdue_at: opens``) when the calendar duration is exact in elapsed time
there, else the reminder's absolute UTC instant (months, or days across a DST change).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import Commitment
from deadlinewatch.domain.planning import Planner
from deadlinewatch.domain.windows import Window
from deadlinewatch.domain.wording import describe_deadline, duration_words
from deadlinewatch.durations import Duration

__all__ = ["escape_text", "render_ics"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """An RFC 5545 TEXT value: ``\\``, ``;``, ``,`` escaped, line breaks as ``\\n``, other control
    characters dropped."""
    value = _NEWLINES.sub("\n", value)
    value = _CONTROL.sub("", value.replace("\t", " "))
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Split a content line into pieces of at most 75 octets, never inside a UTF-8 sequence;
    continuation pieces start with a space (RFC 5545 §3.1)."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = _MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = " ", 1, _MAX_OCTETS
        current += char
        size += width
    pieces.append(current)
    return pieces


def _stamp(instant: datetime) -> str:
    return format_utc(instant).replace("-", "").replace(":", "")


def _ics_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days and not rest:
        return f"-P{days // 7}W" if days % 7 == 0 else f"-P{days}D"
    text = f"-P{days}D" if days else "-P"
    text += "T"
    text += f"{hours}H" if hours else ""
    text += f"{minutes}M" if minutes else ""
    text += f"{secs}S" if secs or text.endswith("T") else ""
    return text


def _trigger(window: Window, before: Duration) -> str:
    due = window.due
    instant = before.apply(window.due_local, window.zone, sign=-1)
    delta = due - instant
    exact = before.months == 0 and delta == timedelta(days=before.days, seconds=before.seconds)
    if not exact or delta <= timedelta(0):
        return f"TRIGGER;VALUE=DATE-TIME:{_stamp(instant)}"
    related = ";RELATED=END" if not window.overdue_at_opens and window.closes > window.opens else ""
    return f"TRIGGER{related}:{_ics_duration(delta)}"


def _event(planner: Planner, commitment: Commitment, window: Window, now: datetime) -> list[str]:
    watchlist = planner.watchlist
    agreement = watchlist.agreement_of(commitment)
    status = planner.status_at(commitment.id, now)
    words = describe_deadline(window)
    parts = [agreement.title if agreement else None, f"Deadline: {words}", f"Status: {status.value}"]
    if commitment.description:
        parts.append(commitment.description)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{commitment.id}@deadlinewatch",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(window.opens)}",
    ]
    if window.closes > window.opens:
        lines.append(f"DTEND:{_stamp(window.closes)}")
    lines += [
        f"SUMMARY:{escape_text(commitment.title)}",
        f"DESCRIPTION:{escape_text(chr(10).join(p for p in parts if p))}",
    ]
    tags = sorted(watchlist.tags_of(commitment))
    if tags:
        lines.append(f"CATEGORIES:{','.join(escape_text(t) for t in tags)}")
    if status.is_terminal:
        lines.append("TRANSP:TRANSPARENT")
    for before in watchlist.policy_for(None, commitment).remind_before:
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{escape_text(f'{commitment.title} — due in {duration_words(before)}')}",
            _trigger(window, before),
            "END:VALARM",
        ]
    lines.append("END:VEVENT")
    return lines


def render_ics(planner: Planner, now: datetime) -> str:
    """The calendar of every deadline known at ``now`` (CRLF line ends, folded at 75 octets)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//deadlinewatch//deadlinewatch//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:deadlinewatch",
    ]
    for commitment in planner.watchlist.commitments.values():
        window = planner.deadlines[commitment.id].window_at(now)
        if window is not None:
            lines += _event(planner, commitment, window, now)
    lines.append("END:VCALENDAR")
    return "".join(piece + "\r\n" for line in lines for piece in _fold(line))
