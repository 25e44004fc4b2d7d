"""``deadlinewatch replay``: the engine of ``run`` on a simulated clock, nothing delivered.

The clock starts at ``start`` as if the service were first started then (a catch-up tick), then
jumps from one decision instant to the next; each notification is "sent" at its ``send_at`` after
the same release check as the dispatcher's (held scheduled occurrences dropped if terminal).
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from deadlinewatch.domain.events import (
    DeadlineChanged,
    Digest,
    Escalation,
    Overdue,
    Reminder,
    Review,
    StatusChanged,
    WindowOpen,
    replay_fields,
)
from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import OPERATIONAL_EVENTS, EventKind
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.domain.planning import Planner, Situation
from deadlinewatch.services.context import commitment_brief
from deadlinewatch.storage import Store, new_notifications


def replay(
    situation: Situation, start: datetime, end: datetime, ledger: Store | None = None
) -> Iterator[Notice]:
    """Every notification sent in ``[start, end)``, in output order. Decisions are recorded in
    ``ledger`` (a private database) as ``run`` records them; nothing is delivered."""
    planner = Planner(situation)
    recorded: set[str] = set()
    held: list[tuple[tuple[datetime, str, str, int], int, Notice]] = []
    counter = 0

    def record(notices: tuple[Notice, ...]) -> None:
        nonlocal counter
        if ledger is not None and notices:
            ledger.insert_notifications(row for notice in notices for row in new_notifications(notice))
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
            elif ledger is not None:
                keys = [notice.key(channel) for channel in notice.channels]
                ledger.mark_superseded(keys, notice.send_at, "commitment terminal at release")
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
    line.update(replay_fields(notice.data))
    return line


def format_jsonl(notice: Notice) -> str:
    return json.dumps(notice_json(notice), sort_keys=True, ensure_ascii=False)


def format_text(planner: Planner, notice: Notice) -> str:
    """One timeline line a person reads: when, what, about which commitment, to whom."""
    when = notice.send_at.strftime("%Y-%m-%d %H:%M") + "Z"
    who = f"{notice.subscription} [{', '.join(notice.channels)}]"
    data = notice.data
    if isinstance(data, Digest):
        overdue = ", ".join(data.overdue) or "none"
        closing = ", ".join(data.closing) or "none"
        return f"{when}  {'digest':<16}  overdue: {overdue}; closing: {closing}  -> {who}"
    title = notice.subject
    words = ""
    if notice.subject in planner.watchlist.commitments:
        brief = commitment_brief(planner, notice.subject, notice.send_at)
        title, words = brief.title, brief.deadline_words
    match data:
        case Reminder(before=before):
            detail = f"{before} left, due {words}"
        case WindowOpen():
            detail = f"window opens, due {words}"
        case Overdue(repeat=repeat):
            detail = f"overdue, was due {words}" + (f" (repeat {repeat})" if repeat else "")
        case Escalation():
            detail = f"escalation, was due {words}"
        case Review(n=n):
            detail = f"review #{n}"
        case StatusChanged(previous=previous, status=status):
            detail = f"status {previous} -> {status}"
        case DeadlineChanged(before=before, after=after):
            detail = f"due {before or 'unknown'} -> {after}"
        case _:
            detail = ""
    return f"{when}  {notice.event.value:<16}  {title}: {detail}  -> {who}"
