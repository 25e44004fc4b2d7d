"""Reads for health checks and metrics, and small bookkeeping rows: the deployment id, requests
seen once (Slack replay protection), calendar versions. All on the ``engine_state`` table or
indexed reads of the ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select

from deadlinewatch.storage.outbox import Repository
from deadlinewatch.storage.tables import EngineStateRow, Notification, NotificationState, SourceStateRow

__all__ = ["DEPLOYMENT_KEY", "ChannelLedger", "LedgerStats", "MonitoringQueries"]

_state = EngineStateRow.__table__  # type: ignore[attr-defined]
_source = SourceStateRow.__table__  # type: ignore[attr-defined]
_n = Notification.__table__.c  # type: ignore[attr-defined]
DEPLOYMENT_KEY = "deployment_id"
_ONCE_PREFIX = "once:"
_WAITING = (NotificationState.PENDING.value, NotificationState.SENDING.value)


@dataclass(frozen=True)
class ChannelLedger:
    """One channel's rows that still wait (due now or held for later) or failed."""

    due: int = 0
    scheduled: int = 0
    retrying: int = 0  # waiting rows that have failed at least once
    failed: int = 0
    oldest_due: datetime | None = None


@dataclass(frozen=True)
class LedgerStats:
    by_state: dict[NotificationState, int]
    by_channel: dict[str, ChannelLedger] = field(default_factory=dict)
    failing_channels: frozenset[str] = frozenset()
    # source id -> consecutive failed polls (0: its last poll succeeded), failing flag
    sources: dict[str, tuple[int, bool]] = field(default_factory=dict)

    @property
    def oldest_due(self) -> datetime | None:
        instants = [c.oldest_due for c in self.by_channel.values() if c.oldest_due is not None]
        return min(instants) if instants else None


class MonitoringQueries(Repository):
    def ping(self) -> bool:
        """Whether the database answers a read of a real table (for ``/readyz``); raises on error."""
        with self._read() as connection:
            connection.execute(select(_state.c.key).limit(1)).all()
        return True

    def ledger_stats(self, now: datetime, failing_prefix: str) -> LedgerStats:
        """Rows by state, waiting and failed rows by channel, channels marked failing. Reads the
        waiting and failed rows only (through the state index), never the whole ledger."""
        counts = dict.fromkeys(NotificationState, 0)
        channels: dict[str, ChannelLedger] = {}
        waiting = (
            select(
                _n.channel,
                func.sum(case((_n.send_at <= now, 1), else_=0)),
                func.sum(case((_n.send_at > now, 1), else_=0)),
                func.sum(case((_n.attempts > 0, 1), else_=0)),
                func.min(case((_n.send_at <= now, _n.send_at), else_=None)),
            )
            .where(_n.state.in_(_WAITING))
            .group_by(_n.channel)
        )
        failed = (
            select(_n.channel, func.count())
            .where(_n.state == NotificationState.FAILED.value)
            .group_by(_n.channel)
        )
        failing = select(_state.c.key, _state.c.value).where(_state.c.key.startswith(failing_prefix))
        with self._read() as connection:
            for state, count in connection.execute(select(_n.state, func.count()).group_by(_n.state)):
                counts[NotificationState(state)] = int(count)
            for channel, due, scheduled, retrying, oldest in connection.execute(waiting):
                channels[channel] = ChannelLedger(
                    int(due or 0), int(scheduled or 0), int(retrying or 0), 0, oldest
                )
            for channel, count in connection.execute(failed):
                current = channels.get(channel, ChannelLedger())
                channels[channel] = ChannelLedger(
                    current.due, current.scheduled, current.retrying, int(count), current.oldest_due
                )
            marked = frozenset(
                str(key).removeprefix(failing_prefix) for key, value in connection.execute(failing) if value
            )
            sources = {
                str(row.source_id): (int(row.consecutive_failures), bool(row.failing))
                for row in connection.execute(
                    select(_source.c.source_id, _source.c.consecutive_failures, _source.c.failing)
                )
            }
        return LedgerStats(counts, channels, marked, sources)

    # --- deployment id ---------------------------------------------------------------------------

    def deployment_id(self) -> str | None:
        with self._read() as connection:
            value = connection.execute(select(_state.c.value).where(_state.c.key == DEPLOYMENT_KEY)).scalar()
        return str(value) if value else None

    def ensure_deployment_id(self) -> str:
        """A random id for this database, made once (first writer wins): calendar UIDs carry it."""
        stmt = self._insert(_state).values(
            key=DEPLOYMENT_KEY, value=uuid.uuid4().hex[:16], updated_at=func.current_timestamp()
        )
        with self._write() as connection:
            connection.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
            query = select(_state.c.value).where(_state.c.key == DEPLOYMENT_KEY)
            return str(connection.execute(query).scalar())

    # --- once-only requests --------------------------------------------------------------------------

    def first_time(self, key: str, now: datetime, keep: timedelta) -> bool:
        """Record ``key`` as seen; False when it was seen within ``keep`` before ``now`` (a replay).
        Keys older than ``keep`` are forgotten on the way (so the table stays small)."""
        full = _ONCE_PREFIX + key
        stmt = (
            self._insert(_state)
            .values(key=full, value=True, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(_state.c.key)
        )
        with self._write() as connection:
            connection.execute(
                delete(_state).where(_state.c.key.startswith(_ONCE_PREFIX), _state.c.updated_at < now - keep)
            )
            inserted: Any = connection.execute(stmt).first()
        return inserted is not None
