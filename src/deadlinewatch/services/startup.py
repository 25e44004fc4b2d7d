"""The block ``run`` prints once it has started: what it watches, which channels work and which
are skipped (and why), where the dashboard is, and when the next notification is due. Pure: the
service gathers the facts, this module words them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from deadlinewatch.domain.localtime import format_utc

HEADLINE = "deadlinewatch running"


@dataclass(frozen=True)
class StartupFacts:
    config: str
    database: str
    commitments: int
    agreements: int
    subscriptions: int
    sources: int
    ready: Sequence[str]
    skipped: Mapping[str, str]
    dashboard: str | None  # its URL; None when HTTP is off
    next_due: datetime | None
    pending: int  # rows waiting to be sent now (a catch-up at start)
    problems: Sequence[str] = field(default_factory=tuple)  # e.g. no channel can deliver
    leader: bool = True  # False: another replica plans (and knows what is next)


def summary(facts: StartupFacts, now: datetime) -> str:
    """A few lines, the first of which starts with :data:`HEADLINE`."""
    lines = [
        f"{HEADLINE}: watching {_count(facts.commitments, 'commitment')} "
        f"({_count(facts.agreements, 'agreement')}), {_count(facts.subscriptions, 'subscription')}, "
        f"{_count(facts.sources, 'source')}",
        f"  config:     {facts.config}",
        f"  database:   {facts.database}",
        f"  channels:   ready: {', '.join(facts.ready) or 'none'}",
    ]
    for name, reason in sorted(facts.skipped.items()):
        lines.append(f"              skipped: {name} — {reason}; nothing is recorded for it")
    if facts.dashboard:
        base = facts.dashboard.rstrip("/")
        lines.append(f"  dashboard:  {facts.dashboard}")
        lines.append(f"              also {base}/calendar.ics, {base}/api/commitments, /metrics, /readyz")
    else:
        lines.append("  dashboard:  off (no http.listen in the config and no --http)")
    if facts.pending:
        lines.append(f"  now:        {_count(facts.pending, 'notification')} to send (catch-up at start)")
    if not facts.leader:
        lines.append("  next due:   planned by the leader replica (this one delivers and serves HTTP)")
    elif facts.next_due is None:
        lines.append("  next due:   nothing scheduled")
    else:
        lines.append(f"  next due:   {format_utc(facts.next_due)} ({_in(facts.next_due - now)})")
    lines.extend(f"  warning:    {problem}" for problem in facts.problems)
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _in(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "now"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"in {days} d {hours} h"
    if hours:
        return f"in {hours} h {minutes} min"
    return f"in {max(minutes, 1)} min"
