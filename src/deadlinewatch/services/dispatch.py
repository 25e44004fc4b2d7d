"""Delivery from the durable outbox: claim due rows with a lease, send each through its channel,
record the outcome.

- Rows of one channel go out one at a time, in claim order (``next_attempt_at``, id); channels run
  in parallel, at most ``max_channels`` sending at once. Pacing lives in the channels.
- Outcomes: accepted → ``sent``; ``DeliveryError(permanent=False)`` or any unexpected exception →
  ``pending`` again after :class:`Backoff` (``failed`` once it gives up); permanent → ``failed``
  and, the first time for that channel, ``on_channel_failing`` (the failing mark is stored under
  ``channel_failing:<name>`` and cleared by the channel's next success). A row for a channel that
  is not configured, or one ``is_relevant`` rejects, is ``superseded`` with the reason.
- Leases: claimed rows not yet finished are renewed every ``lease_seconds / 3``; a crashed process
  stops renewing and another dispatcher reclaims them once the lease ends. :meth:`drain` gives
  queued rows back at once and leaves rows cut off mid-send leased (their fate is unknown).
- Successes are recorded in batches: an accepted row is queued in memory and one flusher task
  writes the queue every ``flush_interval`` seconds (or as soon as ``flush_rows`` are waiting) in
  ONE transaction (:meth:`Store.mark_sent_many`: ``sent`` only while still ``sending`` under our
  lease, plus the new Slack thread parents, first one wins). Until its batch is written a row
  still counts as claimed (:attr:`in_flight`, the claim capacity) and its lease keeps being
  renewed; :meth:`deliver_once` and :meth:`drain` flush before returning. A crash (kill -9) loses
  at most the unflushed batch: those rows stay ``sending`` and are sent again once their lease
  expires — duplicates no more than the messages in flight at the crash, as SPEC §7 allows; a
  clean drain loses nothing. A row's ``sent_at`` is its flush's instant (at most about one
  ``flush_interval`` after the channel accepted it). Retries, failures and drops are rare and
  written per row at once.
- Slack thread parents: the known ``ts`` for every (channel, commitment) of a claimed batch is
  read in one SELECT at claim time and kept in memory, updated on each accepted parent message;
  no read per message.
- Database errors never end :meth:`run_forever`: they are logged and the round retried.

Only :meth:`wake`, :meth:`drain`, :meth:`run_forever` and :meth:`deliver_once` are for callers, all
on the dispatcher's event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from deadlinewatch.delivery.base import Channel, DeliveryError, SendReceipt
from deadlinewatch.delivery.slack import SlackChannel
from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import COMMITMENT_EVENTS
from deadlinewatch.services.backoff import Backoff
from deadlinewatch.services.messages import outgoing_for
from deadlinewatch.storage import NotificationRecord, Store
from deadlinewatch.storage.errors import brief
from deadlinewatch.telemetry import DeliveryOutcome, ServiceTelemetry

log = logging.getLogger("deadlinewatch.dispatch")

T = TypeVar("T")
FAILING_STATE_PREFIX = "channel_failing:"
TERMINAL_AT_RELEASE = "commitment terminal at release"
_ERROR_LIMIT = 1000
_STALL_SECONDS = 0.5  # a flush unanswered this long holds new sends (see _while_recording_stalls)
_THREAD_CACHE_LIMIT = 50_000  # (channel, commitment) pairs kept in memory before trimming


def failing_state_key(channel: str) -> str:
    return FAILING_STATE_PREFIX + channel


def _clip(text: str) -> str:
    return text if len(text) <= _ERROR_LIMIT else text[: _ERROR_LIMIT - 1] + "…"


class Dispatcher:
    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        skipped: Mapping[str, str],
        *,
        clock: Callable[[], datetime],
        owner: str,
        is_relevant: Callable[[NotificationRecord, datetime], bool],
        on_channel_failing: Callable[[str, str, datetime], None],
        lease_seconds: float = 60.0,
        batch: int = 500,
        backoff: Backoff | None = None,
        max_channels: int = 128,
        poll_ceiling: float = 5.0,
        db_retry_delay: float = 1.0,
        flush_interval: float = 0.015,
        flush_rows: int = 200,
        actions: bool = False,
        telemetry: ServiceTelemetry | None = None,
    ) -> None:
        if lease_seconds <= 0 or batch <= 0 or max_channels <= 0 or flush_rows <= 0:
            raise ValueError("lease_seconds, batch, max_channels and flush_rows must be positive")
        if flush_interval < 0:
            raise ValueError("flush_interval must not be negative")
        self._store = store
        self._channels: Mapping[str, Channel] = dict(channels)
        self._skipped: Mapping[str, str] = dict(skipped)
        self._clock = clock
        self.owner = owner
        self._is_relevant = is_relevant
        self._on_channel_failing = on_channel_failing
        self._lease = lease_seconds
        # A lease is trusted without asking the database until this long after its claim/renewal
        # began (a margin for the clocks of the other replicas and the time the claim took).
        self._lease_trust = lease_seconds * 0.75
        self._lease_ok: dict[int, float] = {}  # row id -> monotonic instant the trust ends
        self._batch = batch
        self._backoff = backoff if backoff is not None else Backoff()
        self._poll_ceiling = poll_ceiling
        self._db_retry_delay = db_retry_delay
        self._slots = asyncio.Semaphore(max_channels)
        self._wake = asyncio.Event()
        self._stopping = False
        self._queues: dict[str, deque[NotificationRecord]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._claimed: dict[int, NotificationRecord] = {}  # claimed by us and not finished
        self._newest_due: datetime | None = None  # the latest send_at among the rows claimed last
        self._sending: set[int] = set()
        self._lost: set[int] = set()  # lease taken over before we sent: skip
        self._failing: dict[str, bool] = {}  # channel -> failing mark, as last read or written
        # (channel, commitment) -> thread ts; None: none known when the pair was last read.
        self._threads: dict[tuple[str, str], str | None] = {}
        # Accepted by their channel, "sent" not written yet (the next flush writes them).
        self._flush_interval = flush_interval
        self._flush_rows = flush_rows
        # Ack / snooze / fulfilled buttons on Slack messages about commitments (only when the web
        # app can verify Slack's requests: a signing secret is configured and HTTP is served).
        self._actions = actions
        self.telemetry = telemetry if telemetry is not None else ServiceTelemetry()
        self._accepted: dict[int, NotificationRecord] = {}
        self._new_threads: dict[tuple[str, str], str] = {}
        self._recording: set[int] = set()  # in _accepted or in the flush being written
        self._flush_lock = asyncio.Lock()
        self._flush_started: float | None = None  # monotonic start of the flush under way
        self._stalled = False
        self._flush_soon = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None

    # --- public --------------------------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        """Rows claimed by this dispatcher and not finished yet."""
        return len(self._claimed)

    def on_time_in_flight(self, now: datetime, late: timedelta) -> bool:
        """Whether rows are in flight and the last claim took some due less than ``late`` before
        ``now``: a burst at its instant, not the tail of a backlog that is late anyway."""
        newest = self._newest_due
        return bool(self._claimed) and newest is not None and now - newest < late

    def set_channels(self, channels: Mapping[str, Channel], skipped: Mapping[str, str]) -> None:
        """Replace the channels (a config reload); rows already queued use the new ones."""
        self._channels = dict(channels)
        self._skipped = dict(skipped)

    def wake(self) -> None:
        """Look for due rows now (the planner just inserted some)."""
        self._wake.set()

    async def run_forever(self) -> None:
        """Claim and deliver until :meth:`drain`; sleeps until the next row is due, a
        :meth:`wake`, or ``poll_ceiling`` seconds, whichever comes first."""
        renewer = asyncio.create_task(self._renew_forever(), name="deadlinewatch-lease-renewal")
        try:
            while not self._stopping:
                self._wake.clear()
                now = self._clock()
                try:
                    capacity = self._batch - len(self._claimed)
                    claimed = await self._claim(now, capacity) if capacity > 0 else 0
                    if capacity > 0 and claimed >= capacity:
                        await asyncio.sleep(0)
                        continue
                    next_wake = await asyncio.to_thread(self._store.next_wake_at)
                except SQLAlchemyError as exc:
                    log.warning("database error while claiming notifications (retrying): %s", _short(exc))
                    await self._pause(self._db_retry_delay)
                    continue
                timeout = self._poll_ceiling
                if capacity > 0 and next_wake is not None:
                    until = (next_wake - self._clock()).total_seconds()
                    # A due row we could not take is locked by another replica: look again soon.
                    timeout = min(timeout, max(until, 0.05))
                await self._pause(timeout)
        finally:
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)

    async def deliver_once(self, now: datetime | None = None) -> int:
        """One round: claim up to ``batch`` rows due at ``now`` (default: the clock), deliver them
        all, and return how many were claimed."""
        claimed = await self._claim(now if now is not None else self._clock(), self._batch)
        await self._join()
        await self._settle()
        return claimed

    async def drain(self, timeout: float) -> None:
        """Stop claiming; give back queued rows; wait up to ``timeout`` seconds for the sends in
        progress, then cancel them (those rows keep their lease and are reclaimed later)."""
        self._stopping = True
        self._wake.set()
        await self._release_queued()
        workers = list(self._workers.values())
        if workers:
            _, pending = await asyncio.wait(workers, timeout=max(0.0, timeout))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._settle()
        if self._claimed:
            log.warning("%d notification(s) cut off mid-send at shutdown: left leased", len(self._claimed))

    # --- claiming and workers -------------------------------------------------------------------

    async def _claim(self, now: datetime, limit: int) -> int:
        started = time.monotonic()
        rows = await asyncio.to_thread(self._store.claim_due, now, limit, self._lease, self.owner)
        if not self._stopping:
            await self._load_threads(rows)
        if self._stopping:  # (checked after every await: a drain that began meanwhile gave back
            # the queues it saw, not these rows)
            mine = [r.id for r in rows if r.id not in self._claimed]
            await self._retry_db(self._store.release_claims, mine, self.owner, now)
            return 0
        if rows:
            self._newest_due = max(row.send_at for row in rows)
        for row in rows:
            if row.id in self._claimed:
                # Ours already, in flight: its lease looked expired because the wall clock jumped
                # forward past it. The claim only renewed it; sending it again would be a duplicate.
                continue
            self._claimed[row.id] = row
            self._lease_ok[row.id] = started + self._lease_trust
            self._queues.setdefault(row.channel, deque()).append(row)
            if row.channel not in self._workers:
                self._workers[row.channel] = asyncio.create_task(
                    self._work(row.channel), name=f"deadlinewatch-deliver-{row.channel}"
                )
        return len(rows)

    async def _join(self) -> None:
        while self._workers:
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    async def _while_recording_stalls(self) -> None:
        """Hold new sends while the database has not confirmed the last batch of outcomes for
        over ``_STALL_SECONDS`` (a cut connection, an outage, a full disk): every message sent
        meanwhile would be sent again by whoever takes its row once the lease ends."""
        while not self._stopping:
            started = self._flush_started
            if started is None or time.monotonic() - started < _STALL_SECONDS:
                return
            if not self._stalled:
                self._stalled = True
                log.warning(
                    "the database has not recorded deliveries for %.1f s: holding new sends until it does",
                    _STALL_SECONDS,
                )
            await asyncio.sleep(0.05)

    async def _still_ours(self, row: NotificationRecord) -> bool:
        """Whether the lease on ``row`` is certainly still ours, just before handing it to its
        channel. Free while the lease, as last claimed or renewed, has some time left (monotonic
        time, which runs on while the process is stopped); else one renewal asks the database: a
        row another dispatcher took meanwhile (after a stop, a freeze, a cut network) is not sent."""
        if time.monotonic() < self._lease_ok.get(row.id, float("-inf")):
            return True
        started = time.monotonic()
        now = self._clock()
        try:
            kept = await asyncio.to_thread(
                self._store.renew_leases, [row.id], self.owner, now + timedelta(seconds=self._lease), now
            )
        except SQLAlchemyError as exc:
            log.warning("cannot confirm the lease on notification %s (not sent now): %s", row.id, _short(exc))
            return False
        if row.id not in kept:
            log.warning(
                "notification %s: its lease passed to another dispatcher while this one was stalled;"
                " not sending it",
                row.id,
            )
            return False
        self._lease_ok[row.id] = started + self._lease_trust
        return True

    async def _pause(self, timeout: float) -> None:
        try:
            async with asyncio.timeout(max(0.0, timeout)):
                await self._wake.wait()
        except TimeoutError:
            pass

    async def _work(self, channel: str) -> None:
        queue = self._queues[channel]
        try:
            while queue and not self._stopping:
                row = queue.popleft()
                if row.id in self._lost or not await self._still_ours(row):
                    self._lost.discard(row.id)
                    self._claimed.pop(row.id, None)
                    self._lease_ok.pop(row.id, None)
                    continue
                await self._while_recording_stalls()
                self._sending.add(row.id)
                try:
                    async with self._slots:
                        await self._deliver(row)
                    if row.id not in self._recording:  # else the flush of its outcome finishes it
                        self._claimed.pop(row.id, None)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # A bug, not a delivery outcome: leave the row leased (reclaimed later).
                    log.exception("unexpected error delivering notification %s", row.id)
                    if row.id not in self._recording:
                        self._claimed.pop(row.id, None)
                finally:
                    self._sending.discard(row.id)
                if len(self._claimed) < self._batch:
                    self._wake.set()
        finally:
            if self._workers.get(channel) is asyncio.current_task():
                del self._workers[channel]
            if not queue:
                self._queues.pop(channel, None)

    async def _release_queued(self) -> None:
        queued = [row.id for queue in self._queues.values() for row in queue]
        for queue in self._queues.values():
            queue.clear()
        for id in queued:
            self._claimed.pop(id, None)
        if queued:
            released = await self._retry_db(self._store.release_claims, queued, self.owner, self._clock())
            log.info("gave back %s queued notification(s) at shutdown", released)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            ids = list(self._claimed)
            for stale in [id for id in self._lease_ok if id not in self._claimed]:
                del self._lease_ok[stale]
            if not ids:
                continue
            started = time.monotonic()
            now = self._clock()
            until = now + timedelta(seconds=self._lease)
            try:
                kept = await asyncio.to_thread(self._store.renew_leases, ids, self.owner, until, now)
            except SQLAlchemyError as exc:
                log.warning("database error while renewing leases: %s", _short(exc))
                continue
            for id in kept:
                self._lease_ok[id] = started + self._lease_trust
            for id in ids:
                if (
                    id not in kept
                    and id in self._claimed
                    and id not in self._sending
                    and id not in self._recording
                ):
                    self._lost.add(id)

    # --- one row ----------------------------------------------------------------------------------

    async def _deliver(self, row: NotificationRecord) -> None:
        now = self._clock()
        channel = self._channels.get(row.channel)
        if channel is None:
            reason = self._skipped.get(row.channel)
            text = (
                f"channel {row.channel} not configured: {reason}"
                if reason is not None
                else f"channel {row.channel} is not in the config"
            )
            await self._retry_db(self._store.mark_dropped, row.id, text, now, self.owner)
            self.telemetry.delivered(row.channel, DeliveryOutcome.DROPPED)
            return
        try:
            relevant = self._is_relevant(row, now)
        except Exception:
            log.exception("relevance check failed for notification %s; sending it", row.id)
            relevant = True
        if not relevant:
            await self._retry_db(self._store.mark_dropped, row.id, TERMINAL_AT_RELEASE, now, self.owner)
            self.telemetry.delivered(row.channel, DeliveryOutcome.DROPPED)
            return
        thread_ts: str | None = None
        if isinstance(channel, SlackChannel) and row.event in COMMITMENT_EVENTS and row.subject:
            pair = (row.channel, row.subject)
            if pair in self._threads:
                thread_ts = self._threads[pair]
            else:  # not read at claim time (a channel that became Slack on reload, a read error)
                thread_ts = await self._retry_db(self._store.slack_thread, row.channel, row.subject)
                self._threads[pair] = thread_ts
        try:
            buttons = self._actions and isinstance(channel, SlackChannel) and row.event in COMMITMENT_EVENTS
            message = outgoing_for(row, now, thread_ts=thread_ts, actions=buttons)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            error = f"unreadable notification payload: {type(exc).__name__}: {exc}"
            await self._retry_db(self._store.mark_failed, row.id, _clip(error), now, self.owner)
            self.telemetry.delivered(row.channel, DeliveryOutcome.FAILED)
            return
        try:
            receipt = await channel.send(message)
        except DeliveryError as exc:
            await self._failed_attempt(row, exc)
            return
        except Exception as exc:  # a channel must raise DeliveryError only; never trust that
            await self._failed_attempt(row, DeliveryError(f"{row.channel}: {exc!r}", permanent=False))
            return
        await self._succeeded(row, receipt, thread_ts)

    async def _succeeded(self, row: NotificationRecord, receipt: SendReceipt, thread_ts: str | None) -> None:
        now = self._clock()
        self.telemetry.delivered(row.channel, DeliveryOutcome.SENT, (now - row.send_at).total_seconds())
        if receipt.ts and thread_ts is None and row.event in COMMITMENT_EVENTS and row.subject:
            pair = (row.channel, row.subject)
            if self._threads.get(pair) is None:  # the first accepted message is the thread
                self._threads[pair] = receipt.ts
                self._new_threads[pair] = receipt.ts
        self._accepted[row.id] = row
        self._recording.add(row.id)
        if len(self._accepted) >= self._flush_rows:
            self._flush_soon.set()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_forever(), name="deadlinewatch-outcomes")
        if self._failing.get(row.channel) is not False:
            if await self._retry_db(self._store.get_state, failing_state_key(row.channel)):
                await self._retry_db(self._store.set_state, failing_state_key(row.channel), None, now)
                log.info("channel %s delivers again", row.channel)
            self._failing[row.channel] = False

    # --- batched outcomes and thread parents ---------------------------------------------------------

    def _threaded(self, row: NotificationRecord) -> bool:
        channel = self._channels.get(row.channel)
        return isinstance(channel, SlackChannel) and row.event in COMMITMENT_EVENTS and bool(row.subject)

    async def _load_threads(self, rows: list[NotificationRecord]) -> None:
        """Read the thread ts of every (channel, commitment) pair of a claimed batch, in one SELECT."""
        pairs = {(row.channel, row.subject) for row in rows if self._threaded(row)}
        if not pairs:
            return
        if len(self._threads) > _THREAD_CACHE_LIMIT:  # keep only what claimed rows may still need
            needed = {(row.channel, row.subject) for row in self._claimed.values()}
            self._threads = {pair: ts for pair, ts in self._threads.items() if pair in needed}
        try:
            found = await asyncio.to_thread(self._store.slack_threads, pairs)
        except SQLAlchemyError as exc:
            log.warning("database error reading Slack threads (read per message instead): %s", _short(exc))
            for pair in pairs:  # a stale "none known" must not hide a thread: read again when sending
                if self._threads.get(pair) is None:
                    self._threads.pop(pair, None)
            return
        for pair in pairs:
            if pair in found:  # the database has the first parent (perhaps another replica's)
                self._threads[pair] = found[pair]
            elif self._threads.get(pair) is None:  # else ours, accepted and not flushed yet
                self._threads[pair] = None

    async def _flush_forever(self) -> None:
        while self._accepted or self._new_threads:
            if len(self._accepted) < self._flush_rows:
                self._flush_soon.clear()
                try:
                    async with asyncio.timeout(self._flush_interval):
                        await self._flush_soon.wait()
                except TimeoutError:
                    pass
            await self._flush()

    async def _flush(self) -> None:
        """Write the accepted rows as ``sent`` (and the new thread parents) in one transaction."""
        async with self._flush_lock:
            if not self._accepted and not self._new_threads:
                return
            accepted, self._accepted = self._accepted, {}
            threads, self._new_threads = self._new_threads, {}
            written: set[int] | None
            kept = False
            if self._flush_started is None:  # kept from a failed flush: the stall goes on
                self._flush_started = time.monotonic()
            try:
                written = await self._retry_db(
                    self._store.mark_sent_many, list(accepted), self._clock(), self.owner, threads
                )
                if self._stalled:
                    self._stalled = False
                    log.info("the database records deliveries again: sending resumes")
            except SQLAlchemyError as exc:
                written = None
                if not self._stopping:
                    # Keep them (a full disk, a long outage): written once the database takes
                    # writes again. They stay ours in the ledger meanwhile (expired leases are only
                    # taken by another replica, never sent again by this one), so nothing is sent
                    # twice by this process and nothing is marked sent that was not.
                    kept = True
                    self._accepted = {**accepted, **self._accepted}
                    self._new_threads = {**threads, **self._new_threads}
                    log.error(
                        "could not record %d delivered notification(s) as sent; keeping them to"
                        " record later: %s",
                        len(accepted),
                        _short(exc),
                    )
                else:
                    # Left leased: the rows are sent again once their lease expires (at least once).
                    log.error(
                        "database error recording %d delivered notification(s), left leased: %s",
                        len(accepted),
                        _short(exc),
                    )
            finally:
                if not kept:
                    self._flush_started = None
                    for id in accepted:
                        self._recording.discard(id)
                        self._claimed.pop(id, None)
            if written is not None:
                for id in accepted:
                    if id not in written:
                        log.warning(
                            "notification %s was sent but its lease had passed to another dispatcher", id
                        )
            if len(self._claimed) < self._batch:
                self._wake.set()

    async def _settle(self) -> None:
        """Write every outcome still queued and let the flusher task end."""
        await self._flush()
        flusher = self._flusher
        if flusher is not None and not flusher.done():
            self._flush_soon.set()
            await asyncio.gather(flusher, return_exceptions=True)
        await self._flush()  # anything the flusher was handed while ending

    async def _failed_attempt(self, row: NotificationRecord, exc: DeliveryError) -> None:
        now = self._clock()
        error = _clip(exc.message or repr(exc))
        if exc.permanent:
            log.error("notification %s to %s failed: %s", row.id, row.channel, error)
            await self._retry_db(self._store.mark_failed, row.id, error, now, self.owner)
            self.telemetry.delivered(row.channel, DeliveryOutcome.FAILED)
            await self._channel_failing(row.channel, error, now)
            return
        if self._backoff.gives_up(row.send_at, row.attempts, now):
            hours = self._backoff.give_up_after.total_seconds() / 3600
            error = _clip(f"gave up after {hours:g} h of retries ({row.attempts} attempts): {error}")
            log.error("notification %s to %s failed: %s", row.id, row.channel, error)
            await self._retry_db(self._store.mark_failed, row.id, error, now, self.owner)
            self.telemetry.delivered(row.channel, DeliveryOutcome.FAILED)
            return
        delay = self._backoff.delay(row.attempts, exc.retry_after)
        log.info("notification %s to %s: %s; retry in %.1f s", row.id, row.channel, error, delay)
        retry_at = now + timedelta(seconds=delay)
        await self._retry_db(self._store.mark_retry, row.id, error, retry_at, now, self.owner)
        self.telemetry.delivered(row.channel, DeliveryOutcome.RETRY)
        self._wake.set()

    async def _channel_failing(self, channel: str, error: str, now: datetime) -> None:
        if self._failing.get(channel):
            return
        key = failing_state_key(channel)
        already = await self._retry_db(self._store.get_state, key)
        self._failing[channel] = True
        if already:
            return
        await self._retry_db(self._store.set_state, key, {"since": format_utc(now), "error": error}, now)
        try:
            self._on_channel_failing(channel, error, now)
        except Exception:
            log.exception("raising channel_failing for %s failed", channel)

    async def _retry_db(self, call: Callable[..., T], *args: Any) -> T:
        """Run a store call in a thread; on a database error, retry with growing pauses for about
        one lease (then give up: the row stays leased and is reclaimed later)."""
        pause = 0.2
        waited = 0.0
        while True:
            try:
                return await asyncio.to_thread(call, *args)
            except SQLAlchemyError as exc:
                if waited >= self._lease:
                    raise
                log.warning("database error (retrying in %.1f s): %s", pause, _short(exc))
                await asyncio.sleep(pause)
                waited += pause
                pause = min(pause * 2, 5.0)


def _short(exc: BaseException) -> str:
    return brief(exc)


__all__ = ["FAILING_STATE_PREFIX", "TERMINAL_AT_RELEASE", "Dispatcher", "failing_state_key"]
