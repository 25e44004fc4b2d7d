"""Acknowledgements and snoozes recorded by analysts (CLI, API, Slack buttons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Ack:
    """Stops ``overdue`` repeats and ``escalation`` from ``at`` until the commitment's status
    changes, or until ``until`` when the acknowledgement was withdrawn (``unack``)."""

    commitment_id: str
    at: datetime
    note: str | None = None
    actor: str | None = None
    until: datetime | None = None

    def holds_at(self, instant: datetime) -> bool:
        return self.at <= instant and (self.until is None or instant < self.until)


@dataclass(frozen=True)
class Snooze:
    """Nothing about the commitment is sent in ``[at, until)`` (``until`` already shortened when
    the snooze was lifted early)."""

    commitment_id: str
    at: datetime
    until: datetime
    note: str | None = None
    actor: str | None = None


@dataclass(frozen=True)
class Lift:
    """An ``unack``/``unsnooze``: ends what was recorded before it (by ``order``) at ``at``."""

    commitment_id: str
    at: datetime
    order: int


def lift_acks(acks: list[tuple[int, Ack]], lifts: list[Lift]) -> list[Ack]:
    """``acks`` (each with its recording order) with ``until`` set by the first later lift."""
    result: list[Ack] = []
    for order, ack in acks:
        ends = [
            lift.at
            for lift in lifts
            if lift.commitment_id == ack.commitment_id and lift.order > order and lift.at >= ack.at
        ]
        if ends:
            end = min(ends)
            if end <= ack.at:
                continue
            ack = Ack(ack.commitment_id, ack.at, ack.note, ack.actor, end)
        result.append(ack)
    return result


def lift_snoozes(snoozes: list[tuple[int, Snooze]], lifts: list[Lift]) -> list[Snooze]:
    """``snoozes`` cut short by the first later lift; a snooze lifted at its start disappears."""
    result: list[Snooze] = []
    for order, snooze in snoozes:
        ends = [
            lift.at
            for lift in lifts
            if lift.commitment_id == snooze.commitment_id and lift.order > order and lift.at >= snooze.at
        ]
        until = min([snooze.until, *ends])
        if until > snooze.at:
            result.append(Snooze(snooze.commitment_id, snooze.at, until, snooze.note, snooze.actor))
    return result
