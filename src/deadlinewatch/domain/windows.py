"""Deadline windows ``[opens, closes)`` on a zone's wall clock, and the due instant.

Local times are nominal (naive, as written); instants come last through ``to_instant``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deadlinewatch.domain.localtime import to_instant, to_local
from deadlinewatch.domain.model import AbsoluteDue, CalendarDue, Precision


@dataclass(frozen=True, slots=True)
class Window:
    """A known deadline. ``due_local`` is ``closes_local``, or ``opens_local`` with
    ``overdue_at: opens``."""

    precision: Precision
    zone: str
    opens_local: datetime
    closes_local: datetime
    overdue_at_opens: bool = False

    @property
    def due_local(self) -> datetime:
        return self.opens_local if self.overdue_at_opens else self.closes_local

    @property
    def opens(self) -> datetime:
        return to_instant(self.opens_local, self.zone)

    @property
    def closes(self) -> datetime:
        return to_instant(self.closes_local, self.zone)

    @property
    def due(self) -> datetime:
        return to_instant(self.due_local, self.zone)


def fixed_window(spec: CalendarDue | AbsoluteDue, zone_name: str, overdue_at_opens: bool = False) -> Window:
    """The window of a due written as a calendar period or an instant, in ``zone_name``."""
    if isinstance(spec, AbsoluteDue):
        local = to_local(spec.instant, zone_name)
        return Window(Precision.INSTANT, zone_name, local, local, overdue_at_opens)
    return Window(spec.precision, zone_name, spec.opens_local, spec.closes_local, overdue_at_opens)
