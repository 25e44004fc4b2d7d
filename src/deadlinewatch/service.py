"""``deadlinewatch run``: one asyncio process that plans, polls, delivers and serves HTTP.

Wiring only: decisions live in :mod:`services.planning`, delivery in :mod:`services.dispatch`,
sources in :mod:`services.polling`; APScheduler (:mod:`scheduling`) only wakes them.

Who owns what:

- the **planning worker** (:mod:`services.worker`, one thread) owns the :class:`PlanningService`
  — building the planner, every tick, config installs, emitted events, source state, and the
  writes analysts make through the HTTP API and Slack (:mod:`deadlinewatch.actions`). The event
  loop submits work to it and awaits the result; it calls back only via ``call_soon_threadsafe``.
- the **dispatch task** owns the outbox rows it claims (its database calls run in worker threads
  it awaits, one at a time).
- the **event loop** owns everything else (scheduling, HTTP, the config watcher). It never makes a
  blocking database call, and reads the planner only through ``PlanningService.view()``, the last
  planner built (never mutated by a read).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import signal
import socket
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from deadlinewatch.actions import ActionResult
from deadlinewatch.clock import JumpWatch, utc_now
from deadlinewatch.config.fingerprint import config_fingerprint
from deadlinewatch.config.loader import LoadedConfig, load_config
from deadlinewatch.config.schema import SourceConfig
from deadlinewatch.delivery.factory import ChannelSet, build_channels, client_session, seconds
from deadlinewatch.domain.events import ChannelFailing, ConfigError, EventData
from deadlinewatch.domain.model import Status
from deadlinewatch.domain.planning import Planner
from deadlinewatch.proxies import ProxySettings
from deadlinewatch.scheduling import Wakeups
from deadlinewatch.services.dispatch import Dispatcher
from deadlinewatch.services.leadership import Leadership
from deadlinewatch.services.planning import PlanningService
from deadlinewatch.services.polling import SourcePoller, jitter_for
from deadlinewatch.services.startup import StartupFacts
from deadlinewatch.services.startup import summary as startup_summary
from deadlinewatch.services.worker import PlanningWorker
from deadlinewatch.sources.fetch import make_client
from deadlinewatch.storage import NotificationRecord, NotificationState, Store
from deadlinewatch.storage.errors import brief, is_disk_full
from deadlinewatch.telemetry import ServiceTelemetry, config_digest
from deadlinewatch.web.listener import dashboard_address
from deadlinewatch.web.runtime import Action

log = logging.getLogger("deadlinewatch.service")

DRAIN_SECONDS = 7.0
SOURCE_JOB_PREFIX = "source:"
REFRESH_JOB = "refresh"
REFRESH_SECONDS = 2.0
PLAN_RETRY_SECONDS = 2.0
# HTTP reads wait (web/readgate.py) from this long before a planned tick until it starts, and for
# at most this long after its instant when the wake-up runs late (a failing tick does not hold them).
READS_HELD_BEFORE_TICK_SECONDS = 0.2
READS_HELD_LATE_TICK_SECONDS = 2.0
# Reads also wait while rows due less than this long ago are being sent (a burst at its instant);
# behind a backlog already later than that (a first start with 300,000 catch-up rows), they share.
READS_YIELD_UNTIL_LATE_BY = timedelta(seconds=10)


def lease_seconds() -> float:
    """How long a claimed row stays ours (``DEADLINEWATCH_LEASE_SECONDS``, default 60): after a
    crash, rows in flight are sent again once it expires."""
    try:
        value = float(os.environ.get("DEADLINEWATCH_LEASE_SECONDS", "60"))
    except ValueError:
        return 60.0
    return value if value >= 1 else 60.0


class Service:
    """The running service. :meth:`run` returns the process exit code."""

    def __init__(
        self,
        config_path: Path,
        config: LoadedConfig,
        store: Store,
        http_listen: str | None,
        *,
        http_socket: socket.socket | None = None,
        database: str = "",
    ) -> None:
        self.config_path = config_path
        self.config = config
        self.store = store
        self.http_listen = http_listen
        self.http_socket = http_socket  # bound by `run` before anything else (see web.listener)
        self.database = database  # as shown in the start summary
        self.proxies = ProxySettings.from_env(os.environ)  # HTTPS_PROXY / NO_PROXY, for every client
        self.planning = PlanningService(store, utc_now)
        self.worker = PlanningWorker()  # the one thread that drives self.planning
        self.wakeups = Wakeups(self._plan)
        # Every replica delivers; only the leader plans, polls and refreshes (SPEC §10).
        self.leadership = Leadership(store.engine)
        self._planning_ready = False
        self._clock_jumps = JumpWatch()
        self._plan_failing = False
        self._next_due: datetime | None = None  # what the last planning tick said comes next
        self._stop = asyncio.Event()
        self._plan_lock = asyncio.Lock()
        self._last_config_error: str | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.counters: dict[str, float] = {
            "reloads_total": 0,
            "config_errors_total": 0,
            "plan_ticks_total": 0,
        }
        self._channel_set = ChannelSet()
        self._session: Any = None
        self._http_client: Any = None
        self.dispatcher: Dispatcher | None = None
        self.poller: SourcePoller | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Of the config files as the last (re)load began: a later difference means an edit to load.
        self._fingerprint = config_fingerprint(config_path)
        self.telemetry = ServiceTelemetry()
        self.telemetry.watch_scheduler(lambda: (self.wakeups.next_wakeup, self.wakeups.last_lag))

    # --- the runtime view used by the web app -------------------------------------------------

    def planner(self) -> Planner | None:
        try:
            return self.planning.view()
        except RuntimeError:
            return None

    def current_config(self) -> LoadedConfig | None:
        return self.config

    def scheduler_running(self) -> bool:
        return self.wakeups.running and not self._stop.is_set()

    def now(self) -> datetime:
        return utc_now()

    async def perform(self, action: Action) -> ActionResult:
        """Run an analyst's write (:mod:`deadlinewatch.actions`) on the planning worker against the
        current planner, then decide at once from it (the leader records the resulting
        notifications; a follower rebuilds its view), so the very next read shows the change."""

        def step() -> tuple[ActionResult, datetime | None, bool]:
            result = action(self.planning.planner(), self.store, utc_now())
            if not result.created:
                return result, None, False
            self.planning.changed()
            if not self.leadership.is_leader:
                self.planning.planner()
                return result, None, False
            try:
                return result, self.planning.tick(), True
            except Exception:
                log.exception("planning after a write failed; retrying in %.0f s", PLAN_RETRY_SECONDS)
                return result, utc_now() + timedelta(seconds=PLAN_RETRY_SECONDS), True

        result, following, planned = await self.worker.run(step)
        if planned:
            self.counters["plan_ticks_total"] += 1
            self._wake_dispatcher()
            if not self._stop.is_set():
                self.wakeups.wake_at(following, utc_now())
        return result

    # --- lifecycle --------------------------------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._loop = loop  # the planning worker calls back into it with call_soon_threadsafe only
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        with contextlib.suppress(NotImplementedError, AttributeError):
            loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self._reload_until_recorded("SIGHUP")))
        self._session = client_session()
        self._http_client = make_client(proxies=self.proxies)
        try:
            await self.leadership.start()  # one attempt now: a lone replica leads from the start
            self._channel_set = build_channels(self.config, self._session, proxies=self.proxies)
            began = time.monotonic()
            await self.worker.run(lambda: self._install(self.config))
            log.info("config installed (planner built) in %.1f s", time.monotonic() - began)
            digest = await asyncio.to_thread(config_digest, self.config.files)
            self.telemetry.config_loaded(digest, utc_now())
            self.dispatcher = Dispatcher(
                self.store,
                self._channel_set.channels,
                self._channel_set.skipped,
                clock=utc_now,
                owner=f"{socket.gethostname()}:{os.getpid()}",
                is_relevant=self._is_relevant,
                on_channel_failing=self._channel_failing,
                lease_seconds=lease_seconds(),
                actions=bool(self.http_listen and os.environ.get("SLACK_SIGNING_SECRET")),
                telemetry=self.telemetry,
            )
            self.poller = SourcePoller(
                self.store,
                self._http_client,
                clock=utc_now,
                current_status=self._current_status,
                commitment_ids=lambda: list(self.config.watchlist.commitments),
                emit=self._emit,
                on_status_change=self._source_changed,
                file_root=self.config_path if self.config_path.is_dir() else self.config_path.parent,
                run_db=self.worker.run,
            )

            def recorded() -> None:  # runs on the planning worker
                loop.call_soon_threadsafe(self._wake_dispatcher)

            self.planning.on_recorded = recorded
            self.wakeups.start()
            self.wakeups.every(REFRESH_JOB, self._refresh, REFRESH_SECONDS)
            self.leadership.on_change(self._leadership_changed)
            # HTTP answers while the first plan is made (a first start with 100,000 commitments
            # takes a while): /healthz 200, /readyz and everything else 503 "starting" until then.
            tasks: list[asyncio.Task[Any]] = []
            server = self._http_server()
            if server is not None:
                sockets = [self.http_socket] if self.http_socket is not None else None
                tasks.append(asyncio.create_task(server.serve(sockets=sockets), name="http"))
            began = time.monotonic()
            await self._plan()
            log.info(
                "first plan: %d notifications recorded in %.1f s",
                self.planning.decided,
                time.monotonic() - began,
            )
            self._planning_ready = True
            await self._announce()
            self._schedule_sources()
            tasks += [
                asyncio.create_task(self.dispatcher.run_forever(), name="dispatch"),
                asyncio.create_task(self._watch_config(), name="config-watch"),
            ]
            stop_waiter = asyncio.create_task(self._stop.wait())
            done, _ = await asyncio.wait([stop_waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
            failed = [t for t in done if t is not stop_waiter and t.exception() is not None]
            for task in failed:
                log.error("component %s stopped: %r", task.get_name(), task.exception())
            self._stop.set()
            await self.leadership.close()  # another replica can take over while this one drains
            log.info("stopping: draining in-flight deliveries")
            await self.dispatcher.drain(DRAIN_SECONDS)
            # A claim that was under way when the drain began may have committed after it: let the
            # loop end, then hand back anything it took, so a restart finds no row left leased.
            await asyncio.wait(tasks[:1], timeout=1.0)
            await self.dispatcher.drain(0.5)
            self.wakeups.shutdown()
            if server is not None:
                server.should_exit = True
            for task in tasks:
                if not task.done():
                    task.cancel()
            await asyncio.wait(tasks, timeout=2.0)
            return 1 if failed else 0
        finally:
            self.wakeups.shutdown()
            self.worker.shutdown()
            await self.leadership.close()
            await self._channel_set.aclose()
            await self._session.close()
            await self._http_client.aclose()

    async def _announce(self) -> None:
        """The start summary (:mod:`services.startup`), once, as one log record."""
        watchlist = self.config.watchlist
        now = utc_now()
        try:
            pending = (await asyncio.to_thread(self.store.counts_by_state))[NotificationState.PENDING]
        except Exception:  # the summary must not stop the start
            pending = 0
        problem = self.config.delivery_problem()
        facts = StartupFacts(
            config=str(self.config_path.resolve()),
            database=self.database or "(unknown)",
            commitments=len(watchlist.commitments),
            agreements=len(watchlist.agreements),
            subscriptions=len(watchlist.subscriptions),
            sources=len(self.config.sources),
            ready=sorted(self._channel_set.channels),
            skipped=dict(self._channel_set.skipped),
            dashboard=dashboard_address(self.http_listen) if self.http_listen else None,
            next_due=self._next_due,
            pending=pending,
            problems=(problem,) if problem else (),
            leader=self.leadership.is_leader,
        )
        log.info(startup_summary(facts, now))

    # --- planning -------------------------------------------------------------------------------

    async def _plan(self) -> None:
        if not self.leadership.is_leader:
            return  # a follower only delivers
        async with self._plan_lock:
            if not await self.leadership.confirm():  # a stopped leader steps down here first
                return
            try:
                following = await self.worker.run(self.planning.tick)
            except Exception as exc:
                # Typically the database is restarting or its disk is full: try again soon, not at
                # the safety tick, so nothing due meanwhile is late by more than a few seconds once
                # it answers (what fell due meanwhile then follows the catch-up rules).
                if is_disk_full(exc):
                    if not self._plan_failing:
                        log.error(
                            "planning failed: %s; retrying every %.0f s", brief(exc), PLAN_RETRY_SECONDS
                        )
                else:
                    log.exception("planning failed; retrying in %.0f s", PLAN_RETRY_SECONDS)
                self._plan_failing = True
                if not self._stop.is_set():
                    now = utc_now()
                    self.wakeups.wake_at(now + timedelta(seconds=PLAN_RETRY_SECONDS), now)
                return
            if self._plan_failing:
                self._plan_failing = False
                log.info("planning resumed: the database takes writes again")
            self.counters["plan_ticks_total"] += 1
            self._next_due = following
            self.telemetry.plan_ticks.inc()
            if self.dispatcher is not None:
                self.dispatcher.wake()
            if not self._stop.is_set():
                self.wakeups.wake_at(following, utc_now())

    def _wake_dispatcher(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake()

    async def _refresh(self) -> None:
        """Pick up status changes, acks and snoozes recorded by other processes (the CLI, other
        replicas). A follower only refreshes its view (what it delivers is still checked against
        them); the leader plans from them. Also notices a jump of the wall clock: the leader plans
        at once (the scheduler's wake-up was set on the clock before the jump); and reloads a config
        edited without the watcher noticing (an edit made while the service was starting)."""
        jump = self._clock_jumps.check()
        if jump is not None:
            seconds_ = jump.total_seconds()
            log.warning(
                "the wall clock jumped %s by %.1f s; planning again now",
                "forward" if seconds_ > 0 else "back",
                abs(seconds_),
            )
            if self.leadership.is_leader:
                await self._plan()
        if await asyncio.to_thread(config_fingerprint, self.config_path) != self._fingerprint:
            # In the background: while the database refuses writes it retries every few seconds,
            # and this job must go on noticing changes and clock jumps meanwhile.
            self._spawn(self._reload_until_recorded("config files changed"))
        try:
            changed = await self.worker.run(self.planning.refresh)
        except Exception as exc:
            log.warning("could not check the database for recorded changes: %s", exc)
            return
        if changed and self.leadership.is_leader:
            await self._plan()

    def _leadership_changed(self, leader: bool) -> None:
        """Leadership won after the start: plan at once and poll every source now. Everything that
        fell due while no replica led is decided in that tick (several occurrences of one kind
        collapse to the latest, as after downtime). Lost: planning and polls stop by themselves."""
        if leader and self._planning_ready and not self._stop.is_set():
            self._spawn(self._take_over())
            self._schedule_sources()

    async def _take_over(self) -> None:
        async with self._plan_lock:
            await self.worker.run(lambda: self._install(self.config))  # announce what the last leader missed
        await self._plan()
        if self.leadership.is_leader and not self._plan_failing:
            log.info("planning taken over: everything due up to now is decided")

    def _install(self, config: LoadedConfig) -> None:
        # Channels without credentials get no ledger rows; the set is read here, in the worker,
        # from the channels built just before (run and reload build them first).
        self.planning.skip_channels = frozenset(self._channel_set.skipped)
        self.planning.set_watchlist(config.watchlist, leader=self.leadership.is_leader)
        if self.leadership.is_leader:  # calendar SEQUENCE: dues that moved with this config
            from deadlinewatch.web.calendar import record_versions  # icalendar: only when needed

            try:
                record_versions(self.store, self.planning.view(), utc_now())
            except Exception:
                log.exception("could not record the calendar versions")

    def _is_relevant(self, record: NotificationRecord, now: datetime) -> bool:
        return self.planning.still_relevant(record.notice(), now)

    def _current_status(self, commitment_id: str) -> Status:
        return self.planning.status_at(commitment_id, utc_now())

    def _emit(self, subject: str, occurred: datetime, data: EventData, detail: str | None) -> None:
        """Record an unscheduled event. Runs on the planning worker."""
        try:
            self.planning.emit(subject, occurred, data, detail)
        except Exception:
            log.exception("could not record %s for %s", data.kind, subject)
            return
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake_dispatcher)

    def _source_changed(self) -> None:
        """A source recorded status changes (on the planning worker): decide from them at once."""
        self.planning.changed()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: self._spawn(self._plan()))

    def _channel_failing(self, channel: str, error: str, now: datetime) -> None:
        log.error("channel %s is failing: %s", channel, error)
        data = ChannelFailing(channel=channel, error=error)
        self._spawn(self.worker.run(lambda: self._emit(channel, now, data, error)))

    # --- sources ----------------------------------------------------------------------------------

    def _schedule_sources(self) -> None:
        keep: set[str] = set()
        for source in self.config.sources:
            job_id = SOURCE_JOB_PREFIX + source.id
            keep.add(job_id)
            self.wakeups.every(job_id, self._poll_job(source), seconds(source.every), jitter_for(source))
        self.wakeups.remove_jobs(SOURCE_JOB_PREFIX, keep)

    def _poll_job(self, source: SourceConfig) -> Any:
        async def poll() -> None:
            if self.poller is not None and await self.leadership.confirm():
                report = await self.poller.poll(source)
                self.telemetry.source_polled(source.id, report.outcome.value, report.ok, utc_now())
                log.debug("polled %s: %s", source.id, report)

        return poll

    # --- reload -----------------------------------------------------------------------------------

    async def reload(self, reason: str) -> bool:
        """Load the config again; an invalid one keeps the last good config running and raises
        ``config_error`` (once per distinct set of errors)."""
        self._fingerprint = await asyncio.to_thread(config_fingerprint, self.config_path)
        result = await asyncio.to_thread(load_config, self.config_path, os.environ)  # no database
        self.counters["reloads_total"] += 1
        self.telemetry.reloaded(ok=not result.errors and result.config is not None)
        if result.errors or result.config is None:
            messages = [str(e) for e in result.errors] or ["the config could not be loaded"]
            signature = hashlib.sha256("\n".join(messages).encode()).hexdigest()
            for message in messages[:50]:
                log.error("config error (%s; keeping the last good config): %s", reason, message)
            if signature != self._last_config_error:
                self._last_config_error = signature
                self.counters["config_errors_total"] += 1
                first = result.errors[0] if result.errors else None
                data = ConfigError(
                    file=first.file if first else str(self.config_path),
                    line=first.line if first else 0,
                    column=first.column if first else 0,
                    message=first.message if first else messages[0],
                    count=len(messages),
                    errors=tuple(messages[:10]),
                )
                if self.leadership.is_leader:  # every replica reads the same files: one alert
                    now = utc_now()
                    detail = "\n".join(messages[:10])
                    await self.worker.run(lambda: self._emit("", now, data, detail))
            return False
        self._last_config_error = None
        self.config = result.config
        config = result.config
        digest = await asyncio.to_thread(config_digest, config.files)
        self.telemetry.config_loaded(digest, utc_now())
        old = self._channel_set
        self._channel_set = build_channels(result.config, self._session, proxies=self.proxies)
        async with self._plan_lock:
            await self.worker.run(lambda: self._install(config))
        if self.dispatcher is not None:
            self.dispatcher.set_channels(self._channel_set.channels, self._channel_set.skipped)
        await old.aclose()
        self._schedule_sources()
        log.info("config reloaded (%s): %s", reason, result.config.summary())
        await self._plan()
        return True

    async def _reload_until_recorded(self, reason: str) -> None:
        """:meth:`reload`, again every few seconds while the database refuses what it records (a
        full disk, an outage): a reload must never stop the config watcher, nor the service."""
        while not self._stop.is_set():
            try:
                await self.reload(reason)
                return
            except Exception as exc:
                log.error(
                    "config reload (%s) could not be recorded in the database: %s; retrying in %.0f s",
                    reason,
                    brief(exc),
                    PLAN_RETRY_SECONDS,
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), PLAN_RETRY_SECONDS)

    async def _watch_config(self) -> None:
        from watchfiles import awatch

        # Watch the folder, not the files: editors and Kubernetes replace files by rename/symlink.
        single = None if self.config_path.is_dir() else self.config_path.resolve()
        folder = self.config_path if single is None else self.config_path.parent
        async for changes in awatch(folder, stop_event=self._stop, debounce=300, recursive=single is None):
            if any(_is_config_file(Path(p), single) for _, p in changes):
                await self._reload_until_recorded("file change")

    def _http_server(self) -> Any:
        if not self.http_listen:
            return None
        import uvicorn

        from deadlinewatch.web.app import create_app
        from deadlinewatch.web.settings import http_settings

        host, _, port = self.http_listen.rpartition(":")
        settings = http_settings(
            self.http_listen, self.config.http_allowed_hosts, self.config.http_max_body_bytes, os.environ
        )
        app = create_app(ServiceRuntime(self), settings)
        config = uvicorn.Config(
            app, host=host or "127.0.0.1", port=int(port), log_level="warning", lifespan="off"
        )
        return _EmbeddedServer(config)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _is_config_file(path: Path, single: Path | None) -> bool:
    if single is not None:
        return path.resolve() == single
    return path.suffix in (".yaml", ".yml") and not any(part.startswith(".") for part in path.parts[-1:])


def _embedded_server_class() -> Any:
    import uvicorn

    class EmbeddedServer(uvicorn.Server):
        """uvicorn without its own signal handling: the service owns SIGTERM/SIGINT."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return EmbeddedServer


def _EmbeddedServer(config: Any) -> Any:
    return _embedded_server_class()(config)


class ServiceRuntime:
    """What the web app may see and do (see :mod:`deadlinewatch.web.runtime`)."""

    def __init__(self, service: Service) -> None:
        self._service = service

    @property
    def store(self) -> Store:
        return self._service.store

    def planner(self) -> Planner | None:
        return self._service.planner()

    def config(self) -> LoadedConfig | None:
        return self._service.current_config()

    def scheduler_running(self) -> bool:
        return self._service.scheduler_running()

    def starting(self) -> str | None:
        return None if self._service._planning_ready else "the first plan is being made"

    def now(self) -> datetime:
        return utc_now()

    def api_token(self) -> str | None:
        return os.environ.get("DEADLINEWATCH_API_TOKEN") or None

    def slack_signing_secret(self) -> str | None:
        return os.environ.get("SLACK_SIGNING_SECRET") or None

    async def perform(self, action: Action) -> ActionResult:
        return await self._service.perform(action)

    def api_token_name(self) -> str:
        return os.environ.get("DEADLINEWATCH_API_TOKEN_NAME", "").strip()[:80] or "api"

    def metrics(self) -> Mapping[str, float]:
        dispatcher = self._service.dispatcher
        return {
            **self._service.counters,
            "decided_total": float(self._service.planning.decided),
            "in_flight": float(dispatcher.in_flight if dispatcher else 0),
        }

    def telemetry(self) -> ServiceTelemetry:
        return self._service.telemetry

    def is_leader(self) -> bool:
        return self._service.leadership.is_leader

    def delivering(self) -> bool:
        """A tick is about to start or deciding (and recording) what is due, or rows due a moment
        ago are being sent: HTTP reads then wait a little (web/readgate.py)."""
        service = self._service
        dispatcher = service.dispatcher
        now = utc_now()
        if service._plan_lock.locked():
            return True
        if dispatcher is not None and dispatcher.on_time_in_flight(now, READS_YIELD_UNTIL_LATE_BY):
            return True
        # A tick is about to start (or its wake-up is running late): let it start on a quiet loop.
        following = service._next_due
        if following is None:
            return False
        ahead = (following - now).total_seconds()
        return -READS_HELD_LATE_TICK_SECONDS < ahead < READS_HELD_BEFORE_TICK_SECONDS
