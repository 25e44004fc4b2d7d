"""Database reads for ``/readyz`` and ``/metrics`` that can never hold a server worker.

Each kind of read (``name``) runs on a daemon thread of its own (never the server's pool), at
most one at a time: callers that arrive while one is in flight join it. Every caller waits at most
``timeout`` seconds from the moment the read *started* (a caller joining a read that began 4 s ago
waits 1 s), then gets :class:`ProbeTimeout`. A read still running after its timeout is abandoned
(its thread is bounded by the engine's connect and statement timeouts) and the next caller starts
a fresh one, unless ``workers`` abandoned reads are still stuck: then callers fail at once. So a
hung database answers ``/readyz`` with 503 within ``timeout`` seconds and ties up at most
``workers`` threads, none of them the server's.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

__all__ = ["DatabaseProbe", "ProbeTimeout"]

T = TypeVar("T")


class ProbeTimeout(Exception):
    """The database did not answer in time (or every probe thread is stuck on it)."""


class DatabaseProbe:
    def __init__(self, timeout: float = 4.0, workers: int = 4) -> None:
        self.timeout = timeout
        self._workers = workers
        self._lock = threading.Lock()
        self._inflight: dict[str, tuple[float, Future[Any]]] = {}
        self._unfinished: set[Future[Any]] = set()

    def _start(self, name: str, call: Callable[[], T]) -> tuple[float, Future[T]]:
        with self._lock:
            now = time.monotonic()
            current = self._inflight.get(name)
            if current is not None and not current[1].done() and now - current[0] < self.timeout:
                return current
            if len(self._unfinished) >= self._workers:
                raise ProbeTimeout("every database probe is still waiting for the database")
            future: Future[T] = Future()
            self._unfinished.add(future)
            self._inflight[name] = (now, future)
        # A daemon thread per read (at most ``workers`` alive): a read stuck on a dead database
        # must not hold up the process's exit either.
        threading.Thread(target=self._work, args=(future, call), name=f"probe-{name}", daemon=True).start()
        return now, future

    def _work(self, future: Future[T], call: Callable[[], T]) -> None:
        try:
            future.set_result(call())
        except BaseException as exc:
            future.set_exception(exc)
        finally:
            with self._lock:
                self._unfinished.discard(future)

    def run(self, name: str, call: Callable[[], T]) -> T:
        """``call()``'s result (or its exception), waiting at most until the read's timeout."""
        started, future = self._start(name, call)
        remaining = self.timeout - (time.monotonic() - started)
        try:
            return future.result(timeout=max(remaining, 0.0))
        except FutureTimeout:
            raise ProbeTimeout(f"the database did not answer within {self.timeout:g} s") from None

    async def arun(self, name: str, call: Callable[[], T]) -> T:
        """:meth:`run` for the event loop (the loop is never blocked)."""
        started, future = self._start(name, call)
        remaining = self.timeout - (time.monotonic() - started)
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), max(remaining, 0.0))
        except TimeoutError:
            raise ProbeTimeout(f"the database did not answer within {self.timeout:g} s") from None
