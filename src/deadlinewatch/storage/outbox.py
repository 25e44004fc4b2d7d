"""The ledger as a durable outbox: insert decisions once, claim them with a lease, record outcomes.

Claiming is safe across processes and replicas: on PostgreSQL the candidate rows are locked with
``FOR UPDATE SKIP LOCKED`` (concurrent claimers take different rows without waiting); on SQLite
the transaction starts with ``BEGIN IMMEDIATE`` so claimers are serialised by the write lock. In
both, the UPDATE repeats the claim condition, so a row is only taken while it is claimable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Row, and_, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from deadlinewatch.domain.model import EventKind
from deadlinewatch.storage.database import WRITE
from deadlinewatch.storage.errors import brief, is_disk_full
from deadlinewatch.storage.records import NewNotification, NotificationRecord
from deadlinewatch.storage.tables import Notification, NotificationState, SlackThreadRow

_T = Notification.__table__  # type: ignore[attr-defined]
_thread = SlackThreadRow.__table__  # type: ignore[attr-defined]
_c = _T.c
_CHUNK = 500


def _sqlite_binders(engine: Engine) -> tuple[Callable[[datetime], Any], Callable[[Any], Any]]:
    """How the ``notification`` table's instant and JSON columns bind a value on ``engine``."""
    dialect = engine.dialect
    instant = _c.send_at.type.dialect_impl(dialect).bind_processor(dialect)
    document = _c.payload.type.dialect_impl(dialect).bind_processor(dialect)
    if instant is None or document is None:
        raise RuntimeError("the SQLite dialect binds instants and JSON with processors")
    return instant, document


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Repository:
    """Base: short transactions on an engine (reads deferred, writes ``BEGIN IMMEDIATE`` on SQLite)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        # Set when a write failed because the disk is full (cleared by Store.writable's probe).
        self.write_failure: str | None = None

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as connection:
                connection = connection.execution_options(**WRITE)
                with connection.begin():
                    yield connection
        except SQLAlchemyError as exc:
            if is_disk_full(exc):
                self.write_failure = brief(exc)
            raise

    def _insert(self, table: Any) -> Any:
        """A dialect insert with ``on_conflict_do_*`` support."""
        if self._dialect == "postgresql":
            return postgresql.insert(table)
        if self._dialect == "sqlite":
            return sqlite.insert(table)
        raise NotImplementedError(f"unsupported database dialect {self._dialect!r}")


def _record(row: Row[Any]) -> NotificationRecord:
    m = row._mapping
    return NotificationRecord(
        id=m["id"],
        key=m["key"],
        subscription=m["subscription"],
        channel=m["channel"],
        subject=m["subject"],
        event=EventKind(m["event"]),
        occurred=m["occurred"],
        send_at=m["send_at"],
        payload=m["payload"],
        state=NotificationState(m["state"]),
        attempts=m["attempts"],
        last_error=m["last_error"],
        lease_owner=m["lease_owner"],
        lease_until=m["lease_until"],
        next_attempt_at=m["next_attempt_at"],
        created_at=m["created_at"],
        sent_at=m["sent_at"],
        updated_at=m["updated_at"],
    )


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        _c.send_at <= now,
        _c.next_attempt_at <= now,
        or_(
            _c.state == NotificationState.PENDING.value,
            and_(_c.state == NotificationState.SENDING.value, _c.lease_until <= now),
        ),
    )


class OutboxRepository(Repository):
    def insert_notifications(self, rows: Iterable[NewNotification], now: datetime | None = None) -> int:
        """Insert the rows whose key is new (``ON CONFLICT (key) DO NOTHING``); returns how many were.

        Safe against concurrent inserts of the same keys from other processes. ``created_at`` and
        ``updated_at`` are ``now``, or the database's clock when it is ``None``.
        """
        if self._dialect == "sqlite":
            return self._insert_sqlite(rows, now)
        values = [self._row_values(row) for row in rows]
        if not values:
            return 0
        stamp: Any = now if now is not None else func.current_timestamp()
        stmt = (
            self._insert(_T)
            .values(created_at=stamp, updated_at=stamp)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(_c.id)
        )
        inserted = 0
        with self._write() as connection:
            for chunk in _chunks(values):
                inserted += len(connection.execute(stmt, list(chunk)).all())
        return inserted

    def _insert_sqlite(self, rows: Iterable[NewNotification], now: datetime | None) -> int:
        """SQLite: one ``executemany`` of plain tuples, bound by the columns' own types (so a row is
        stored exactly as the generic path stores it) and counted by the driver's summed
        ``rowcount`` (a key already present changes nothing). A start-up catch-up writes hundreds
        of thousands of rows: the generic path spends most of its time in per-row SQL compilation
        and RETURNING."""
        bind_instant, bind_document = _sqlite_binders(self._engine)
        # Rows of one notice share one payload, and a burst shares few instants: bind each once.
        instants: dict[datetime, Any] = {}
        documents: dict[int, tuple[Mapping[str, Any], Any]] = {}

        def instant(value: datetime) -> Any:
            bound = instants.get(value)
            if bound is None:
                bound = instants[value] = bind_instant(value)
            return bound

        def document(payload: Mapping[str, Any]) -> Any:
            known = documents.get(id(payload))
            if known is None or known[0] is not payload:
                known = documents[id(payload)] = (payload, bind_document(dict(payload)))
            return known[1]

        values: list[tuple[Any, ...]] = [
            (
                row.key,
                row.subscription,
                row.channel,
                row.subject,
                row.event.value,
                instant(row.occurred),
                instant(row.send_at),
                document(row.payload),
                row.state.value,
                row.reason,
                instant(row.send_at),
            )
            for row in rows
        ]
        if not values:
            return 0
        stamp = "CURRENT_TIMESTAMP" if now is None else "?"
        sql = (
            "INSERT INTO notification (key, subscription, channel, subject, event, occurred, send_at,"
            " payload, state, last_error, next_attempt_at, attempts, lease_owner, lease_until, sent_at,"
            f" created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, NULL,"
            f" {stamp}, {stamp}) ON CONFLICT (key) DO NOTHING"
        )
        if now is not None:
            at = instant(now)
            values = [(*value, at, at) for value in values]
        with self._write() as connection:
            result = connection.exec_driver_sql(sql, values)
            return max(result.rowcount, 0)

    @staticmethod
    def _row_values(row: NewNotification) -> dict[str, Any]:
        # ``NewNotification`` checked its fields when it was built (no per-row model validation here).
        return {
            "key": row.key,
            "subscription": row.subscription,
            "channel": row.channel,
            "subject": row.subject,
            "event": row.event.value,
            "occurred": row.occurred,
            "send_at": row.send_at,
            "payload": dict(row.payload),
            "state": row.state.value,
            "last_error": row.reason,
            "attempts": 0,
            "lease_owner": None,
            "lease_until": None,
            "next_attempt_at": row.send_at,
            "sent_at": None,
        }

    def claim_due(
        self, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[NotificationRecord]:
        """Take up to ``limit`` due rows for ``owner``: pending ones whose ``send_at`` and
        ``next_attempt_at`` have come, and ``sending`` ones whose lease expired. Each is set to
        ``sending`` with a lease until ``now + lease_seconds`` and ``attempts + 1``. Oldest first.
        """
        if limit <= 0:
            return []
        candidates = select(_c.id).where(_claimable(now)).order_by(_c.next_attempt_at, _c.id).limit(limit)
        if self._dialect == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        with self._write() as connection:
            ids = list(connection.execute(candidates).scalars())
            if not ids:
                return []
            claimed = connection.execute(
                update(_T)
                .where(_c.id.in_(ids), _claimable(now))
                .values(
                    state=NotificationState.SENDING.value,
                    lease_owner=owner,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    attempts=_c.attempts + 1,
                    updated_at=now,
                )
                .returning(*_c)
            ).all()
        records = [_record(row) for row in claimed]
        records.sort(key=lambda r: (r.next_attempt_at, r.id))
        return records

    def _finish(self, id: int, owner: str | None, values: dict[str, Any]) -> bool:
        condition = _c.id == id
        if owner is not None:
            condition = and_(condition, _c.lease_owner == owner)
        with self._write() as connection:
            result = connection.execute(update(_T).where(condition).values(**values))
            return bool(result.rowcount)

    def mark_sent(self, id: int, now: datetime, owner: str | None = None) -> bool:
        """Record that the channel accepted row ``id``. With ``owner``, only while it holds the
        lease. Returns whether a row was updated."""
        return self._finish(
            id,
            owner,
            {
                "state": NotificationState.SENT.value,
                "sent_at": now,
                "updated_at": now,
                "lease_owner": None,
                "lease_until": None,
                "last_error": None,
            },
        )

    @staticmethod
    def _update_owned(
        connection: Connection, ids: list[int], owner: str, values: Mapping[str, Any]
    ) -> set[int]:
        """Apply ``values`` to those of ``ids`` still ``sending`` under ``owner``'s lease; returns
        the ids changed (a missing one was finished or taken over by another dispatcher)."""
        changed: set[int] = set()
        for chunk in _chunks(ids):
            result = connection.execute(
                update(_T)
                .where(_c.id.in_(chunk), _c.lease_owner == owner, _c.state == NotificationState.SENDING.value)
                .values(**values)
                .returning(_c.id)
            )
            changed.update(result.scalars())
        return changed

    def mark_sent_many(
        self,
        ids: Iterable[int],
        now: datetime,
        owner: str,
        threads: Mapping[tuple[str, str], str] | None = None,
    ) -> set[int]:
        """Record that the channel accepted each of ``ids`` — ``sent`` at ``now`` — for those still
        ``sending`` under ``owner``'s lease; returns the ids updated (a missing one had passed to
        another dispatcher). With ``threads`` ((channel, commitment id) → ts), also remembers those
        Slack thread parents as :meth:`set_slack_threads` does. One write transaction in all."""
        wanted = list(dict.fromkeys(ids))
        updated: set[int] = set()
        values = {
            "state": NotificationState.SENT.value,
            "sent_at": now,
            "updated_at": now,
            "lease_owner": None,
            "lease_until": None,
            "last_error": None,
        }
        if not wanted and not threads:
            return updated
        with self._write() as connection:
            updated = self._update_owned(connection, wanted, owner, values)
            if threads:
                self._insert_threads(connection, threads)
        return updated

    def mark_retry(
        self, id: int, error: str, next_attempt_at: datetime, now: datetime, owner: str | None = None
    ) -> bool:
        """Back to ``pending`` after a transient error, claimable again at ``next_attempt_at``."""
        return self._finish(
            id,
            owner,
            {
                "state": NotificationState.PENDING.value,
                "last_error": error,
                "next_attempt_at": next_attempt_at,
                "updated_at": now,
                "lease_owner": None,
                "lease_until": None,
            },
        )

    def mark_failed(self, id: int, error: str, now: datetime, owner: str | None = None) -> bool:
        """A permanent error: the row stays ``failed`` with ``error`` (listed by ``outbox --failed``)."""
        return self._finish(
            id,
            owner,
            {
                "state": NotificationState.FAILED.value,
                "last_error": error,
                "updated_at": now,
                "lease_owner": None,
                "lease_until": None,
            },
        )

    def mark_superseded(self, keys_or_ids: Iterable[str | int], now: datetime, reason: str) -> int:
        """Set pending rows (by key ``str`` or id ``int``) to ``superseded`` with ``reason`` in
        ``last_error``. Rows already sending, sent or failed are left alone. Returns the count."""
        wanted = list(keys_or_ids)
        keys = [k for k in wanted if isinstance(k, str)]
        ids = [i for i in wanted if isinstance(i, int)]
        changed = 0
        with self._write() as connection:
            for column, values in ((_c.key, keys), (_c.id, ids)):
                for chunk in _chunks(values):
                    result = connection.execute(
                        update(_T)
                        .where(column.in_(chunk), _c.state == NotificationState.PENDING.value)
                        .values(state=NotificationState.SUPERSEDED.value, last_error=reason, updated_at=now)
                    )
                    changed += result.rowcount
        return changed

    def existing_keys(self, keys: Iterable[str]) -> set[str]:
        """The subset of ``keys`` already in the ledger (any state)."""
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        with self._read() as connection:
            for chunk in _chunks(wanted):
                found.update(connection.execute(select(_c.key).where(_c.key.in_(chunk))).scalars())
        return found

    def get_notification(self, id: int) -> NotificationRecord | None:
        with self._read() as connection:
            row = connection.execute(select(_T).where(_c.id == id)).first()
        return _record(row) if row is not None else None

    def list_notifications(
        self,
        failed_only: bool = False,
        limit: int | None = None,
        subject: str | None = None,
        states: Iterable[NotificationState] | None = None,
    ) -> list[NotificationRecord]:
        """Ledger rows, newest ``send_at`` first; only ``failed`` ones with ``failed_only``, only
        rows in ``states`` when given."""
        query = select(_T).order_by(_c.send_at.desc(), _c.id.desc())
        if failed_only:
            query = query.where(_c.state == NotificationState.FAILED.value)
        if states is not None:
            query = query.where(_c.state.in_([NotificationState(s).value for s in states]))
        if subject is not None:
            query = query.where(_c.subject == subject)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as connection:
            return [_record(row) for row in connection.execute(query)]

    def counts_by_state(self) -> dict[NotificationState, int]:
        """Number of ledger rows per state (every state present, zero when none)."""
        counts = dict.fromkeys(NotificationState, 0)
        with self._read() as connection:
            for state, count in connection.execute(select(_c.state, func.count()).group_by(_c.state)):
                counts[NotificationState(state)] = int(count)
        return counts

    def next_wake_at(self) -> datetime | None:
        """The earliest instant a row becomes claimable (pending: its next attempt; sending: its
        lease end), or ``None`` when nothing is waiting."""
        pending = select(func.min(_c.next_attempt_at)).where(_c.state == NotificationState.PENDING.value)
        leased = select(func.min(_c.lease_until)).where(_c.state == NotificationState.SENDING.value)
        with self._read() as connection:
            instants = [connection.execute(q).scalar() for q in (pending, leased)]
        present = [i for i in instants if i is not None]
        return min(present) if present else None

    # --- Slack threads in bulk (single-pair reads and writes: :class:`Store`) -----------------------

    def slack_threads(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The thread ``ts`` known for each (channel, commitment id) pair that has one, in one read."""
        wanted = list(dict.fromkeys(pairs))
        found: dict[tuple[str, str], str] = {}
        if not wanted:
            return found
        with self._read() as connection:
            for chunk in _chunks(wanted):
                found.update(self._select_threads(connection, chunk))
        return found

    def set_slack_threads(self, threads: Mapping[tuple[str, str], str]) -> dict[tuple[str, str], str]:
        """Remember each (channel, commitment id) → ts as its thread unless one is already known
        (the first wins); returns the thread ts now stored for each pair. One write transaction."""
        if not threads:
            return {}
        with self._write() as connection:
            return self._insert_threads(connection, threads)

    def _insert_threads(
        self, connection: Connection, threads: Mapping[tuple[str, str], str]
    ) -> dict[tuple[str, str], str]:
        items = list(threads.items())
        stored: dict[tuple[str, str], str] = {}
        for chunk in _chunks(items):
            rows = [{"channel": c, "commitment_id": s, "ts": ts} for (c, s), ts in chunk]
            stmt = self._insert(_thread).on_conflict_do_nothing(index_elements=["channel", "commitment_id"])
            connection.execute(stmt, rows)
            stored.update(self._select_threads(connection, [pair for pair, _ in chunk]))
        return stored

    @staticmethod
    def _select_threads(
        connection: Connection, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        query = select(_thread.c.channel, _thread.c.commitment_id, _thread.c.ts).where(
            tuple_(_thread.c.channel, _thread.c.commitment_id).in_(list(pairs))
        )
        return {(row.channel, row.commitment_id): str(row.ts) for row in connection.execute(query)}

    # --- claimed rows: drop, renew, release (the dispatcher's side of the lease) ---------------------

    def mark_dropped(self, id: int, reason: str, now: datetime, owner: str | None = None) -> bool:
        """A claimed (``sending``) or pending row that will not be sent — its channel is not
        configured, or its commitment was terminal at release: ``superseded`` with ``reason``. With
        ``owner``, only while it holds the lease. Returns whether a row was updated."""
        values = {
            "state": NotificationState.SUPERSEDED.value,
            "last_error": reason,
            "updated_at": now,
            "lease_owner": None,
            "lease_until": None,
        }
        condition = and_(
            _c.id == id,
            _c.state.in_([NotificationState.PENDING.value, NotificationState.SENDING.value]),
        )
        if owner is not None:
            condition = and_(condition, _c.lease_owner == owner)
        with self._write() as connection:
            return bool(connection.execute(update(_T).where(condition).values(**values)).rowcount)

    def renew_leases(self, ids: Iterable[int], owner: str, until: datetime, now: datetime) -> set[int]:
        """Extend ``owner``'s leases on the given ``sending`` rows to ``until``; returns the ids it
        still held (a row missing from the answer was finished or taken over: do not send it)."""
        wanted = list(dict.fromkeys(ids))
        renewed: set[int] = set()
        if not wanted:
            return renewed
        with self._write() as connection:
            return self._update_owned(connection, wanted, owner, {"lease_until": until, "updated_at": now})

    def release_claims(self, ids: Iterable[int], owner: str, now: datetime) -> int:
        """Give back claimed rows that were never handed to a channel (a drain at shutdown): they
        are ``pending`` again, claimable at once, and the claim's attempt is not counted."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return 0
        greatest = func.max if self._dialect == "sqlite" else func.greatest
        values = {
            "state": NotificationState.PENDING.value,
            "lease_owner": None,
            "lease_until": None,
            "attempts": greatest(_c.attempts - 1, 0),
            "updated_at": now,
        }
        with self._write() as connection:
            return len(self._update_owned(connection, wanted, owner, values))
