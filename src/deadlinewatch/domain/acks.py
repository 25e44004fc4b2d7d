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


def _lifted_at(commitment_id: str, order: int, start: datetime, lifts: list[Lift]) -> datetime | None:
    """When the first lift recorded after ``order`` (and not before ``start``) ends it, if any."""
    ends = [
        lift.at
        for lift in lifts
        if lift.commitment_id == commitment_id and lift.order > order and lift.at >= start
    ]
    return min(ends) if ends else None


def lift_acks(acks: list[tuple[int, Ack]], lifts: list[Lift]) -> list[Ack]:
    """``acks`` (each with its recording order) with ``until`` set by the first later lift."""
    result: list[Ack] = []
    for order, ack in acks:
        end = _lifted_at(ack.commitment_id, order, ack.at, lifts)
        if end is not None:
            if end <= ack.at:
                continue
            ack = Ack(ack.commitment_id, ack.at, ack.note, ack.actor, end)
        result.append(ack)
    return result


def lift_snoozes(snoozes: list[tuple[int, Snooze]], lifts: list[Lift]) -> list[Snooze]:
    """``snoozes`` cut short by the first later lift; a snooze lifted at its start disappears."""
    result: list[Snooze] = []
    for order, snooze in snoozes:
        end = _lifted_at(snooze.commitment_id, order, snooze.at, lifts)
        until = snooze.until if end is None else min(snooze.until, end)
        if until > snooze.at:
            result.append(Snooze(snooze.commitment_id, snooze.at, until, snooze.note, snooze.actor))
    return result
