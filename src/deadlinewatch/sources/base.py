"""What every status source shares: the error a poll fails with and the findings it returns.

A source turns bytes (a response body, a file) into findings; it never writes to the store and
never reads the clock (``now`` is an argument). :mod:`deadlinewatch.services.polling` acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from deadlinewatch.domain.model import StatusChange
from deadlinewatch.durations import Duration

__all__ = [
    "MAX_REASON",
    "Evidence",
    "Findings",
    "ProposedChange",
    "SourceError",
    "approximate_seconds",
    "shorten",
]

MAX_REASON = 500


def shorten(text: str, limit: int = 120) -> str:
    """``text`` on one line, cut to ``limit`` characters (with an ellipsis)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class SourceError(Exception):
    """A poll failed; ``reason`` says why in words an operator can act on ("HTTP 500",
    "timed out after 30 s", "body larger than 5 MB", "invalid XML: ...")."""

    def __init__(self, reason: str) -> None:
        self.reason = shorten(reason, MAX_REASON)
        super().__init__(self.reason)


@dataclass(frozen=True)
class ProposedChange:
    """A status a source says a commitment has; applied only if it differs from the current one."""

    commitment_id: str
    change: StatusChange


@dataclass(frozen=True)
class Evidence:
    """A new feed item matched a rule without ``set_status``: for an analyst to judge."""

    commitment_id: str
    title: str
    link: str | None
    published: datetime | None
    matched: str
    item_key: str


@dataclass(frozen=True)
class Findings:
    """What one poll of a source found. ``problems`` are partial failures (a bad file row, a value
    missing from ``map``) reported with the good findings; ``failure`` (if set) makes the poll count
    as failed even though the good findings are applied."""

    changes: tuple[ProposedChange, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    problems: tuple[str, ...] = ()
    failure: str | None = None
    seen_keys: tuple[str, ...] = field(default=())


def approximate_seconds(duration: Duration) -> float:
    """Elapsed seconds of a duration, counting a month as 30 days (for timeouts and jitter)."""
    return float(duration.months * 30 * 86_400 + duration.days * 86_400 + duration.seconds)
