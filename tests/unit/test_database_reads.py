"""``DatabaseReads``: a read that does not answer in time is a ``DatabaseUnavailable`` for its
caller, never a held thread of the caller's; stuck reads are bounded; a read given up while queued
never runs; reads work again once the stuck ones finish. "The database" here is an Event."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from deadlinewatch.web.dbreads import DatabaseReads, DatabaseUnavailable

TIMEOUT = 0.3


def wait_for(condition: Callable[[], bool], what: str, guard: float = 30.0) -> None:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < guard, f"timed out waiting for {what}"
        time.sleep(0.01)


class HungDatabase:
    """Calls block until :meth:`answer`; counts the calls that started."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.started = 0
        self._lock = threading.Lock()

    def read(self) -> str:
        with self._lock:
            self.started += 1
        self.released.wait(60)
        return "late"

    def answer(self) -> None:
        self.released.set()


def test_an_answer_and_an_error_come_back_as_they_are() -> None:
    reads = DatabaseReads(timeout=TIMEOUT, workers=2)
    assert reads.run(lambda: 42) == 42

    def broken() -> int:
        raise ValueError("no such table")

    with pytest.raises(ValueError, match="no such table"):
        reads.run(broken)
    assert asyncio.run(reads.arun(lambda: "async")) == "async"


def test_a_hung_read_is_unavailable_with_a_message_and_reads_recover() -> None:
    database = HungDatabase()
    reads = DatabaseReads(timeout=TIMEOUT, workers=2)
    with pytest.raises(DatabaseUnavailable) as raised:
        reads.run(database.read)
    assert raised.value.detail == f"the database did not answer within {TIMEOUT:g} s; try again"
    with pytest.raises(DatabaseUnavailable):
        asyncio.run(reads.arun(database.read))
    database.answer()
    wait_for(lambda: reads.stuck() == 0, "the stuck reads to finish")
    assert reads.run(lambda: "ok") == "ok"


def test_once_every_worker_is_stuck_callers_fail_at_once_and_queue_nothing() -> None:
    database = HungDatabase()
    reads = DatabaseReads(timeout=TIMEOUT, workers=2)
    for _ in range(2):
        with pytest.raises(DatabaseUnavailable):
            reads.run(database.read)
    wait_for(lambda: reads.stuck() == 2, "both workers to count as stuck")
    ran: list[str] = []
    for _ in range(20):
        with pytest.raises(DatabaseUnavailable):
            reads.run(lambda: ran.append("queued") or "x")
    assert database.started == 2  # at most `workers` reads ever waited on the database
    database.answer()
    wait_for(lambda: reads.stuck() == 0, "the stuck reads to finish")
    assert reads.run(lambda: "after") == "after"
    assert ran == []  # none of the refused reads ran later


def test_a_read_given_up_while_queued_never_runs() -> None:
    database = HungDatabase()
    reads = DatabaseReads(timeout=TIMEOUT, workers=1)
    outcomes: list[str] = []

    def first() -> None:
        try:
            reads.run(database.read)
        except DatabaseUnavailable:
            outcomes.append("unavailable")

    blocker = threading.Thread(target=first)
    blocker.start()
    wait_for(lambda: database.started == 1, "the first read to start")
    ran: list[str] = []
    with pytest.raises(DatabaseUnavailable):
        reads.run(lambda: ran.append("queued") or "x")  # queued behind the stuck one, then given up
    blocker.join(30)
    assert outcomes == ["unavailable"]
    database.answer()
    wait_for(lambda: reads.stuck() == 0, "the stuck read to finish")
    assert reads.run(lambda: "next") == "next"
    assert ran == []


def test_time_the_request_already_waited_counts_down_to_the_minimum() -> None:
    database = HungDatabase()
    reads = DatabaseReads(timeout=30.0, workers=2, min_wait=0.2)
    # a request that arrived a minute ago (it waited for deliveries and for the gate) gets only
    # the minimum: the failure comes long before the 30 s timeout would (guarded by the join)
    outcome: list[str] = []

    def late_request() -> None:
        try:
            asyncio.run(reads.arun(database.read, since=time.monotonic() - 60))
        except DatabaseUnavailable as exc:
            outcome.append(exc.detail)

    caller = threading.Thread(target=late_request)
    caller.start()
    caller.join(20)
    assert outcome == ["the database did not answer within 30 s; try again"]
    database.answer()
