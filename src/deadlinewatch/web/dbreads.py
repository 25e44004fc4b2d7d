"""Database reads of the HTTP surface, bounded so a hung database holds no server worker.

Every read a route makes of the database goes through :class:`DatabaseReads`: it runs on one of
``workers`` daemon threads of its own (never the server's thread pool, never the event loop) and
the caller waits at most ``timeout`` seconds from the moment it asked — queueing for a worker
included — then gets :class:`DatabaseUnavailable` (the app answers 503 with ``Retry-After``). A
read that timed out while still queued is dropped (it never runs later); one that was running is
abandoned: its thread stays busy until the database answers or the connection's own limits fire.
When every worker has been busy on its read for longer than ``timeout`` (the database is hung and
has taken all of them), callers fail at once instead of queueing behind them. So a hung database
ties up at most ``workers`` threads and connections, all of them this module's.

Async routes use :func:`~deadlinewatch.web.readgate.read_database`, which awaits
:meth:`DatabaseReads.arun` outside the read gate and counts the request's earlier waits against
the timeout (nothing of the server is held while waiting); sync code calls
:meth:`DatabaseReads.run`, which blocks its thread for at most ``timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

__all__ = ["RETRY_AFTER_SECONDS", "DatabaseReads", "DatabaseUnavailable"]

T = TypeVar("T")
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(Exception):
    """The database did not answer a read in time; :attr:`detail` says so in words for the client."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.detail = f"the database did not answer within {timeout:g} s; try again"
        super().__init__(self.detail)


_Job = tuple[Future[Any], Callable[[], Any]]


class DatabaseReads:
    def __init__(self, timeout: float = 4.0, workers: int = 4, min_wait: float = 1.0) -> None:
        self.timeout = timeout
        self.min_wait = min_wait  # the least a read is given, however long its request waited before
        self.workers = workers
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._busy_since: dict[int, float] = {}  # worker index -> when its current read started
        self._threads = 0

    def _submit(self, call: Callable[[], T]) -> Future[T]:
        with self._lock:
            now = time.monotonic()
            busy = list(self._busy_since.values())
            if len(busy) >= self.workers and all(now - since > self.timeout for since in busy):
                raise DatabaseUnavailable(self.timeout)  # every worker is stuck on the database
            future: Future[T] = Future()
            self._jobs.put((future, call))
            if self._threads < self.workers:
                index = self._threads
                self._threads += 1
                # Daemon threads: a read stuck on a dead database must not hold up the exit.
                worker = threading.Thread(
                    target=self._work, args=(index,), name=f"db-read-{index}", daemon=True
                )
                worker.start()
        return future

    def _work(self, index: int) -> None:
        while True:
            future, call = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue  # its caller gave up while it was queued
            with self._lock:
                self._busy_since[index] = time.monotonic()
            try:
                future.set_result(call())
            except BaseException as exc:
                future.set_exception(exc)
            finally:
                with self._lock:
                    del self._busy_since[index]

    def run(self, call: Callable[[], T]) -> T:
        """``call()``'s result (or its exception), waiting at most :attr:`timeout` seconds."""
        future = self._submit(call)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            future.cancel()
            raise DatabaseUnavailable(self.timeout) from None

    async def arun(self, call: Callable[[], T], since: float | None = None) -> T:
        """:meth:`run` for the event loop: the loop and the server's threads are never blocked.
        ``since`` (``time.monotonic()``): when the request arrived, so the time it already waited
        (for deliveries, for the read gate) counts against :attr:`timeout` — down to
        :attr:`min_wait` for the read itself."""
        budget = self.timeout
        if since is not None:
            budget = max(self.timeout - (time.monotonic() - since), self.min_wait)
        future = self._submit(call)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), budget)
        except TimeoutError:
            future.cancel()  # dropped if still queued; a running read is abandoned
            raise DatabaseUnavailable(self.timeout) from None

    def stuck(self) -> int:
        """Workers busy on one read for longer than :attr:`timeout` (for tests and metrics)."""
        with self._lock:
            now = time.monotonic()
            return sum(1 for since in self._busy_since.values() if now - since > self.timeout)
