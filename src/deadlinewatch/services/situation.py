"""Assemble the engine's :class:`Situation` from the config and the database."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from datetime import datetime

from deadlinewatch.domain.acks import Ack, Snooze
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


def situation_from_store(watchlist: Watchlist, store: Store | None) -> Situation:
    """The watchlist plus what the database recorded (status changes, acks, snoozes); changes for
    commitments no longer in the config are ignored."""
    if store is None:
        return Situation(watchlist)
    known = watchlist.commitments
    changes: dict[str, list[StatusChange]] = {}
    for record in store.status_changes():
        if record.commitment_id in known:
            changes.setdefault(record.commitment_id, []).append(record.change)
    acks: Iterable[Ack] = [
        Ack(a.commitment_id, a.at, a.note) for a in store.acks() if a.commitment_id in known
    ]
    snoozes: Iterable[Snooze] = [
        Snooze(s.commitment_id, s.at, s.until, s.note) for s in store.snoozes() if s.commitment_id in known
    ]
    return Situation(watchlist, changes, tuple(acks), tuple(snoozes))
