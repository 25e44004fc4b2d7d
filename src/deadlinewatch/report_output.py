"""Text and JSON for ``deadlinewatch show`` and ``deadlinewatch agenda``: the reports of
:mod:`services.commitment_report` and :mod:`services.agenda` rendered for a terminal or a script.
Every instant is printed in the zone it belongs to, with UTC beside it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from enum import Enum
from typing import Any

from deadlinewatch.services.agenda import Agenda
from deadlinewatch.services.commitment_report import CommitmentReport
from deadlinewatch.services.deadline_report import AnchorReport
from deadlinewatch.services.upcoming import UpcomingNotice
from deadlinewatch.services.zoned import ZonedInstant

__all__ = ["agenda_text", "jsonable", "report_text"]

JsonValue = dict[str, Any] | list[Any] | str | int | float | bool | None


def jsonable(value: object) -> JsonValue:
    """A report (or any part of it) as JSON-ready values: instants as ``{"utc", "local", "zone"}``."""
    if isinstance(value, ZonedInstant):
        return dict(value.as_json())
    if isinstance(value, UpcomingNotice):
        notice = value.notice
        return {
            "send_at": jsonable(value.send_at),
            "held_from": jsonable(value.held_from),
            "event": notice.event.value,
            "subscription": notice.subscription,
            "channels": list(notice.channels),
            "subject": notice.subject,
            "title": value.title,
            "detail": value.detail,
        }
    if isinstance(value, Enum):
        return str(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _when(value: ZonedInstant | None) -> str:
    return value.text() if value is not None else "-"


def _channels(channels: Sequence[str], skipped: Sequence[str]) -> str:
    """``console; not configured, nothing sent: syria-slack, desk-email``."""
    ready = [c for c in channels if c not in skipped]
    missing = [c for c in channels if c in skipped]
    text = ", ".join(ready) or "no configured channel"
    return text + (f"; not configured, nothing sent: {', '.join(missing)}" if missing else "")


def _upcoming_line(entry: UpcomingNotice, *, with_subject: bool, skipped: Sequence[str] = ()) -> str:
    notice = entry.notice
    line = f"{entry.send_at.text()}  {notice.event.value:<16}"
    if with_subject:
        line += f"  {notice.subject or '(digest)'}"
    line += f"  {entry.detail}"
    if with_subject:
        line += f"  -> {notice.subscription} [{_channels(notice.channels, skipped)}]"
    if entry.held_from is not None:
        line += f"  (quiet hours: due {entry.held_from.text()}, held until {entry.send_at.local_text})"
    return line


# --- show ------------------------------------------------------------------------------------------------


def report_text(report: CommitmentReport) -> str:
    lines: list[str] = [f"{report.id} — {report.title}"]

    def field(label: str, value: str) -> None:
        lines.append(f"  {label:<14}{value}")

    if report.agreement:
        field("agreement", f"{report.agreement} — {report.agreement_title or '(not in the config)'}")
    if report.parties:
        field("parties", ", ".join(report.parties))
    if report.tags:
        field("tags", ", ".join(report.tags))
    if report.description:
        field("description", report.description)
    if report.url:
        field("url", report.url)
    if report.written_at:
        field("written at", report.written_at)
    field("as of", report.now.text())

    d = report.deadline
    lines += ["", "Deadline"]
    field("as written", f"due: {d.written}" + (f"   ({d.written_at})" if d.written_at else ""))
    kind = d.precision if d.precision == d.form else f"{d.precision} ({d.form})"
    field("as read", f"{kind}: {d.words}; zone {d.zone}")
    if d.opens is not None and d.closes is not None:
        if d.opens == d.closes:
            field("instant", d.opens.text())
        else:
            field("opens", d.opens.text())
            field("closes", d.closes.text())
    if d.due is not None:
        field("due", f"{d.due.text()}   (at {d.overdue_at})")
    if d.overdue_from is not None:
        state = "OVERDUE" if d.overdue else (d.relative or f"not overdue (status {report.status})")
        if d.overdue and d.relative:
            state = f"OVERDUE: {d.relative}"
        field("overdue from", f"{d.overdue_from.text()}   now: {state}")
    if d.announced is not None:
        field("announced", d.announced.text())
    if d.next_review is not None:
        field("next review", f"{d.next_review.text()}   (every review_every after announced)")
    if d.anchor is not None:
        lines += [
            f"  {'anchor':<14}{line}" if i == 0 else f"  {'':<14}{line}"
            for i, line in enumerate(_anchor_lines(d.anchor))
        ]
    if len(d.versions) > 1 or any(v.known_from is not None for v in d.versions):
        for i, version in enumerate(d.versions):
            since = version.known_from.text() if version.known_from else "the start"
            field("versions" if i == 0 else "", f"from {since}: due {version.due.text()}")

    lines += [
        "",
        f"Status: {report.status}" + (f" since {report.status_since.text()}" if report.status_since else ""),
    ]
    if not report.history:
        lines.append("  no recorded changes (not_started by default)")
    for entry in report.history:
        change = f"{entry.previous} -> {entry.status}" if entry.effective else f"{entry.status} (no change)"
        who = entry.origin + (f" by {entry.actor}" if entry.actor else "")
        tags = [who] + (["verified"] if entry.verified else [])
        lines.append(f"  {entry.at.text()}  {change}  [{', '.join(tags)}]")
        if entry.recorded_at is not None:
            lines.append(f"      recorded {entry.recorded_at.text()}")
        if entry.note:
            lines.append(f"      {entry.note}")
        if entry.url:
            lines.append(f"      {entry.url}")

    lines += ["", "Acknowledgements" + ("" if report.acks else ": none")]
    for ack in report.acks:
        if ack.active:
            state = "active: no overdue repeats or escalation"
        elif ack.withdrawn is not None:
            state = f"withdrawn {ack.withdrawn.text()}"
        else:
            state = "lifted by a later status change"
        by = f" by {ack.actor}" if ack.actor else ""
        lines.append(f"  {ack.at.text()}{by}  {state}" + (f" — {ack.note}" if ack.note else ""))
    lines += ["", "Snoozes" + ("" if report.snoozes else ": none")]
    for snooze in report.snoozes:
        state = "active" if snooze.active else "not active now"
        by = f" by {snooze.actor}" if snooze.actor else ""
        lines.append(
            f"  {snooze.at.text()} until {snooze.until.text()}{by}  {state}"
            + (f" — {snooze.note}" if snooze.note else "")
        )

    lines += ["", "Subscriptions" + ("" if report.subscriptions else ": none matches this commitment")]
    for sub in report.subscriptions:
        lines.append(
            f"  {sub.name} -> {_channels(sub.channels, report.skipped_channels)}   (times in {sub.zone})"
        )
        lines.append(f"    policy {sub.policy} (level: {sub.level.value}): {sub.reason}")
        for key in sub.keys:
            lines.append(f"      {key.name:<21}{key.value:<14}from {key.source}")
        if sub.next_events:
            lines.append("    next:")
            lines += [f"      {_upcoming_line(e, with_subject=False)}" for e in sub.next_events]
        else:
            lines.append(f"    next: none found ahead (status {report.status})")

    where = f" in {report.database}" if report.database else ""
    lines += ["", f"Ledger: {len(report.ledger)} rows{where}"]
    if not report.database_found:
        lines.append("  nothing recorded yet: the database does not exist (the service has not run with it)")
    for row in report.ledger:
        attempts = f", {_attempts(row.attempts)}" if row.attempts else ""
        to = f"{row.subscription}/{row.channel}"
        lines.append(f"  {row.send_at.text()}  {row.event:<16}  {to}  {row.state}{attempts}  {row.detail}")
        if row.error:
            lines.append(f"      {row.error}")
    return "\n".join(lines) + "\n"


def _anchor_lines(anchor: AnchorReport, depth: int = 0) -> list[str]:
    pad = "  " * depth
    known = f"known, due {anchor.due.text()}" if anchor.due is not None else "not known yet"
    if anchor.members:
        lines = [f"{pad}{anchor.written}: {known}"]
        for member in anchor.members:
            lines += _anchor_lines(member, depth + 1)
        return lines
    if anchor.after is None:
        return [f"{pad}{anchor.written}: {known}"]
    if anchor.after == "announced":
        start = f"announced {anchor.day0.text()}" if anchor.day0 else "announced (no date)"
        return [f"{pad}{anchor.within} after {start}: {known}"]
    title = f" ({anchor.after_title})" if anchor.after_title else ""
    if anchor.day0 is not None:
        start = f"first fulfilled {anchor.day0.text()}"
    else:
        start = f"never fulfilled so far (now {anchor.after_status or 'unknown'})"
    return [f"{pad}{anchor.within} after {anchor.after}{title} is first fulfilled: {start}; {known}"]


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


# --- agenda -----------------------------------------------------------------------------------------------


def agenda_text(agenda: Agenda) -> str:
    scope = f"subscription {agenda.subscription}" if agenda.subscription else "every subscription"
    lines = [f"Agenda: {scope}, {agenda.start.text()} to {agenda.end.text()}"]
    if not agenda.entries:
        lines.append("  nothing will be sent")
    for entry in agenda.entries:
        lines.append(f"  {_upcoming_line(entry, with_subject=True, skipped=agenda.skipped_channels)}")
    held = sum(1 for e in agenda.entries if e.held_from is not None)
    count = len(agenda.entries)
    lines.append(f"{count} notification{'' if count == 1 else 's'}, {held} held by quiet hours")
    return "\n".join(lines) + "\n"
