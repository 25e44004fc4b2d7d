"""Assemble the engine's :class:`Situation` from the config and the database."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from deadlinewatch.domain.acks import Ack, Lift, Snooze, lift_acks, lift_snoozes
from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import Commitment, StatusChange
from deadlinewatch.domain.planning import Situation
from deadlinewatch.domain.watchlist import Watchlist
from deadlinewatch.storage import Store

SEEN_HISTORY_KEY = "config_history_seen"


def history_fingerprint(commitment_id: str, change: StatusChange) -> str:
    raw = "\x1f".join((commitment_id, format_utc(change.at), change.status.value, change.note or ""))
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def stamp_new_history(watchlist: Watchlist, seen: set[str] | None, now: datetime) -> Watchlist:
    """Config history entries the service has not seen before (added by a reload, or edited in
    while it was down) take effect for notifications ``now``; with ``seen`` None (a first start)
    every entry is the initial state."""
    if seen is None:
        return watchlist
    commitments: dict[str, Commitment] = {}
    for cid, commitment in watchlist.commitments.items():
        history = tuple(
            change
            if history_fingerprint(cid, change) in seen
            else dataclasses.replace(change, recorded_at=now)
            for change in commitment.history
        )
        commitments[cid] = dataclasses.replace(commitment, history=history)
    return dataclasses.replace(watchlist, commitments=commitments)


def all_fingerprints(watchlist: Watchlist) -> list[str]:
    return sorted(
        history_fingerprint(cid, change)
        for cid, commitment in watchlist.commitments.items()
        for change in commitment.history
    )


@dataclass(frozen=True)
class Freshness:
    """Which recorded status changes are news. Changes with a database id above ``seen_id`` take
    effect for notifications at ``at``; the others are already known (``seen_id`` None: all of them,
    a first start). Deciding by id, not by time, means a change recorded while a tick runs can
    never fall between two ticks."""

    seen_id: int | None
    at: datetime


def situation_from_store(
    watchlist: Watchlist, store: Store | None, freshness: Freshness | None = None
) -> tuple[Situation, int]:
    """The watchlist plus what the database recorded (status changes, acks, snoozes), and the
    highest status-change id read; changes for commitments no longer in the config are ignored."""
    if store is None:
        return Situation(watchlist), 0
    known = watchlist.commitments
    changes: dict[str, list[StatusChange]] = {}
    highest = 0
    for record in store.status_changes():
        highest = max(highest, record.id)
        if record.commitment_id not in known:
            continue
        change = record.change
        if freshness is not None:
            fresh = freshness.seen_id is not None and record.id > freshness.seen_id
            change = dataclasses.replace(change, recorded_at=freshness.at if fresh else None)
        changes.setdefault(record.commitment_id, []).append(change)
    ack_rows = [a for a in store.acks() if a.commitment_id in known]
    acks: Iterable[Ack] = lift_acks(
        [(a.id, Ack(a.commitment_id, a.at, a.note, a.actor)) for a in ack_rows if not a.lifted],
        [Lift(a.commitment_id, a.at, a.id) for a in ack_rows if a.lifted],
    )
    snooze_rows = [s for s in store.snoozes() if s.commitment_id in known]
    snoozes: Iterable[Snooze] = lift_snoozes(
        [
            (s.id, Snooze(s.commitment_id, s.at, s.until, s.note, s.actor))
            for s in snooze_rows
            if not s.lifted
        ],
        [Lift(s.commitment_id, s.at, s.id) for s in snooze_rows if s.lifted],
    )
    return Situation(watchlist, changes, tuple(acks), tuple(snoozes)), highest
