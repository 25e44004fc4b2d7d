"""``deadlinewatch replay``: the engine of ``run`` on a simulated clock, nothing delivered.

The clock starts at ``start`` as if the service were first started then (a catch-up tick), then
jumps from one decision instant to the next; each notification is "sent" at its ``send_at`` after
the same release check as the dispatcher's (held scheduled occurrences dropped if terminal).
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import OPERATIONAL_EVENTS, EventKind
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.domain.planning import Planner, Situation


@dataclass(frozen=True)
class ReplayResult:
    sent: tuple[Notice, ...]
    superseded: int


def replay(situation: Situation, start: datetime, end: datetime) -> Iterator[Notice]:
    """Every notification sent in ``[start, end)``, in output order."""
    planner = Planner(situation)
    recorded: set[str] = set()
    held: list[tuple[tuple[datetime, str, str, int], int, Notice]] = []
    counter = 0

    def record(notices: tuple[Notice, ...]) -> None:
        nonlocal counter
        for notice in notices:
            key = notice.key("")
            if key in recorded:
                continue
            recorded.add(key)
            counter += 1
            heapq.heappush(held, (notice.sort_key(), counter, notice))

    record(planner.plan(None, start).notices)
    now = start
    while True:
        while held and held[0][0][0] <= now:
            notice = heapq.heappop(held)[2]
            if notice.send_at >= end:
                continue
            if planner.still_relevant(notice, notice.send_at):
                yield notice
        candidates = [c for c in (planner.next_after(now), held[0][0][0] if held else None) if c]
        if not candidates:
            return
        following = min(candidates)
        if following >= end:
            return
        record(planner.plan(now, following).notices)
        now = following


def notice_json(notice: Notice) -> dict[str, Any]:
    """The JSON object of SPEC §8 for one replayed notification."""
    line: dict[str, Any] = {
        "at": format_utc(notice.send_at),
        "event": notice.event.value,
        "subscription": notice.subscription,
        "channels": list(notice.channels),
    }
    if notice.event in OPERATIONAL_EVENTS - {EventKind.CONFIG_ERROR, EventKind.CHANNEL_FAILING}:
        line["source"] = notice.subject
    elif notice.event is not EventKind.DIGEST and notice.subject:
        line["commitment"] = notice.subject
    line.update(notice.fields)
    return line


def format_jsonl(notice: Notice) -> str:
    return json.dumps(notice_json(notice), sort_keys=True, ensure_ascii=False)
