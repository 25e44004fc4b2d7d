"""Every known deadline window as an iCalendar (RFC 5545) event, built with ``icalendar``.

One ``VEVENT`` per commitment whose deadline is known at ``now``:

- a window of a day or coarser (day, week, part of month, month, quarter, year, and relative
  deadlines that land on a day) is an all-day event: ``DTSTART;VALUE=DATE`` / ``DTEND;VALUE=DATE``
  are its first day and the day after its last, on the commitment's own calendar (so "August,
  Damascus time" shows as 1–31 August, not as a bar from 21:00 UTC); an instant is a timed event in
  UTC with no ``DTEND``;
- every event is ``TRANSP:TRANSPARENT`` (a deadline does not make anyone busy);
- ``UID`` is ``<commitment id>@<deployment id>.deadlinewatch`` (the deployment id is made once per
  database, so two deployments' calendars never merge events);
- ``SEQUENCE`` counts the moves of the due recorded by the service (:func:`record_versions`), plus
  one when the due differs from the last recorded one;
- each ``remind_before`` of the commitment's own policy is a ``VALARM``: a trigger relative to the
  due when that is exact (days and weeks on an all-day event, elapsed time that does not cross a
  DST change on a timed one), else the reminder's absolute UTC instant (months, DST crossings).

The calendar asks subscribers to refresh hourly (``REFRESH-INTERVAL``, ``X-PUBLISHED-TTL``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from icalendar import Alarm, Calendar, Event

from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import Commitment, Precision
from deadlinewatch.domain.planning import Planner
from deadlinewatch.domain.windows import Window
from deadlinewatch.domain.wording import describe_deadline, duration_words
from deadlinewatch.durations import Duration
from deadlinewatch.storage import Store

__all__ = [
    "VERSIONS_KEY",
    "CalendarIdentity",
    "calendar_identity",
    "escape_text",
    "record_versions",
    "render_ics",
]

VERSIONS_KEY = "calendar_versions"
REFRESH = timedelta(hours=1)  # also X-PUBLISHED-TTL, written as PT1H
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_MIDNIGHT = datetime.min.time()


@dataclass(frozen=True)
class CalendarIdentity:
    """The deployment id for UIDs, and the recorded versions: commitment id → (due, sequence)."""

    deployment: str | None = None
    versions: Mapping[str, tuple[str | None, int]] = field(default_factory=dict)


def _versions(value: Any) -> dict[str, tuple[str | None, int]]:
    if not isinstance(value, dict):
        return {}
    out: dict[str, tuple[str | None, int]] = {}
    for cid, item in value.items():
        if isinstance(item, list) and len(item) == 2 and isinstance(item[1], int):
            out[str(cid)] = (item[0] if isinstance(item[0], str) else None, item[1])
    return out


def calendar_identity(store: Store) -> CalendarIdentity:
    return CalendarIdentity(store.deployment_id(), _versions(store.get_state(VERSIONS_KEY)))


def _dues(planner: Planner, now: datetime) -> dict[str, str | None]:
    dues: dict[str, str | None] = {}
    for cid, deadline in planner.deadlines.items():
        window = deadline.window_at(now)
        dues[cid] = format_utc(window.due) if window is not None else None
    return dues


def record_versions(store: Store, planner: Planner, now: datetime) -> int:
    """Record each commitment's current due; a due that moved (or became known) bumps its
    sequence. Returns how many moved. Called by the leader when it installs a config."""
    stored = _versions(store.get_state(VERSIONS_KEY))
    moved = 0
    updated: dict[str, list[Any]] = {}
    for cid, due in _dues(planner, now).items():
        previous_due, sequence = stored.get(cid, (None, 0))
        if cid in stored and previous_due != due:
            sequence += 1
            moved += 1
        updated[cid] = [due, sequence]
    if updated != {cid: [d, s] for cid, (d, s) in stored.items()}:
        store.set_state(VERSIONS_KEY, updated, now)
    return moved


def escape_text(value: str) -> str:
    """An RFC 5545 TEXT value: ``\\``, ``;``, ``,`` escaped, line breaks as ``\\n``, other control
    characters dropped."""
    value = _clean(value)
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def _clean(value: str) -> str:
    """Line breaks as ``\\n``, tabs as spaces, other control characters dropped (icalendar escapes)."""
    return _CONTROL.sub("", _NEWLINES.sub("\n", value).replace("\t", " "))


def all_day(window: Window) -> bool:
    return (
        window.precision not in (Precision.INSTANT, Precision.OPEN)
        and window.opens_local.time() == _MIDNIGHT
        and window.closes_local.time() == _MIDNIGHT
        and window.closes_local > window.opens_local
    )


def _add_trigger(alarm: Alarm, window: Window, before: Duration, dated: bool) -> None:
    instant = before.apply(window.due_local, window.zone, sign=-1)
    delta = window.due - instant
    if dated:
        exact = before.months == 0 and before.seconds == 0 and before.days > 0
        offset = timedelta(days=before.days)
    else:
        offset = timedelta(days=before.days, seconds=before.seconds)
        exact = before.months == 0 and delta == offset and delta > timedelta(0)
    if not exact:
        alarm.add("trigger", instant, parameters={"VALUE": "DATE-TIME"})
        return
    related = {"RELATED": "END"} if not window.overdue_at_opens and window.closes > window.opens else {}
    alarm.add("trigger", -offset, parameters=related)


def _event(
    planner: Planner, commitment: Commitment, window: Window, now: datetime, identity: CalendarIdentity
) -> Event:
    watchlist = planner.watchlist
    agreement = watchlist.agreement_of(commitment)
    status = planner.status_at(commitment.id, now)
    parts = [
        agreement.title if agreement else None,
        f"Deadline: {describe_deadline(window)}",
        f"Status: {status.value}",
    ]
    if commitment.description:
        parts.append(commitment.description)
    event = Event()
    domain = f"{identity.deployment}.deadlinewatch" if identity.deployment else "deadlinewatch"
    event.add("uid", f"{commitment.id}@{domain}")
    event.add("dtstamp", now)
    dated = all_day(window)
    if dated:
        event.add("dtstart", window.opens_local.date())
        event.add("dtend", window.closes_local.date())
    else:
        event.add("dtstart", window.opens)
        if window.closes > window.opens:
            event.add("dtend", window.closes)
    due = format_utc(window.due)
    recorded_due, sequence = identity.versions.get(commitment.id, (due, 0))
    event.add("sequence", sequence + (1 if recorded_due != due else 0))
    event.add("summary", _clean(commitment.title))
    event.add("description", _clean("\n".join(p for p in parts if p)))
    tags = sorted(watchlist.tags_of(commitment))
    if tags:
        event.add("categories", [_clean(t) for t in tags])
    event.add("transp", "TRANSPARENT")
    for before in watchlist.policy_for(None, commitment).remind_before:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _clean(f"{commitment.title} — due in {duration_words(before)}"))
        _add_trigger(alarm, window, before, dated)
        event.add_component(alarm)
    return event


def render_ics(planner: Planner, now: datetime, identity: CalendarIdentity | None = None) -> str:
    """The calendar of every deadline known at ``now`` (CRLF line ends, folded at 75 octets)."""
    identity = identity or CalendarIdentity()
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//deadlinewatch//deadlinewatch//EN")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "deadlinewatch")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for commitment in planner.watchlist.commitments.values():
        window = planner.deadlines[commitment.id].window_at(now)
        if window is not None:
            calendar.add_component(_event(planner, commitment, window, now, identity))
    return str(calendar.to_ical().decode("utf-8"))
