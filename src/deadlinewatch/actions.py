"""The writes an analyst makes — record a status, ack, unack, snooze, unsnooze — with one set of
rules and messages for every way in (the CLI, the HTTP API, the Slack buttons).

Each action is a function of the current :class:`Planner` (what the service knows), the
:class:`Store` it writes to, the instant ``now`` and the :class:`Actor` making it. It checks every
rule before writing anything, and raises :class:`ActionRefused` (or :class:`UnknownCommitment`)
with a message that says what to do. The caller decides where it runs: the CLI in its own process,
the service on its planning worker (the one thread that owns the planner and its writes).

Times given as text are read on the commitment's wall clock (a date alone is 00:00 that day), or
as an instant when they carry ``Z`` or an offset; they are echoed in that zone with UTC beside.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from deadlinewatch.domain.acks import Ack, Snooze
from deadlinewatch.domain.dueforms import parse_local_datetime
from deadlinewatch.domain.localtime import format_utc, to_instant, to_local
from deadlinewatch.domain.model import Commitment, Status, StatusChange
from deadlinewatch.domain.planning import Planner
from deadlinewatch.durations import parse_duration
from deadlinewatch.storage import Store

# How far in the future an ``at`` may lie (clocks of the writer and the service differ a little).
CLOCK_SKEW = timedelta(minutes=5)
MAX_TEXT = 2000
MAX_SNOOZE = timedelta(days=366 * 5)
Origin = Literal["manual", "api", "slack"]


@dataclass(frozen=True)
class Actor:
    """Who makes a write: ``name`` as shown in the history (an OS user, the API token's name, a
    Slack user as ``name (U123)``) and the ``origin`` recorded with it."""

    name: str
    origin: Origin


class ActionRefused(Exception):
    """A write that breaks a rule; nothing was recorded. ``field`` names the input at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class UnknownCommitment(ActionRefused):
    pass


@dataclass(frozen=True)
class ActionResult:
    """What was recorded (``created``) or found already in place, and the sentence to show."""

    action: Literal["status", "ack", "unack", "snooze", "unsnooze"]
    commitment: str
    message: str
    at: datetime
    actor: str
    created: bool = True
    status: str | None = None
    note: str | None = None
    url: str | None = None
    verified: bool | None = None
    origin: str | None = None
    until: datetime | None = None


# --- reading the inputs --------------------------------------------------------------------------


def find_commitment(planner: Planner, commitment_id: str) -> Commitment:
    found = planner.watchlist.commitments.get(commitment_id)
    if found is not None:
        return found
    shown = commitment_id[:100]
    close = difflib.get_close_matches(commitment_id, list(planner.watchlist.commitments), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `deadlinewatch status` lists the ids"
    raise UnknownCommitment(f"unknown commitment id {shown!r}: it is not in the config{hint}")


def clean_text(value: str | None, field: str) -> str | None:
    """A note or URL as stored: stripped, None when empty; refuses NUL/control characters and
    anything longer than :data:`MAX_TEXT`."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_TEXT:
        raise ActionRefused(f"{field}: at most {MAX_TEXT} characters (got {len(text)})", field)
    if any((ord(c) < 32 and c not in "\t\n") or ord(c) == 127 for c in text):
        raise ActionRefused(f"{field}: contains a control character (such as NUL); remove it", field)
    return text


def clean_url(value: str | None) -> str | None:
    url = clean_text(value, "url")
    if url is not None and (
        not url.lower().startswith(("http://", "https://")) or any(c.isspace() for c in url)
    ):
        raise ActionRefused("url: must be an http(s) URL without spaces", "url")
    return url


def when_words(instant: datetime, zone: str) -> str:
    """``2016-12-24 00:00 Asia/Damascus (2016-12-23T21:00:00Z)``."""
    local = to_local(instant, zone)
    return f"{local:%Y-%m-%d %H:%M} {zone} ({format_utc(instant)})"


def read_when(text: str, zone: str, field: str) -> datetime:
    """``text`` as an instant: ``now``, a date (00:00 in ``zone``), a date and time in ``zone``, or
    an instant with ``Z``/an offset."""
    try:
        value = parse_local_datetime(text)
        return to_instant(value, zone)
    except (ValueError, OverflowError) as exc:
        raise ActionRefused(
            f"{field} {text[:60]!r}: {exc}; give 'now', a date (2016-08-31 = 00:00 that day, {zone}),"
            " a local time (2016-08-31T10:00) or an instant (2016-08-31T07:00Z)",
            field,
        ) from None


def _past_at(text: str | None, zone: str, now: datetime) -> datetime:
    if text is None or not text.strip() or text.strip().lower() == "now":
        return now
    at = read_when(text.strip(), zone, "at")
    if at > now + CLOCK_SKEW:
        raise ActionRefused(
            f"at {text.strip()[:60]!r} is {when_words(at, zone)}, in the future (now is"
            f" {format_utc(now)}): record a change once it has happened",
            "at",
        )
    return at


def _overdue_from(planner: Planner, commitment: Commitment, now: datetime) -> datetime | None:
    """The earliest instant the commitment is overdue under its own or any matching subscription's
    policy, as of ``now`` (None: no known deadline)."""
    window = planner.deadlines[commitment.id].window_at(now)
    if window is None:
        return None
    watchlist = planner.watchlist
    policies = [watchlist.policy_for(None, commitment)]
    policies.extend(
        watchlist.policy_for(s, commitment)
        for s in watchlist.subscriptions
        if watchlist.matches(s, commitment)
    )
    return min(p.grace.apply(window.due_local, window.zone) for p in policies)


# --- the actions -------------------------------------------------------------------------------


def record_status(
    planner: Planner,
    store: Store,
    now: datetime,
    actor: Actor,
    commitment_id: str,
    status: Status | str,
    *,
    at: str | None = None,
    note: str | None = None,
    url: str | None = None,
    verified: bool = False,
) -> ActionResult:
    commitment = find_commitment(planner, commitment_id)
    try:
        new_status = Status(status)
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise ActionRefused(
            f"status {str(status)[:40]!r} is not a status; use one of {allowed}", "status"
        ) from None
    zone = planner.watchlist.zone_of(commitment)
    when = _past_at(at, zone, now)
    note_text = clean_text(note, "note")
    url_text = clean_url(url)
    before = planner.status_at(commitment.id, when)
    change = StatusChange(when, new_status, note_text, url_text, actor.origin, verified, actor.name)
    store.add_status_change(commitment.id, change, recorded_at=now)
    if before is new_status:
        message = (
            f"{commitment.id}: already {new_status.value} at {when_words(when, zone)}; recorded with"
            " the note, no alert (the status did not change)"
        )
    else:
        moved = f"{before.value} → {new_status.value}"
        message = f"{commitment.id}: {moved} at {when_words(when, zone)}, by {actor.name}"
    return ActionResult(
        "status",
        commitment.id,
        message,
        when,
        actor.name,
        status=new_status.value,
        note=note_text,
        url=url_text,
        verified=verified,
        origin=actor.origin,
    )


def active_ack(planner: Planner, commitment_id: str, now: datetime) -> Ack | None:
    timeline = planner.timelines[commitment_id]
    for ack in reversed(planner.acks_of(commitment_id)):
        if ack.holds_at(now) and not timeline.changed_between(ack.at, now):
            return ack
    return None


def active_snooze(planner: Planner, commitment_id: str, now: datetime) -> Snooze | None:
    running = [s for s in planner.snoozes_of(commitment_id) if s.at <= now < s.until]
    return max(running, key=lambda s: s.until) if running else None


def acknowledge(
    planner: Planner,
    store: Store,
    now: datetime,
    actor: Actor,
    commitment_id: str,
    *,
    note: str | None = None,
) -> ActionResult:
    commitment = find_commitment(planner, commitment_id)
    note_text = clean_text(note, "note")
    status = planner.status_at(commitment.id, now)
    zone = planner.watchlist.zone_of(commitment)
    if status.is_terminal:
        raise ActionRefused(
            f"{commitment.id} is {status.value}: a terminal status gets no overdue notices, so there is"
            " nothing to acknowledge",
        )
    deadline = planner.deadlines[commitment.id]
    if deadline.open_kind is not None:
        raise ActionRefused(
            f"{commitment.id} is open-ended ({deadline.open_kind.value}): it is never overdue, so there is"
            f" nothing to acknowledge; to pause its reviews use `snooze {commitment.id} --for 14d`",
        )
    overdue_from = _overdue_from(planner, commitment, now)
    if overdue_from is None:
        raise ActionRefused(
            f"{commitment.id} has no known deadline yet (it waits for another commitment): nothing to"
            " acknowledge",
        )
    if overdue_from > now:
        raise ActionRefused(
            f"{commitment.id} is not overdue (overdue from {when_words(overdue_from, zone)}): nothing to"
            f" acknowledge; to silence its reminders use `snooze {commitment.id} --until DATE`",
        )
    existing = active_ack(planner, commitment.id, now)
    if existing is not None:
        by = f" by {existing.actor}" if existing.actor else ""
        return ActionResult(
            "ack",
            commitment.id,
            f"{commitment.id} was already acknowledged{by} at {format_utc(existing.at)};"
            " nothing new recorded",
            existing.at,
            existing.actor or "",
            created=False,
            note=existing.note,
        )
    store.add_ack(commitment.id, now, note_text, actor=actor.name)
    return ActionResult(
        "ack",
        commitment.id,
        f"{commitment.id} acknowledged by {actor.name}: no overdue repeats or escalation until its status"
        " changes (undo with unack)",
        now,
        actor.name,
        note=note_text,
    )


def unacknowledge(
    planner: Planner,
    store: Store,
    now: datetime,
    actor: Actor,
    commitment_id: str,
    *,
    note: str | None = None,
) -> ActionResult:
    commitment = find_commitment(planner, commitment_id)
    note_text = clean_text(note, "note")
    if active_ack(planner, commitment.id, now) is None:
        raise ActionRefused(f"{commitment.id} is not acknowledged: nothing to undo")
    store.add_ack(commitment.id, now, note_text, actor=actor.name, lifted=True)
    return ActionResult(
        "unack",
        commitment.id,
        f"{commitment.id}: acknowledgement withdrawn by {actor.name}; overdue repeats and escalation resume",
        now,
        actor.name,
        note=note_text,
    )


def snooze(
    planner: Planner,
    store: Store,
    now: datetime,
    actor: Actor,
    commitment_id: str,
    *,
    until: str | None = None,
    duration: str | None = None,
    note: str | None = None,
) -> ActionResult:
    commitment = find_commitment(planner, commitment_id)
    note_text = clean_text(note, "note")
    zone = planner.watchlist.zone_of(commitment)
    if (until is None) == (duration is None):
        raise ActionRefused("give exactly one of until (a date or time) and for (a duration)", "until")
    if duration is not None:
        try:
            end = parse_duration(duration).apply(to_local(now, zone), zone)
        except (ValueError, OverflowError) as exc:
            raise ActionRefused(f"for {duration[:40]!r}: {exc}", "for") from None
        field = "for"
    else:
        assert until is not None
        end = read_when(until, zone, "until")
        field = "until"
    if end <= now:
        raise ActionRefused(
            f"{field}: the snooze must end in the future (it ends {when_words(end, zone)})", field
        )
    if end - now > MAX_SNOOZE:
        raise ActionRefused(
            f"{field}: a snooze lasts at most 5 years (it ends {when_words(end, zone)})", field
        )
    store.add_snooze(commitment.id, now, end, note_text, actor=actor.name)
    return ActionResult(
        "snooze",
        commitment.id,
        f"{commitment.id} snoozed by {actor.name} until {when_words(end, zone)}: nothing is sent about it"
        " until then (undo with unsnooze)",
        now,
        actor.name,
        note=note_text,
        until=end,
    )


def unsnooze(
    planner: Planner,
    store: Store,
    now: datetime,
    actor: Actor,
    commitment_id: str,
    *,
    note: str | None = None,
) -> ActionResult:
    commitment = find_commitment(planner, commitment_id)
    note_text = clean_text(note, "note")
    running = active_snooze(planner, commitment.id, now)
    if running is None:
        raise ActionRefused(f"{commitment.id} is not snoozed: nothing to undo")
    store.add_snooze(commitment.id, now, now, note_text, actor=actor.name, lifted=True)
    return ActionResult(
        "unsnooze",
        commitment.id,
        f"{commitment.id}: snooze lifted by {actor.name}; notifications resume now",
        now,
        actor.name,
        note=note_text,
    )
