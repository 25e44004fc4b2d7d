"""A commitment's status over time (SPEC §4).

Changes are applied in time order; entries with the same ``at`` are one change, from the status
before to the last of them, and a change to the status already in force is no change.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from deadlinewatch.domain.model import Status, StatusChange


@dataclass(frozen=True)
class EffectiveChange:
    """One real change of status, at ``at`` (the instant it took effect)."""

    at: datetime
    noticed: datetime
    previous: Status
    status: Status
    change: StatusChange


class StatusTimeline:
    """The effective statuses of one commitment; ``status_at(t)`` counts changes at ``t``."""

    def __init__(self, changes: Iterable[StatusChange], initial: Status = Status.NOT_STARTED) -> None:
        ordered = sorted(changes, key=lambda c: c.at)  # stable: same-`at` entries keep file order
        effective: list[EffectiveChange] = []
        current = initial
        i = 0
        while i < len(ordered):
            j = i
            while j + 1 < len(ordered) and ordered[j + 1].at == ordered[i].at:
                j += 1
            last = ordered[j]
            if last.status != current:
                noticed = max(c.noticed for c in ordered[i : j + 1])
                effective.append(EffectiveChange(last.at, noticed, current, last.status, last))
                current = last.status
            i = j + 1
        self.initial = initial
        self.changes: tuple[EffectiveChange, ...] = tuple(effective)
        self._instants = [c.at for c in effective]

    def status_at(self, instant: datetime) -> Status:
        index = bisect.bisect_right(self._instants, instant)
        return self.changes[index - 1].status if index else self.initial

    def current(self) -> Status:
        return self.changes[-1].status if self.changes else self.initial

    def first_fulfilled(self) -> datetime | None:
        """The instant of the first change into ``fulfilled`` (day 0 of dependants)."""
        for change in self.changes:
            if change.status is Status.FULFILLED:
                return change.at
        return None

    def first_fulfilled_noticed(self) -> datetime | None:
        for change in self.changes:
            if change.status is Status.FULFILLED:
                return change.noticed
        return None

    def changed_between(self, after: datetime, until: datetime) -> bool:
        """Whether any change took effect in ``(after, until]``."""
        index = bisect.bisect_right(self._instants, after)
        return index < len(self._instants) and self._instants[index] <= until
