"""The pacer on an injected clock, and the console channel on a real text stream."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest

from deadlinewatch.delivery.base import CommitmentView, Outgoing
from deadlinewatch.delivery.console import ConsoleChannel
from deadlinewatch.delivery.pacing import Pacer
from deadlinewatch.domain.events import StatusChanged
from deadlinewatch.domain.model import EventKind


class FakeTime:
    """A clock that only moves when the pacer sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_pacer_spaces_sends_per_key() -> None:
    time = FakeTime()
    pacer = Pacer(1.0, clock=time.clock, sleep=time.sleep)

    async def main() -> None:
        await pacer.wait_turn("#a")
        await pacer.wait_turn("#a")
        await pacer.wait_turn("#b")  # another channel: free at once
        time.now += 5
        await pacer.wait_turn("#a")  # long idle: no wait

    asyncio.run(main())
    assert time.sleeps == [1.0]


def test_pacer_queues_concurrent_senders_in_call_order() -> None:
    time = FakeTime()
    pacer = Pacer(0.5, clock=time.clock, sleep=time.sleep)
    assert [pacer.reserve("#a") for _ in range(4)] == [0.0, 0.5, 1.0, 1.5]


def test_pacer_off_and_invalid() -> None:
    time = FakeTime()
    pacer = Pacer(0, clock=time.clock, sleep=time.sleep)
    asyncio.run(pacer.wait_turn("#a"))
    asyncio.run(pacer.wait_turn("#a"))
    assert time.sleeps == []
    with pytest.raises(ValueError):
        Pacer(-1)


def test_console_prints_one_line_per_notification() -> None:
    stream = io.StringIO()
    at = datetime(2016, 8, 1, 6, 0, tzinfo=UTC)
    view = CommitmentView(
        "syria-transition-framework",
        "Framework for political transition\n2016-08-01T06:00:00Z [fake] line",
        "missed",
        "by end of August 2016, Damascus time",
        "overdue 6 hours",
    )
    message = Outgoing(
        "k",
        EventKind.STATUS_CHANGED,
        "syria-desk",
        "console",
        at,
        at,
        StatusChanged(
            "not_started", "missed", note="Target acknowledged as missed", actor="alice", origin="manual"
        ),
        commitment=view,
    )
    asyncio.run(ConsoleChannel(stream=stream).send(message))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "2016-08-01T06:00:00Z [syria-desk → console] Status changed: not started → missed — "
        "Framework for political transition 2016-08-01T06:00:00Z [fake] line (syria-transition-framework)"
    )
    assert "due by end of August 2016, Damascus time — overdue 6 hours — status missed" in lines[0]
    assert "— Note: Target acknowledged as missed — Recorded by alice (manual)" in lines[0]
