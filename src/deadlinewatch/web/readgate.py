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

A read waiting on the database steps out of the gate meanwhile (:func:`outside_gate`): waiting
costs the loop nothing, and a hung database must not keep cached reads queued behind it.

``/healthz`` and ``/readyz`` never wait (a health or readiness probe must not queue behind reads
or time out during a burst), and writes are not gated (they are rare and their handlers are
owned elsewhere).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send

from deadlinewatch.web.dbreads import DatabaseReads

__all__ = ["ReadGate", "outside_gate", "read_database"]

T = TypeVar("T")

_UNGATED = frozenset({"/healthz", "/readyz"})


class _Slot:
    """One request's place in the gate: whether it holds it right now."""

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self.semaphore = semaphore
        self.held = False


_current: contextvars.ContextVar[_Slot | None] = contextvars.ContextVar("read_gate_slot", default=None)
_arrived: contextvars.ContextVar[float | None] = contextvars.ContextVar("read_arrived", default=None)


@contextlib.asynccontextmanager
async def outside_gate() -> AsyncIterator[None]:
    """Give the current request's gate slot back for the duration (a wait on the database), and
    take one again afterwards; a no-op for requests the gate does not hold."""
    slot = _current.get()
    if slot is None or not slot.held:
        yield
        return
    slot.held = False
    slot.semaphore.release()
    try:
        yield
    finally:
        await slot.semaphore.acquire()
        slot.held = True


async def read_database(reads: DatabaseReads, call: Callable[[], T]) -> T:
    """``call()`` through ``reads``, outside the gate, within the read timeout counted from the
    request's arrival at the gate (its waits for deliveries and for a slot included)."""
    async with outside_gate():
        return await reads.arun(call, since=_arrived.get())


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
        arrived = _arrived.set(time.monotonic())
        try:
            await self._gated(scope, receive, send)
        finally:
            _arrived.reset(arrived)

    async def _gated(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        await self._wait_for_quiet(loop, deadline)
        if self._gate is None or self._gate[0] is not loop:  # one per serving loop (tests make several)
            self._gate = (loop, asyncio.Semaphore(self.limit))
        slot = _Slot(self._gate[1])
        await slot.semaphore.acquire()
        slot.held = True
        token = _current.set(slot)
        try:
            await self._wait_for_quiet(loop, deadline)
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
            if slot.held:  # not when a request cancelled while taking its slot back
                slot.held = False
                slot.semaphore.release()
