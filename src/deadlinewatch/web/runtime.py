"""What the HTTP surface needs from the running service (:class:`Runtime`), and a plain
implementation over a store and a loaded config (:class:`StaticRuntime`) for the CLI and tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from deadlinewatch.clock import utc_now
from deadlinewatch.config.loader import LoadedConfig
from deadlinewatch.domain.planning import Planner
from deadlinewatch.services.situation import situation_from_store
from deadlinewatch.storage import Store
from deadlinewatch.telemetry import ServiceTelemetry

__all__ = ["Runtime", "StaticRuntime"]


class Runtime(Protocol):
    """The service as the web app sees it. Methods are cheap; only database work (``store``, and
    a ``planner`` built from it) may raise ``SQLAlchemyError``, which the app answers with 503."""

    @property
    def store(self) -> Store: ...

    def planner(self) -> Planner | None:
        """The engine's current view (``None`` before the first config load)."""
        ...

    def config(self) -> LoadedConfig | None: ...

    def scheduler_running(self) -> bool: ...

    def now(self) -> datetime:
        """Aware UTC."""
        ...

    def api_token(self) -> str | None:
        """``DEADLINEWATCH_API_TOKEN``; ``None`` turns the write API off."""
        ...

    def slack_signing_secret(self) -> str | None:
        """``SLACK_SIGNING_SECRET``; ``None`` turns ``/slack/actions`` off."""
        ...

    def changed(self) -> None:
        """Called after every write (status, ack, snooze) so the service re-plans."""
        ...

    def metrics(self) -> Mapping[str, float]:
        """Extra gauges and counters (``deliveries_total`` …); names without the ``deadlinewatch_``
        prefix get it; a ``_total`` suffix makes a counter."""
        ...

    def telemetry(self) -> ServiceTelemetry:
        """What this process counted (deliveries, polls, reloads, wake-ups), for ``/metrics``."""
        ...

    def is_leader(self) -> bool:
        """Whether this process plans (it alone exports the ledger-wide gauges)."""
        ...


@dataclass
class StaticRuntime:
    """A :class:`Runtime` over a store and a config, with no scheduler of its own: the planner is
    rebuilt from the store after each :meth:`changed` (so writes show at once)."""

    store: Store
    loaded_config: LoadedConfig | None = None
    clock: Callable[[], datetime] = utc_now
    token: str | None = None
    signing_secret: str | None = None
    running: bool = True
    extra_metrics: dict[str, float] = field(default_factory=dict)
    service_telemetry: ServiceTelemetry = field(default_factory=ServiceTelemetry)
    leader: bool = True
    change_count: int = 0
    _planner: Planner | None = field(default=None, init=False, repr=False)

    def planner(self) -> Planner | None:
        if self.loaded_config is None:
            return None
        if self._planner is None:
            self._planner = Planner(situation_from_store(self.loaded_config.watchlist, self.store)[0])
        return self._planner

    def config(self) -> LoadedConfig | None:
        return self.loaded_config

    def scheduler_running(self) -> bool:
        return self.running

    def now(self) -> datetime:
        return self.clock()

    def api_token(self) -> str | None:
        return self.token

    def slack_signing_secret(self) -> str | None:
        return self.signing_secret

    def changed(self) -> None:
        self.change_count += 1
        self._planner = None

    def metrics(self) -> Mapping[str, float]:
        return dict(self.extra_metrics)

    def telemetry(self) -> ServiceTelemetry:
        return self.service_telemetry

    def is_leader(self) -> bool:
        return self.leader
