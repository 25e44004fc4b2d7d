"""Acknowledgements and snoozes recorded by analysts (CLI, API, Slack buttons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Ack:
    """Stops ``overdue`` repeats and ``escalation`` until the commitment's status changes."""

    commitment_id: str
    at: datetime
    note: str | None = None


@dataclass(frozen=True)
class Snooze:
    """Nothing about the commitment is sent in ``[at, until)``."""

    commitment_id: str
    at: datetime
    until: datetime
    note: str | None = None
