"""What one service process counts about itself, for ``/metrics``: deliveries, due→sent latency,
source polls, config reloads, the planner's wake-ups.

The prometheus_client metrics here are created unregistered (``registry=None``): each web app
registers its own collector (``web/metrics.py``) that asks :meth:`ServiceTelemetry.collect`, so
tests can build many services and apps in one process. Ledger-wide numbers (queue depth, failed
rows) are not counted here: the leader reads them from the database at scrape time.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

__all__ = ["DeliveryOutcome", "ServiceTelemetry", "config_digest"]

# Due → accepted: most deliveries take well under a second; retries and quiet hours take longer.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 21600.0)


class DeliveryOutcome:
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    DROPPED = "dropped"


def config_digest(files: Iterable[Path]) -> str:
    """SHA-256 over the config files' names and bytes (first 16 hex digits); ``unreadable`` when
    a file cannot be read any more."""
    digest = hashlib.sha256()
    try:
        for path in sorted(files):
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return "unreadable"
    return digest.hexdigest()[:16]


class ServiceTelemetry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.deliveries = Counter(
            "deadlinewatch_deliveries",
            "Delivery attempts made by this process, by channel and outcome: sent (accepted by the "
            "channel), retry (failed, tried again later), failed (given up), dropped (not sent: the "
            "channel is not configured or the commitment no longer needs it)",
            ["channel", "outcome"],
            registry=None,
        )
        self.latency = Histogram(
            "deadlinewatch_delivery_latency_seconds",
            "Seconds from a notification's due instant (after quiet hours) to its channel accepting "
            "it, by channel",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=None,
        )
        self.source_polls = Counter(
            "deadlinewatch_source_polls",
            "Source polls made by this process, by source and outcome (updated, not_modified, failed)",
            ["source", "outcome"],
            registry=None,
        )
        self.source_last_success = Gauge(
            "deadlinewatch_source_last_success_timestamp_seconds",
            "Unix time of the last successful poll of each source by this process",
            ["source"],
            registry=None,
        )
        self.reloads = Counter(
            "deadlinewatch_config_reloads",
            "Config reloads (file change or SIGHUP), by outcome: ok (applied) or error (rejected, the "
            "last good config keeps running)",
            ["outcome"],
            registry=None,
        )
        self.last_reload = Gauge(
            "deadlinewatch_config_last_load_timestamp_seconds",
            "Unix time the running config was loaded (at start or by the last good reload)",
            registry=None,
        )
        self.plan_ticks = Counter(
            "deadlinewatch_plan_ticks",
            "Planner runs (decisions about what is due) by this process",
            registry=None,
        )
        self._config_hash = ""
        self._scheduler: Callable[[], tuple[datetime | None, float | None]] = lambda: (None, None)

    # --- recording ---------------------------------------------------------------------------------

    def delivered(self, channel: str, outcome: str, latency_seconds: float | None = None) -> None:
        self.deliveries.labels(channel, outcome).inc()
        if latency_seconds is not None:
            self.latency.labels(channel).observe(max(latency_seconds, 0.0))

    def source_polled(self, source: str, outcome: str, ok: bool, now: datetime) -> None:
        self.source_polls.labels(source, outcome).inc()
        if ok:
            self.source_last_success.labels(source).set(now.timestamp())

    def config_loaded(self, digest: str, now: datetime) -> None:
        with self._lock:
            self._config_hash = digest
        self.last_reload.set(now.timestamp())

    def reloaded(self, ok: bool) -> None:
        self.reloads.labels("ok" if ok else "error").inc()

    def watch_scheduler(self, state: Callable[[], tuple[datetime | None, float | None]]) -> None:
        """``state()`` gives (the planner's next timed wake-up, how late its last one ran in s)."""
        self._scheduler = state

    # --- exposition ----------------------------------------------------------------------------------

    def collect(self) -> Iterable[Metric]:
        for metric in (
            self.deliveries,
            self.latency,
            self.source_polls,
            self.source_last_success,
            self.reloads,
            self.last_reload,
            self.plan_ticks,
        ):
            yield from metric.collect()
        with self._lock:
            digest = self._config_hash
        if digest:
            info = GaugeMetricFamily(
                "deadlinewatch_config_info",
                "Always 1; the label sha256 identifies the running config files (changes on reload)",
                labels=["sha256"],
            )
            info.add_metric([digest], 1)
            yield info
        next_wakeup, lag = self._scheduler()
        if next_wakeup is not None:
            yield GaugeMetricFamily(
                "deadlinewatch_next_wakeup_timestamp_seconds",
                "Unix time the planner is next woken for something due (absent: only the safety tick)",
                value=next_wakeup.timestamp(),
            )
        if lag is not None:
            yield GaugeMetricFamily(
                "deadlinewatch_scheduler_lag_seconds",
                "How many seconds after its scheduled instant the planner's last timed wake-up ran",
                value=lag,
            )
