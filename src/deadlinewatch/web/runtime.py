"""What the HTTP surface needs from the running service (:class:`Runtime`), and a plain
implementation over a store and a loaded config (:class:`StaticRuntime`) for the CLI and tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from deadlinewatch.actions import ActionRefused, ActionResult
from deadlinewatch.clock import utc_now
from deadlinewatch.config.loader import LoadedConfig
from deadlinewatch.domain.planning import Planner
from deadlinewatch.services.situation import situation_from_store
from deadlinewatch.storage import Store
from deadlinewatch.telemetry import ServiceTelemetry

__all__ = ["Action", "Runtime", "StaticRuntime"]

# A write of :mod:`deadlinewatch.actions` with its inputs bound: (planner, store, now) -> result.
Action = Callable[[Planner, Store, datetime], ActionResult]


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

    def starting(self) -> str | None:
        """What the service is still doing before it serves (its first plan), else ``None``:
        until then ``/healthz`` answers, ``/readyz`` and every other request 503."""
        ...

    def now(self) -> datetime:
        """Aware UTC."""
        ...

    def api_token(self) -> str | None:
        """``DEADLINEWATCH_API_TOKEN``; ``None`` turns the write API off."""
        ...

    def slack_signing_secret(self) -> str | None:
        """``SLACK_SIGNING_SECRET``; ``None`` turns ``/slack/actions`` off."""
        ...

    async def perform(self, action: Action) -> ActionResult:
        """Run an analyst's write (:mod:`deadlinewatch.actions`) where the service runs its writes,
        against its current planner, and re-plan at once; raises :class:`ActionRefused`."""
        ...

    def api_token_name(self) -> str:
        """Who API writes are recorded as (``DEADLINEWATCH_API_TOKEN_NAME``, else ``api``)."""
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

    def delivering(self) -> bool:
        """Whether what is due is being decided or sent (HTTP reads then wait a little: deliveries
        first)."""
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
    token_name: str = "api"
    running: bool = True
    extra_metrics: dict[str, float] = field(default_factory=dict)
    service_telemetry: ServiceTelemetry = field(default_factory=ServiceTelemetry)
    leader: bool = True
    change_count: int = 0
    start_work: str | None = None  # what ``starting`` says (None: started)
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

    def starting(self) -> str | None:
        return self.start_work

    def now(self) -> datetime:
        return self.clock()

    def api_token(self) -> str | None:
        return self.token

    def slack_signing_secret(self) -> str | None:
        return self.signing_secret

    async def perform(self, action: Action) -> ActionResult:
        def step() -> ActionResult:
            planner = self.planner()
            if planner is None:
                raise ActionRefused("no config loaded yet; try again in a moment")
            return action(planner, self.store, self.clock())

        result = await asyncio.to_thread(step)
        if result.created:
            self.change_count += 1
            self._planner = None
        return result

    def api_token_name(self) -> str:
        return self.token_name

    def metrics(self) -> Mapping[str, float]:
        return dict(self.extra_metrics)

    def telemetry(self) -> ServiceTelemetry:
        return self.service_telemetry

    def is_leader(self) -> bool:
        return self.leader

    def delivering(self) -> bool:
        return False
