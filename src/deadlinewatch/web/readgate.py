"""At most a few HTTP reads in progress at once, so HTTP load cannot starve deliveries.

The web app shares the event loop (and the GIL) with the dispatcher. Without a bound, 16 busy
clients keep 16 requests in flight: their callbacks crowd the loop's ready queue and their worker
threads take turns on the GIL, and every step of a delivery waits behind all of them. Behind the
gate, requests beyond ``limit`` wait on a semaphore — which costs nothing — so the delivery loop
competes with at most ``limit`` requests however many clients there are. Readers see the cost as
queueing (latency grows with the number of clients); deliveries do not.

While the service is delivering (``busy()``: a tick about to start or deciding, or rows claimed
and not finished), a read waits before it starts, for at most ``max_wait`` seconds from its
arrival, so readers are late during a burst, never starved. The wait is checked again after the
read takes its place (a read that queued behind the others must not start in the middle of the
next burst), and "busy" lingers for ``linger`` seconds after it was last seen: between a tick
that wrote rows and the dispatcher's claim of them there is a gap of a few milliseconds in which
nothing is in flight, and reads let through there would compete with the whole burst.

``/healthz`` and ``/readyz`` never wait (a health or readiness probe must not queue behind reads
or time out during a burst), and writes are not gated (they are rare and their handlers are
owned elsewhere).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ReadGate"]

_UNGATED = frozenset({"/healthz", "/readyz"})


class ReadGate:
    def __init__(
        self,
        app: ASGIApp,
        limit: int = 2,
        busy: Callable[[], bool] | None = None,
        max_wait: float = 2.0,
        poll: float = 0.02,
        linger: float = 0.25,
    ) -> None:
        self.app = app
        self.limit = limit
        self.busy = busy
        self.max_wait = max_wait
        self.poll = poll
        self.linger = linger
        self._gate: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._last_busy = float("-inf")  # loop time at which busy() was last seen true

    def _held(self, loop: asyncio.AbstractEventLoop) -> bool:
        if self.busy is None:
            return False
        now = loop.time()
        if self.busy():
            self._last_busy = now
            return True
        return now - self._last_busy < self.linger

    async def _wait_for_quiet(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        while self._held(loop) and loop.time() < deadline:
            await asyncio.sleep(self.poll)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or scope["path"] in _UNGATED:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        await self._wait_for_quiet(loop, deadline)
        if self._gate is None or self._gate[0] is not loop:  # one per serving loop (tests make several)
            self._gate = (loop, asyncio.Semaphore(self.limit))
        async with self._gate[1]:
            await self._wait_for_quiet(loop, deadline)
            await self.app(scope, receive, send)
