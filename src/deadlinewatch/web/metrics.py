"""``/metrics``: the Prometheus exposition of one web app, with prometheus_client.

Each app has its own :class:`CollectorRegistry` (tests build many apps in one process) holding:

- process and Python metrics (``process_*``, ``python_info``) and ``deadlinewatch_build_info``;
- HTTP requests and durations by route template (:mod:`deadlinewatch.web.http_metrics`);
- what this process counted (:class:`~deadlinewatch.telemetry.ServiceTelemetry`: deliveries by
  channel and outcome, due→sent latency, source polls, reloads, wake-ups);
- the service's state read at scrape time: leader, config loaded, scheduler running, commitments
  by status, and — from the leader only, so a sum over replicas is not multiplied — the ledger:
  rows by state, due and held rows and the oldest due row's age, rows waiting for a retry and
  failed rows by channel, channels and sources marked failing.

Database reads go through the app's :class:`DatabaseProbe`: a database that does not answer makes
``deadlinewatch_database_up`` 0 within the probe timeout and leaves the ledger gauges out, so a
scrape still shows why.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Iterable, Mapping
from importlib import metadata

from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from deadlinewatch.domain.model import Status
from deadlinewatch.services.dispatch import FAILING_STATE_PREFIX
from deadlinewatch.storage import NotificationState, Store
from deadlinewatch.storage.monitoring import LedgerStats
from deadlinewatch.web.probe import DatabaseProbe, ProbeTimeout
from deadlinewatch.web.readmodel import states_of
from deadlinewatch.web.runtime import Runtime

__all__ = ["CONTENT_TYPE", "MetricsExporter"]

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
PREFIX = "deadlinewatch_"
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"')
_LABELS = re.compile(rf"^\{{{_PAIR.pattern}(?:,{_PAIR.pattern})*\}}$")


def _version() -> str:
    try:
        return metadata.version("deadlinewatch")
    except metadata.PackageNotFoundError:
        return "unknown"


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, help_text, value=value)


class _ServiceCollector(Collector):
    def __init__(self, runtime: Runtime, probe: DatabaseProbe, store: Store) -> None:
        self.runtime = runtime
        self.probe = probe
        self.store = store
        self.version = _version()

    def collect(self) -> Iterable[Metric]:
        runtime = self.runtime
        build = GaugeMetricFamily(
            PREFIX + "build_info",
            "Always 1; labels: the deadlinewatch version and the Python version running it",
            labels=["version", "python"],
        )
        build.add_metric([self.version, platform.python_version()], 1)
        yield build
        leader = runtime.is_leader()
        yield _gauge("leader", "1 when this process is the leader (plans, polls, exports the ledger)", leader)
        stats: LedgerStats | None = None
        try:
            if leader:
                now = runtime.now()
                stats = self.probe.run("ledger", lambda: self.store.ledger_stats(now, FAILING_STATE_PREFIX))
                up = True
            else:
                up = self.probe.run("ping", self.store.ping)
        except (ProbeTimeout, SQLAlchemyError):
            up = False
        yield _gauge("database_up", "1 when the database answered this scrape's read in time", up)
        if stats is not None:
            yield from _ledger(stats, runtime)
        yield _gauge("config_loaded", "1 when a valid config is loaded", runtime.config() is not None)
        yield _gauge("scheduler_running", "1 when the scheduler is running", runtime.scheduler_running())
        yield from _commitments(runtime)
        families = list(runtime.telemetry().collect())
        yield from families
        yield from _extra(runtime.metrics(), {f.name for f in families})


def _ledger(stats: LedgerStats, runtime: Runtime) -> Iterable[Metric]:
    rows = GaugeMetricFamily(
        PREFIX + "notifications", "Ledger rows (notifications) by state, over every replica", labels=["state"]
    )
    for state in NotificationState:
        rows.add_metric([state.value], stats.by_state.get(state, 0))
    yield rows
    channels = sorted(stats.by_channel)
    families = {
        "outbox_due": "Notifications due now and not yet sent (pending or being sent), by channel",
        "outbox_held": "Notifications waiting for a later instant (quiet hours, a retry), by channel",
        "outbox_retrying": "Notifications waiting to be tried again after a failed attempt, by channel",
        "notifications_failed": "Notifications given up (state failed), by channel",
    }
    values = {
        "outbox_due": lambda c: stats.by_channel[c].due,
        "outbox_held": lambda c: stats.by_channel[c].scheduled,
        "outbox_retrying": lambda c: stats.by_channel[c].retrying,
        "notifications_failed": lambda c: stats.by_channel[c].failed,
    }
    for name, help_text in families.items():
        family = GaugeMetricFamily(PREFIX + name, help_text, labels=["channel"])
        for channel in channels:
            family.add_metric([channel], values[name](channel))
        yield family
    oldest = stats.oldest_due
    age = max((runtime.now() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    yield _gauge(
        "outbox_oldest_due_age_seconds", "Age of the oldest notification due and not sent (0: none)", age
    )
    failing = GaugeMetricFamily(
        PREFIX + "channel_failing",
        "1 for each channel marked failing (a permanent error; cleared by its next success)",
        labels=["channel"],
    )
    for channel in sorted(stats.failing_channels | set(channels)):
        failing.add_metric([channel], channel in stats.failing_channels)
    yield failing
    sources = GaugeMetricFamily(
        PREFIX + "source_failing",
        "1 for each status source marked failing (3 or more polls in a row failed)",
        labels=["source"],
    )
    streaks = GaugeMetricFamily(
        PREFIX + "source_consecutive_failures",
        "Failed polls in a row of each status source (0 once a poll succeeds)",
        labels=["source"],
    )
    for source, (failures, marked) in sorted(stats.sources.items()):
        sources.add_metric([source], marked)
        streaks.add_metric([source], failures)
    yield sources
    yield streaks


def _commitments(runtime: Runtime) -> Iterable[Metric]:
    try:
        planner = runtime.planner()
    except SQLAlchemyError:  # a runtime may build its view from the database on demand
        planner = None
    if planner is None:
        return
    model = states_of(planner, runtime.now())  # counts kept with the read model: no scan
    family = GaugeMetricFamily(PREFIX + "commitments", "Commitments by current status", labels=["status"])
    for status in Status:
        family.add_metric([status.value], model.by_status[status])
    yield family
    yield _gauge("commitments_overdue", "Commitments overdue now (open status)", model.overdue_count)
    yield _gauge("commitments_pending", "Relative or derived deadlines not known yet", model.pending_count)


# HELP of the service's own extra samples (``Runtime.metrics()``); others get a generic one.
_EXTRA_HELP = {
    "deadlinewatch_in_flight": "Notifications claimed by this process and not finished yet",
    "deadlinewatch_decided": "Notifications decided (written to the ledger) by this process's planner",
    "deadlinewatch_reloads": "Config reloads attempted by this process (ok or not)",
    "deadlinewatch_config_errors": "Distinct sets of config errors met by this process (each raised once)",
}


def _unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")


def _extra(metrics: Mapping[str, float], taken: set[str]) -> Iterable[Metric]:
    """The runtime's extra samples (``name{labels}`` → value); a ``_total`` name is a counter.
    Malformed names and names of the families above are left out."""
    families: dict[str, Metric] = {}
    for key in sorted(metrics):
        name, brace, rest = key.partition("{")
        labels = brace + rest
        if not _NAME.match(name) or (labels and not _LABELS.match(labels)):
            continue
        name = name if name.startswith(PREFIX) else PREFIX + name
        counter = name.endswith("_total")
        family_name = name.removesuffix("_total") if counter else name
        if family_name in taken or name in taken:
            continue
        family = families.get(family_name)
        if family is None:
            help_text = _EXTRA_HELP.get(family_name, f"{name.removeprefix(PREFIX)} reported by the service")
            family = (
                CounterMetricFamily(family_name, help_text) if counter else GaugeMetricFamily(name, help_text)
            )
            families[family_name] = family
        pairs = {k: _unescape(v) for k, v in _PAIR.findall(labels)}
        family.add_sample(name, pairs, float(metrics[key]))
    yield from families.values()


class MetricsExporter:
    """The registry of one app; :meth:`render` is the ``/metrics`` body."""

    def __init__(self, runtime: Runtime, probe: DatabaseProbe, store: Store) -> None:
        """``store``: where the ledger is read (the probe engine, see ``create_probe_engine``)."""
        self.registry = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.registry.register(_ServiceCollector(runtime, probe, store))

    def render(self) -> bytes:
        return generate_latest(self.registry)
