"""Which replica plans and polls (SPEC §10): the holder of a PostgreSQL session advisory lock.

Every replica delivers; only the leader decides (planning ticks), polls sources and picks up
changes recorded elsewhere. On PostgreSQL a dedicated long-lived connection (taken from the engine,
detached from its pool, autocommit) tries ``pg_try_advisory_lock`` every ``retry_seconds`` until it
wins, then checks every ``check_seconds`` that the connection still answers. A session lock lives
exactly as long as its connection, so a leader that dies (kill -9, lost network, PostgreSQL
restart, ``pg_terminate_backend``) frees the lock and another replica wins it at its next attempt.
A leader whose connection dies stops leading at its next check and competes again on a new
connection. The two may overlap by at most one check interval; planning is idempotent (unique
ledger keys), so the overlap costs at most a duplicate source poll.

A leader that is frozen (SIGSTOP, a paused VM, a cut network that leaves the socket open) keeps
its connection, and with it the lock, as far as the kernel can tell. So the lock connection runs
with ``idle_session_timeout`` = ``session_timeout`` seconds (PostgreSQL 14+): a session silent that
long (a healthy leader checks every ``check_seconds``) is ended by the server and the lock freed.
The leader, for its part, counts its leadership valid only until ``session_timeout`` minus a margin
after the start of its last successful check (monotonic time, which runs on while the process is
stopped): :meth:`confirm`, called before every planning tick and source poll, steps down at once
when that has passed, before the process does anything a new leader may already be doing.

SQLite has one host by construction: there the process is always the leader.

The lock key is per schema (a deployment in its own ``search_path`` schema has its own leader) and
never equals :data:`~deadlinewatch.storage.database.MIGRATION_LOCK_KEY`: its high 32 bits spell
``dlwL`` where the migration key's spell ``dlw-``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import zlib
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine, text

log = logging.getLogger("deadlinewatch.leadership")

LEADER_LOCK_PREFIX = 0x646C_774C  # "dlwL"
T = TypeVar("T")


def leader_lock_key(schema: str) -> int:
    """The bigint ``pg_try_advisory_lock`` key for the deployment in ``schema``."""
    return (LEADER_LOCK_PREFIX << 32) | zlib.crc32(schema.encode("utf-8"))


class Leadership:
    """Leader election. :meth:`start` inside the running loop, :meth:`close` at shutdown.

    ``on_change(callback)`` registers ``callback(is_leader)``, called in the event loop on every
    transition (never for the initial follower state, never at :meth:`close`). :attr:`elected` is
    set while this process leads.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        retry_seconds: float = 2.0,
        check_seconds: float = 2.0,
        call_timeout: float = 10.0,
        session_timeout: float = 10.0,
    ) -> None:
        self._engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self.call_timeout = call_timeout
        # The server ends a lock session silent this long; we stop trusting ours a margin earlier.
        self.session_timeout = max(session_timeout, 3 * check_seconds)
        self._margin = max(2.0, 2 * check_seconds)
        self._valid_until = float("inf") if not self.postgres else float("-inf")
        self._check_lock = asyncio.Lock()
        self._leader = not self.postgres
        self._callbacks: list[Callable[[bool], None]] = []
        self._connection: Connection | None = None
        self._key: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._unreachable = False
        self.elected = asyncio.Event()
        if self._leader:
            self.elected.set()

    @property
    def is_leader(self) -> bool:
        return self._leader

    @property
    def lock_key(self) -> int | None:
        """The advisory lock key in use (known once connected; None on SQLite)."""
        return self._key

    def on_change(self, callback: Callable[[bool], None]) -> None:
        self._callbacks.append(callback)

    async def confirm(self) -> bool:
        """Whether this process still leads, for certain: await before acting as the leader (a
        planning tick, a source poll). Free while the last successful check of the lock session is
        recent; else (the process was stopped or starved, and the server may have ended the
        session and another replica taken the lock) the session is asked first, and on failure
        this replica steps down before doing anything."""
        if not self._leader:
            return False
        if not self.postgres or time.monotonic() < self._valid_until:
            return True
        if await self._alive():  # the same session answers: it still holds the lock
            return self._leader
        if self._leader:
            log.warning(
                "leadership lapsed: the lock session is gone after more than %.0f s without a"
                " check (was this process stopped or cut off?); stepping down before planning",
                self.session_timeout - self._margin,
            )
            self._lose()
        return False

    # --- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Try once right away (so a lone replica leads before its first planning tick), then keep
        trying / checking in the background."""
        if not self.postgres or self._task is not None:
            return
        await self._attempt()
        if not self._leader:
            log.info("this replica is a follower: it delivers; another replica plans and polls")
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def close(self) -> None:
        """Stop competing, release the lock and close the connection (idempotent)."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if not self.postgres:
            return
        was_leader = self._leader
        self._leader = False
        self.elected.clear()
        connection, self._connection = self._connection, None
        if connection is None:
            return
        key = self._key

        def release() -> None:
            try:
                if was_leader and key is not None:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            finally:
                connection.close()

        try:
            await self._call(release, timeout=min(self.call_timeout, 3.0))
        except Exception as exc:  # the lock goes with the connection anyway
            log.debug("leadership: releasing the lock failed: %r", exc)
            _close_in_background(connection)
        if was_leader:
            log.info("leadership released")

    # --- the loop ---------------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._closed:
            if self._leader:
                await asyncio.sleep(self.check_seconds)
                if not self._closed and not await self._alive():
                    self._lose()
            else:
                await asyncio.sleep(self.retry_seconds)
                if not self._closed:
                    await self._attempt()

    async def _attempt(self) -> None:
        started = time.monotonic()
        try:
            won = await self._call(self._try_lock)
        except Exception as exc:
            self._drop_connection()
            if not self._unreachable:
                log.warning(
                    "leadership: cannot reach the database (%s); retrying every %g s",
                    _brief(exc),
                    self.retry_seconds,
                )
            self._unreachable = True
            return
        self._unreachable = False
        if won and not self._closed:
            self._valid_until = started + self.session_timeout - self._margin
            self._set(True)
        elif won:  # closed while the attempt ran: close() may have missed this connection
            self._drop_connection()

    def _try_lock(self) -> bool:
        """Blocking: open the dedicated connection if needed, then one ``pg_try_advisory_lock``."""
        if self._connection is None:
            connection = self._engine.connect()
            try:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.detach()  # closing it really closes it (and frees the session lock)
                self._set_session_timeout(connection)
                schema = connection.execute(text("SELECT current_schema()")).scalar()
                self._key = leader_lock_key(str(schema or ""))
            except Exception:
                connection.close()
                raise
            self._connection = connection
        won = self._connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar()
        return bool(won)

    def _set_session_timeout(self, connection: Connection) -> None:
        """``idle_session_timeout`` on the lock session (PostgreSQL 14+; older servers: a frozen
        leader keeps the lock until its connection dies, as before)."""
        milliseconds = int(self.session_timeout * 1000)
        try:
            connection.execute(text(f"SET idle_session_timeout = {milliseconds}"))
        except Exception as exc:
            log.warning(
                "leadership: cannot set idle_session_timeout (%s): a stopped leader keeps the lock"
                " until its connection dies",
                _brief(exc),
            )

    async def _alive(self) -> bool:
        connection = self._connection
        if connection is None:
            return False
        async with self._check_lock:  # one query at a time on the lock connection
            if connection is not self._connection:
                return False
            started = time.monotonic()
            try:
                await self._call(lambda: connection.execute(text("SELECT 1")).scalar())
            except Exception as exc:
                log.warning("leadership: the lock connection failed (%s)", _brief(exc))
                return False
        # The same session answered, so it still holds the lock; the server ends it only after
        # session_timeout of silence counted from this query.
        self._valid_until = started + self.session_timeout - self._margin
        return True

    def _lose(self) -> None:
        self._valid_until = float("-inf")
        self._drop_connection()
        self._set(False)

    def _set(self, leader: bool) -> None:
        if leader == self._leader:
            return
        self._leader = leader
        if leader:
            self.elected.set()
            log.info("this replica is now the leader: it plans and polls sources")
        else:
            self.elected.clear()
            log.warning("this replica is no longer the leader: it delivers only until it wins again")
        for callback in list(self._callbacks):
            try:
                callback(leader)
            except Exception:
                log.exception("leadership callback failed")

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            _close_in_background(connection)

    async def _call(self, func: Callable[[], T], timeout: float | None = None) -> T:
        """``func`` in a worker thread, given up after ``timeout`` (a hung socket must not stall
        the election; the thread is left to finish on its own)."""
        return await asyncio.wait_for(asyncio.to_thread(func), timeout or self.call_timeout)


def _close_in_background(connection: Connection) -> None:
    """Close a connection that may be broken or busy in another thread, without waiting for it."""

    def close() -> None:
        with contextlib.suppress(Exception):
            connection.invalidate()
        with contextlib.suppress(Exception):
            connection.close()

    threading.Thread(target=close, name="leadership-close", daemon=True).start()


def _brief(exc: BaseException) -> str:
    text_ = str(exc).strip().splitlines()
    first = text_[0] if text_ else ""
    return f"{type(exc).__name__}: {first}"[:300]
