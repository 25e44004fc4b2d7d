"""The one storage facade the rest of the service uses.

Every method runs its own short transaction and returns plain frozen values
(:mod:`deadlinewatch.storage.records`). ``now`` arguments are instants from the caller's clock
(simulated in ``replay``); where one is optional, ``None`` means the database's clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from deadlinewatch.domain.model import Status, StatusChange
from deadlinewatch.storage.ledger_pages import LedgerPages
from deadlinewatch.storage.monitoring import MonitoringQueries
from deadlinewatch.storage.outbox import OutboxRepository, _chunks
from deadlinewatch.storage.records import AckRecord, SnoozeRecord, SourceState, StatusChangeRecord
from deadlinewatch.storage.tables import (
    AckFields,
    AckRow,
    EngineStateRow,
    SlackThreadRow,
    SnoozeFields,
    SnoozeRow,
    SourceItemRow,
    SourceStateRow,
    StatusChangeFields,
    StatusChangeRow,
)

_status = StatusChangeRow.__table__  # type: ignore[attr-defined]
_ack = AckRow.__table__  # type: ignore[attr-defined]
_snooze = SnoozeRow.__table__  # type: ignore[attr-defined]
_state = EngineStateRow.__table__  # type: ignore[attr-defined]
_thread = SlackThreadRow.__table__  # type: ignore[attr-defined]
_source = SourceStateRow.__table__  # type: ignore[attr-defined]
_item = SourceItemRow.__table__  # type: ignore[attr-defined]


WRITE_PROBE_KEY = "write_probe"


def _stamp(now: datetime | None) -> Any:
    return now if now is not None else func.current_timestamp()


def _status_record(row: Row[Any]) -> StatusChangeRecord:
    m = row._mapping
    return StatusChangeRecord(
        id=m["id"],
        commitment_id=m["commitment_id"],
        at=m["at"],
        status=Status(m["status"]),
        note=m["note"],
        url=m["url"],
        origin=m["origin"],
        verified=bool(m["verified"]),
        recorded_at=m["recorded_at"],
        actor=m["actor"],
    )


class Store(OutboxRepository, MonitoringQueries, LedgerPages):
    """Ledger/outbox (see :class:`OutboxRepository`), status history, acks, snoozes, engine state,
    Slack threads and source state, on one engine (SQLite or PostgreSQL)."""

    # --- health --------------------------------------------------------------------------------

    def ping(self) -> bool:
        """Whether the database answers a read of a real table (for ``/readyz``); never raises."""
        try:
            return MonitoringQueries.ping(self)
        except SQLAlchemyError:
            return False

    def writable(self) -> bool:
        """False while writes fail because the disk is full (for ``/readyz``); never raises. Free
        unless a write failed that way: then one probe write says whether space is back."""
        if self.write_failure is None:
            return True
        if not self.probe_write():
            return False
        self.write_failure = None
        return True

    def probe_write(self) -> bool:
        """Whether one small write succeeds now (never raises)."""
        try:
            self.set_state(WRITE_PROBE_KEY, "probe")
        except SQLAlchemyError:
            return False
        return True

    def change_marker(self) -> tuple[int, int, int]:
        """The highest ids of status changes, acks and snoozes: cheap to poll, and different as
        soon as another process (the CLI, another replica) records one."""
        query = select(
            select(func.coalesce(func.max(_status.c.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(_ack.c.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(_snooze.c.id), 0)).scalar_subquery(),
        )
        with self._read() as connection:
            row = connection.execute(query).one()
        return int(row[0]), int(row[1]), int(row[2])

    # --- status history, acks, snoozes ------------------------------------------------------------

    def add_status_change(
        self, commitment_id: str, change: StatusChange, recorded_at: datetime
    ) -> StatusChangeRecord:
        fields = StatusChangeFields.model_validate(
            {
                "commitment_id": commitment_id,
                "at": change.at,
                "status": Status(change.status).value,
                "note": change.note,
                "url": change.url,
                "origin": change.origin,
                "verified": change.verified,
                "recorded_at": recorded_at,
                "actor": change.actor,
            }
        )
        with self._write() as connection:
            row = connection.execute(
                insert(_status).values(**fields.model_dump()).returning(*_status.c)
            ).one()
        return _status_record(row)

    def status_changes(self, commitment_id: str | None = None) -> list[StatusChangeRecord]:
        """Recorded changes in time order (same ``at``: in recording order)."""
        query = select(_status).order_by(_status.c.at, _status.c.id)
        if commitment_id is not None:
            query = query.where(_status.c.commitment_id == commitment_id)
        with self._read() as connection:
            return [_status_record(row) for row in connection.execute(query)]

    def add_ack(
        self,
        commitment_id: str,
        at: datetime,
        note: str | None = None,
        *,
        actor: str | None = None,
        lifted: bool = False,
    ) -> AckRecord:
        """An acknowledgement from ``at`` on; ``lifted`` records its withdrawal at ``at`` instead."""
        fields = AckFields.model_validate(
            {"commitment_id": commitment_id, "at": at, "note": note, "actor": actor, "lifted": lifted}
        )
        with self._write() as connection:
            row = connection.execute(insert(_ack).values(**fields.model_dump()).returning(*_ack.c)).one()
        return _ack_record(row)

    def acks(self, commitment_id: str | None = None) -> list[AckRecord]:
        query = select(_ack).order_by(_ack.c.at, _ack.c.id)
        if commitment_id is not None:
            query = query.where(_ack.c.commitment_id == commitment_id)
        with self._read() as connection:
            return [_ack_record(r) for r in connection.execute(query)]

    def add_snooze(
        self,
        commitment_id: str,
        at: datetime,
        until: datetime,
        note: str | None = None,
        *,
        actor: str | None = None,
        lifted: bool = False,
    ) -> SnoozeRecord:
        """A snooze from ``at`` to ``until`` (which must be later: a snooze has an end);
        ``lifted`` records instead that every snooze running at ``at`` ends there."""
        fields = SnoozeFields.model_validate(
            {
                "commitment_id": commitment_id,
                "at": at,
                "until": until,
                "note": note,
                "actor": actor,
                "lifted": lifted,
            }
        )
        if fields.until < fields.at or (fields.until == fields.at and not lifted):
            raise ValueError("a snooze must end after it starts")
        with self._write() as connection:
            row = connection.execute(
                insert(_snooze).values(**fields.model_dump()).returning(*_snooze.c)
            ).one()
        return _snooze_record(row)

    def snoozes(self, commitment_id: str | None = None) -> list[SnoozeRecord]:
        query = select(_snooze).order_by(_snooze.c.at, _snooze.c.id)
        if commitment_id is not None:
            query = query.where(_snooze.c.commitment_id == commitment_id)
        with self._read() as connection:
            return [_snooze_record(r) for r in connection.execute(query)]

    # --- engine state --------------------------------------------------------------------------

    def get_state(self, key: str) -> Any:
        """The JSON value stored under ``key``, or ``None``."""
        with self._read() as connection:
            return connection.execute(select(_state.c.value).where(_state.c.key == key)).scalar()

    def set_state(self, key: str, value: Any, now: datetime | None = None) -> None:
        """Store a JSON-ready ``value`` under ``key`` (replacing any previous one)."""
        stmt = self._insert(_state).values(key=key, value=value, updated_at=_stamp(now))
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        with self._write() as connection:
            connection.execute(stmt)

    # --- Slack threads -------------------------------------------------------------------------

    def slack_thread(self, channel: str, commitment_id: str) -> str | None:
        """The ``ts`` of the first message about ``commitment_id`` in ``channel``, if any."""
        query = select(_thread.c.ts).where(
            _thread.c.channel == channel, _thread.c.commitment_id == commitment_id
        )
        with self._read() as connection:
            value = connection.execute(query).scalar()
        return str(value) if value is not None else None

    def set_slack_thread(self, channel: str, commitment_id: str, ts: str) -> str:
        """Remember ``ts`` as the thread unless one is already known; returns the thread's ts."""
        stmt = self._insert(_thread).values(channel=channel, commitment_id=commitment_id, ts=ts)
        stmt = stmt.on_conflict_do_nothing(index_elements=["channel", "commitment_id"])
        query = select(_thread.c.ts).where(
            _thread.c.channel == channel, _thread.c.commitment_id == commitment_id
        )
        with self._write() as connection:
            connection.execute(stmt)
            return str(connection.execute(query).scalar_one())

    # --- sources -------------------------------------------------------------------------------

    def source_state(self, source_id: str) -> SourceState | None:
        with self._read() as connection:
            row = connection.execute(select(_source).where(_source.c.source_id == source_id)).first()
        if row is None:
            return None
        return SourceState(
            source_id=row.source_id,
            etag=row.etag,
            last_modified=row.last_modified,
            consecutive_failures=row.consecutive_failures,
            failing=bool(row.failing),
            last_error=row.last_error,
            updated_at=row.updated_at,
        )

    def save_source_state(self, state: SourceState) -> None:
        """Insert or replace a source's state (``updated_at`` ``None``: the database's clock)."""
        values = {
            "source_id": state.source_id,
            "etag": state.etag,
            "last_modified": state.last_modified,
            "consecutive_failures": state.consecutive_failures,
            "failing": state.failing,
            "last_error": state.last_error,
            "updated_at": _stamp(state.updated_at),
        }
        stmt = self._insert(_source).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["source_id"],
            set_={name: stmt.excluded[name] for name in values if name != "source_id"},
        )
        with self._write() as connection:
            connection.execute(stmt)

    def mark_items_seen(self, source_id: str, keys: Iterable[str], now: datetime | None = None) -> set[str]:
        """Record items (guid/link) of a source as seen; returns the keys not seen before."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return set()
        stmt = (
            self._insert(_item)
            .values(seen_at=_stamp(now))
            .on_conflict_do_nothing(index_elements=["source_id", "item_key"])
            .returning(_item.c.item_key)
        )
        fresh: set[str] = set()
        with self._write() as connection:
            for chunk in _chunks(wanted):
                params = [{"source_id": source_id, "item_key": key} for key in chunk]
                fresh.update(connection.execute(stmt, params).scalars())
        return fresh


def _ack_record(row: Any) -> AckRecord:
    return AckRecord(
        id=row.id,
        commitment_id=row.commitment_id,
        at=row.at,
        note=row.note,
        actor=row.actor,
        lifted=bool(row.lifted),
    )


def _snooze_record(row: Any) -> SnoozeRecord:
    return SnoozeRecord(
        id=row.id,
        commitment_id=row.commitment_id,
        at=row.at,
        until=row.until,
        note=row.note,
        actor=row.actor,
        lifted=bool(row.lifted),
    )
