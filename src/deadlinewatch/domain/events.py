"""What each event says: one frozen type per event kind, with exactly the fields its messages
need. The planner fills them; the ledger stores them (tagged by ``kind``, a discriminated union);
every renderer (Slack, email, console, replay) reads them by attribute, so mypy tells when a
renderer asks for a field the planner never fills.

Instants are UTC text (``2016-08-31T21:00:00Z``), durations as written in the policy: the values
are JSON-ready and print the same in ``replay`` as in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from deadlinewatch.domain.model import EventKind


@dataclass(frozen=True)
class Reminder:
    due: str
    before: str  # as written in the policy (``30d``)
    kind: Literal["reminder"] = "reminder"


@dataclass(frozen=True)
class WindowOpen:
    opens: str
    due: str
    kind: Literal["window_open"] = "window_open"


@dataclass(frozen=True)
class Overdue:
    due: str
    repeat: int
    kind: Literal["overdue"] = "overdue"


@dataclass(frozen=True)
class Escalation:
    due: str
    kind: Literal["escalation"] = "escalation"


@dataclass(frozen=True)
class Review:
    n: int
    kind: Literal["review"] = "review"


@dataclass(frozen=True)
class StatusChanged:
    """A status change from any origin. ``at`` is when it happened; ``actor`` who recorded it (an
    OS user, an API token's name, a Slack user), None for config history and sources."""

    previous: str
    status: str
    at: str | None = None
    note: str | None = None
    url: str | None = None
    verified: bool = False
    origin: str = "config"
    actor: str | None = None
    kind: Literal["status_changed"] = "status_changed"


@dataclass(frozen=True)
class DeadlineChanged:
    before: str | None
    after: str | None
    kind: Literal["deadline_changed"] = "deadline_changed"


@dataclass(frozen=True)
class Evidence:
    source: str
    title: str
    link: str | None = None
    published: str | None = None
    matched: str | None = None
    kind: Literal["evidence"] = "evidence"


@dataclass(frozen=True)
class SourceFailing:
    reason: str
    kind: Literal["source_failing"] = "source_failing"


@dataclass(frozen=True)
class SourceRecovered:
    reason: str | None = None  # the error it recovered from
    kind: Literal["source_recovered"] = "source_recovered"


@dataclass(frozen=True)
class ChannelFailing:
    channel: str
    error: str
    kind: Literal["channel_failing"] = "channel_failing"


@dataclass(frozen=True)
class ConfigError:
    """The first error's place and message, and every error line (at most the first ten)."""

    file: str
    line: int
    column: int
    message: str
    count: int = 1
    errors: tuple[str, ...] = ()
    kind: Literal["config_error"] = "config_error"


@dataclass(frozen=True)
class Digest:
    overdue: tuple[str, ...]
    closing: tuple[str, ...]
    kind: Literal["digest"] = "digest"


EventData = (
    Reminder
    | WindowOpen
    | Overdue
    | Escalation
    | Review
    | StatusChanged
    | DeadlineChanged
    | Evidence
    | SourceFailing
    | SourceRecovered
    | ChannelFailing
    | ConfigError
    | Digest
)


class SubjectKind(StrEnum):
    """What a notification is about (its ``subject`` string names one of these)."""

    COMMITMENT = "commitment"
    SOURCE = "source"
    CHANNEL = "channel"
    CONFIG = "config"
    DIGEST = "digest"


def kind_of(data: EventData) -> EventKind:
    return _KINDS[data.kind]


_KINDS = {kind.value: kind for kind in EventKind}  # a dict look-up: called once per notice


def subject_kind(kind: EventKind) -> SubjectKind:
    if kind in (EventKind.SOURCE_FAILING, EventKind.SOURCE_RECOVERED):
        return SubjectKind.SOURCE
    if kind is EventKind.CHANNEL_FAILING:
        return SubjectKind.CHANNEL
    if kind is EventKind.CONFIG_ERROR:
        return SubjectKind.CONFIG
    if kind is EventKind.DIGEST:
        return SubjectKind.DIGEST
    return SubjectKind.COMMITMENT


def replay_fields(data: EventData) -> dict[str, object]:
    """The event's keys of a ``replay --format jsonl`` line (SPEC §8), exactly."""
    match data:
        case Reminder(due=due, before=before):
            return {"due": due, "before": before}
        case WindowOpen(opens=opens, due=due):
            return {"opens": opens, "due": due}
        case Overdue(due=due, repeat=repeat):
            return {"due": due, "repeat": repeat}
        case Escalation(due=due):
            return {"due": due}
        case Review(n=n):
            return {"n": n}
        case StatusChanged(previous=previous, status=status):
            return {"previous": previous, "status": status}
        case DeadlineChanged(before=before, after=after):
            return {"before": before, "after": after}
        case Digest(overdue=overdue, closing=closing):
            return {"overdue": list(overdue), "closing": list(closing)}
        case Evidence(title=title, link=link):
            return {"title": title, "link": link}
        case SourceFailing(reason=reason):
            return {"reason": reason}
        case SourceRecovered(reason=reason):
            return {"reason": reason}
        case ChannelFailing(channel=channel, error=error):
            return {"channel": channel, "error": error}
        case ConfigError(file=file, line=line, column=column, message=message):
            return {"file": file, "line": line, "column": column, "message": message}
    raise AssertionError(f"unhandled event {data!r}")  # pragma: no cover


def due_of(data: EventData) -> str | None:
    """The due a scheduled occurrence was decided for (None for events without one)."""
    if isinstance(data, Reminder | WindowOpen | Overdue | Escalation):
        return data.due
    return None
