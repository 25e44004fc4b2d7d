"""The domain's value objects: what the config says, after validation, in plain frozen types.

The config layer builds these (``config/``); the engine (``domain/``) reads them. Nothing here
knows about YAML, pydantic or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum

from deadlinewatch.durations import Duration


class Precision(StrEnum):
    INSTANT = "instant"
    DAY = "day"
    WEEK = "week"
    PART_OF_MONTH = "part_of_month"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    OPEN = "open"


# Precisions whose window opening is announced with a ``window_open`` event.
WINDOWED = frozenset(
    {Precision.WEEK, Precision.PART_OF_MONTH, Precision.MONTH, Precision.QUARTER, Precision.YEAR}
)


class Status(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PARTIAL = "partial"
    CONTESTED = "contested"
    FULFILLED = "fulfilled"
    MISSED = "missed"
    SUPERSEDED = "superseded"
    ABANDONED = "abandoned"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({Status.FULFILLED, Status.MISSED, Status.SUPERSEDED, Status.ABANDONED})


class EventKind(StrEnum):
    """Every event, in the order of SPEC §5's table (the tie-break order of output lines)."""

    REMINDER = "reminder"
    WINDOW_OPEN = "window_open"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    REVIEW = "review"
    STATUS_CHANGED = "status_changed"
    DEADLINE_CHANGED = "deadline_changed"
    EVIDENCE = "evidence"
    SOURCE_FAILING = "source_failing"
    SOURCE_RECOVERED = "source_recovered"
    CHANNEL_FAILING = "channel_failing"
    CONFIG_ERROR = "config_error"
    DIGEST = "digest"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {kind: i for i, kind in enumerate(EventKind)}

COMMITMENT_EVENTS = frozenset(
    {
        EventKind.REMINDER,
        EventKind.WINDOW_OPEN,
        EventKind.OVERDUE,
        EventKind.ESCALATION,
        EventKind.REVIEW,
        EventKind.STATUS_CHANGED,
        EventKind.DEADLINE_CHANGED,
        EventKind.EVIDENCE,
    }
)
OPERATIONAL_EVENTS = frozenset(
    {
        EventKind.SOURCE_FAILING,
        EventKind.SOURCE_RECOVERED,
        EventKind.CHANNEL_FAILING,
        EventKind.CONFIG_ERROR,
    }
)
# Scheduled occurrences: checked against the status at their own instant.
SCHEDULED_EVENTS = frozenset(
    {
        EventKind.REMINDER,
        EventKind.WINDOW_OPEN,
        EventKind.OVERDUE,
        EventKind.ESCALATION,
        EventKind.REVIEW,
    }
)


# --- due forms -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarDue:
    """A window written on the commitment's wall clock (instant, day, week, part of month, month,
    quarter, year). ``opens_local``/``closes_local`` are nominal naive datetimes."""

    precision: Precision
    opens_local: datetime
    closes_local: datetime


@dataclass(frozen=True)
class AbsoluteDue:
    """An instant written with ``Z`` or an offset; ``instant`` is aware."""

    instant: datetime


class OpenKind(StrEnum):
    ASAP = "asap"
    IMMEDIATE = "immediate"
    OPEN = "open"


@dataclass(frozen=True)
class OpenDue:
    kind: OpenKind


ANNOUNCED = "announced"


@dataclass(frozen=True)
class RelativeDue:
    """``{after: ID | announced, within: DURATION}``."""

    after: str
    within: Duration


class DerivedMode(StrEnum):
    EARLIEST = "earliest_of"
    LATEST = "latest_of"


@dataclass(frozen=True)
class DerivedDue:
    mode: DerivedMode
    members: tuple[DueSpec, ...]


DueSpec = CalendarDue | AbsoluteDue | OpenDue | RelativeDue | DerivedDue


# --- config objects ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusChange:
    """One recorded change. ``at`` is an aware instant."""

    at: datetime
    status: Status
    note: str | None = None
    url: str | None = None
    origin: str = "config"
    verified: bool = False
    actor: str | None = None  # who recorded it (OS user, API token name, Slack user); None = config
    # When the service learnt of it (a later reload, a backdated `update`); None = at ``at``.
    recorded_at: datetime | None = None

    @property
    def noticed(self) -> datetime:
        """The instant the change takes effect for notifications: ``max(at, recorded_at)``."""
        if self.recorded_at is None or self.recorded_at <= self.at:
            return self.at
        return self.recorded_at


@dataclass(frozen=True)
class PolicySpec:
    """A policy as written: ``None`` = not set here (inherit)."""

    remind_before: tuple[Duration, ...] | None = None
    grace: Duration | None = None
    repeat_overdue_every: Duration | None = None
    escalate_after: Duration | None = None  # a zero duration written as "none" is stored as None
    escalate_after_set: bool = False
    review_every: Duration | None = None


@dataclass(frozen=True)
class Policy:
    """A resolved policy. ``repeat_overdue_every``/``escalate_after`` ``None`` = off;
    ``review_every`` ``None`` = the built-in default for the commitment's open form."""

    remind_before: tuple[Duration, ...]
    grace: Duration
    repeat_overdue_every: Duration | None
    escalate_after: Duration | None
    review_every: Duration | None


@dataclass(frozen=True)
class Agreement:
    id: str
    title: str
    announced: datetime | None = None  # naive local (date at 00:00) or aware
    parties: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    source: str | None = None
    timezone: str | None = None
    policy: str | None = None


@dataclass(frozen=True)
class Commitment:
    id: str
    title: str
    due: DueSpec
    agreement: str | None = None
    parties: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    timezone: str | None = None  # own zone only; see Watchlist.zone_of
    announced: datetime | None = None  # own value only; see Watchlist.announced_of
    policy: str | None = None
    overdue_at_opens: bool = False
    history: tuple[StatusChange, ...] = ()  # in time order, same-`at` entries in file order
    description: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Match:
    agreements: frozenset[str] | None = None
    commitments: frozenset[str] | None = None
    tags: frozenset[str] | None = None
    parties: frozenset[str] | None = None


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    timezone: str


@dataclass(frozen=True)
class Digest:
    cron: str
    timezone: str
    horizon: Duration


@dataclass(frozen=True)
class Subscription:
    name: str
    notify: tuple[str, ...]
    match: Match = field(default_factory=Match)
    events: frozenset[EventKind] | None = None  # None = every commitment event
    policy: str | None = None
    quiet_hours: QuietHours | None = None
    digest: Digest | None = None
