"""The planner shares one schedule between commitments whose deadline, zone, policy and announced
date are equal, and builds it only when asked (issue 10, item 7). Sharing must never leak between
commitments: a planner over many commitments decides exactly what a planner per commitment does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from deadlinewatch.domain.acks import Ack, Snooze
from deadlinewatch.domain.dueforms import parse_due, parse_local_datetime
from deadlinewatch.domain.events import Overdue
from deadlinewatch.domain.model import (
    Agreement,
    Commitment,
    EventKind,
    Match,
    PolicySpec,
    Status,
    StatusChange,
    Subscription,
)
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.domain.occurrences import CommitmentSchedule, Occurrence
from deadlinewatch.domain.planning import Planner, Situation
from deadlinewatch.domain.schedulebook import ScheduleBook
from deadlinewatch.domain.watchlist import Watchlist
from deadlinewatch.durations import parse_duration as d

# Every due form, several written alike (so they share), zones with DST and a repeated hour.
DUES = [
    "2026-03-29",
    "2026-03-29",
    '"2026-03-29T02:30"',
    '"2026-10-25T02:30"',
    "2026-10-25T00:30:00Z",
    "2026-10-25T01:30:00Z",
    "2026-W13",
    "early 2026-03",
    "late 2026-10",
    "2026-10",
    "2026-Q1",
    "2026",
    "asap",
    "immediate",
    "open",
    "{after: a1, within: 14d}",
    "{after: a1, within: 90h}",
    "{after: announced, within: 6mo}",
    "{earliest_of: [2026-06-01, {after: a2, within: 10d}]}",
    "{latest_of: [2026-04, {after: a1, within: 3d}, {after: a2, within: 0d}]}",
]
ZONES = ["Europe/Berlin", "America/Santiago", "UTC"]
POLICIES = {
    "default": PolicySpec(
        remind_before=(d("30d"), d("1d"), d("6h")),
        repeat_overdue_every=d("7d"),
        escalate_after=d("14d"),
        escalate_after_set=True,
    ),
    "urgent": PolicySpec(remind_before=(d("2d"),), grace=d("1d"), repeat_overdue_every=d("1mo")),
}
SUBSCRIPTIONS = (
    Subscription("all", ("desk",)),
    Subscription("urgent", ("mail",), Match(tags=frozenset({"t1"})), policy="urgent"),
    Subscription("late", ("desk",), events=frozenset({EventKind.OVERDUE, EventKind.ESCALATION})),
)
START = datetime(2026, 1, 10, tzinfo=UTC)
ANCHORS = ("a1", "a2")


def _due(text: str) -> object:
    """The value the config loader hands ``parse_due`` (dates, instants and mappings as YAML)."""
    return yaml.safe_load(f"due: {text}")["due"]


def _commitment(
    cid: str, due: str, zone: str, policy: str | None, tag: str, history: tuple[StatusChange, ...]
) -> Commitment:
    return Commitment(
        cid,
        f"Commitment {cid}",
        parse_due(_due(due)),
        agreement="a",
        tags=(tag,),
        timezone=zone,
        policy=policy,
        history=history,
    )


def _watchlist(commitments: list[Commitment]) -> Watchlist:
    anchors = [
        Commitment("a1", "Anchor 1", parse_due("2026-02"), agreement="a", history=_anchor(12)),
        Commitment("a2", "Anchor 2", parse_due("2026-02"), agreement="a", history=_anchor(40)),
    ]
    return Watchlist(
        timezone="UTC",
        policies=POLICIES,
        agreements={"a": Agreement("a", "Accord", parse_local_datetime("2025-12-01"), ("P",))},
        commitments={c.id: c for c in [*anchors, *commitments]},
        subscriptions=SUBSCRIPTIONS,
    )


def _anchor(days: int) -> tuple[StatusChange, ...]:
    return (StatusChange(START + timedelta(days=days, hours=5), Status.FULFILLED),)


statuses = st.sampled_from([Status.FULFILLED, Status.MISSED, Status.IN_PROGRESS, Status.ABANDONED])
histories = st.lists(st.tuples(st.integers(min_value=-30, max_value=400), statuses), max_size=3).map(
    lambda entries: tuple(
        StatusChange(START + timedelta(days=day, hours=7), status) for day, status in sorted(entries)
    )
)
commitment_specs = st.lists(
    st.tuples(
        st.sampled_from(DUES),
        st.sampled_from(ZONES),
        st.sampled_from([None, "urgent"]),
        st.sampled_from(["t0", "t1"]),
        histories,
    ),
    min_size=1,
    max_size=12,
)


def _replayed(
    situation: Situation, steps: list[tuple[datetime | None, datetime, bool]]
) -> list[tuple[list[Notice], list[Notice]]]:
    planner = Planner(situation)
    result = []
    for lo, hi, catch_up in steps:
        decisions = planner.plan(lo, hi, catch_up=catch_up)
        result.append((list(decisions.notices), list(decisions.superseded)))
    return result


@settings(max_examples=40, deadline=None)
@given(commitment_specs, st.integers(min_value=0, max_value=40))
def test_a_planner_over_many_commitments_decides_what_one_per_commitment_does(
    specs: list[tuple[str, str, str | None, str, tuple[StatusChange, ...]]], ticks: int
) -> None:
    commitments = [_commitment(f"c{i}", *spec) for i, spec in enumerate(specs)]
    acks = [Ack(commitments[0].id, START + timedelta(days=100))]
    snoozes = [Snooze(commitments[-1].id, START + timedelta(days=60), START + timedelta(days=75))]
    whole = Situation(_watchlist(commitments), acks=acks, snoozes=snoozes)

    planner = Planner(whole)
    steps: list[tuple[datetime | None, datetime, bool]] = [(None, START, False)]
    now = START
    for _ in range(ticks):
        following = planner.next_after(now)
        if following is None:
            break
        planner.plan(now, following)
        steps.append((now, following, False))
        now = following
    steps.append((now, now + timedelta(days=90), True))
    together = _replayed(whole, steps)

    alone = [_replayed(Situation(_watchlist([c]), acks=acks, snoozes=snoozes), steps) for c in commitments]
    for step, (notices, superseded) in enumerate(together):
        # The anchors a1 and a2 are in every watchlist: count them once (from the first).
        expected_notices = [n for n in alone[0][step][0] if n.subject in ANCHORS]
        expected_superseded = [n for n in alone[0][step][1] if n.subject in ANCHORS]
        for single in alone:
            expected_notices += [n for n in single[step][0] if n.subject not in ANCHORS]
            expected_superseded += [n for n in single[step][1] if n.subject not in ANCHORS]
        expected_notices.sort(key=Notice.sort_key)
        assert _with_data(notices) == _with_data(expected_notices), step
        # Superseded ones come pair by pair in config order (anchors, then c0, c1, ...).
        assert _with_data(superseded) == _with_data(expected_superseded), step


def _with_data(notices: list[Notice]) -> list[tuple[Notice, object]]:
    return [(n, n.data) for n in notices]


def test_dues_in_the_two_passes_of_a_repeated_hour_are_not_shared() -> None:
    # 02:30 Berlin time happens twice on 25 Oct 2026: equal naive local times, different instants.
    first = _commitment("first", "2026-10-25T00:30:00Z", "Europe/Berlin", None, "t0", ())
    second = _commitment("second", "2026-10-25T01:30:00Z", "Europe/Berlin", None, "t0", ())
    planner = Planner(Situation(_watchlist([first, second])))
    decisions = planner.plan(None, datetime(2026, 10, 26, tzinfo=UTC))
    dues = {
        n.subject: n.data.due
        for n in decisions.notices
        if n.subscription == "all" and isinstance(n.data, Overdue)
    }
    assert dues == {"first": "2026-10-25T00:30:00Z", "second": "2026-10-25T01:30:00Z"}


def test_equal_deadlines_under_one_policy_share_an_entry() -> None:
    commitments = [
        _commitment("x", "2026-03-29", "Europe/Berlin", None, "t0", ()),
        _commitment("y", "2026-03-29", "Europe/Berlin", None, "t0", ()),
        _commitment("z", "2026-03-29", "UTC", None, "t0", ()),
    ]
    planner = Planner(Situation(_watchlist(commitments)))
    book = ScheduleBook()
    policy = planner.watchlist.policy_named("default")
    entries = [
        book.entry(planner.deadlines[c.id], ("default", None), policy, None, None) for c in commitments
    ]
    assert entries[0] == entries[1] != entries[2]
    assert len(book) == 2


def test_the_book_gives_each_entry_the_occurrences_of_its_schedule_for_every_due_form() -> None:
    """Schedules built when due, range after range, give what schedules kept for good give."""
    commitments = [
        _commitment(f"c{i}", due, zone, None, "t0", ()) for i, due in enumerate(DUES) for zone in ZONES
    ]
    planner = Planner(Situation(_watchlist(commitments)))
    book = ScheduleBook()
    kept: dict[int, CommitmentSchedule] = {}
    for commitment in planner.watchlist.commitments.values():
        deadline = planner.deadlines[commitment.id]
        announced_local = planner.watchlist.announced_of(commitment)
        announced = planner._announced[commitment.id]  # the instant the planner uses
        for name in ("default", "urgent"):
            policy = planner.watchlist.policy_named(name, deadline.open_kind)
            entry = book.entry(deadline, (name, deadline.open_kind), policy, announced, announced_local)
            kept.setdefault(entry, CommitmentSchedule(deadline, policy, announced, announced_local))
    book.seal([])
    lo: datetime | None = None
    hi = START
    while True:
        taken = {entry: occurrences for entry, (occurrences, _) in book.take_due(lo, hi).items()}
        for entry, schedule in kept.items():
            expected: list[Occurrence] = list(schedule.between(lo, hi))
            got = taken.get(entry, [])
            assert [(o, o.data) for o in got] == [(o, o.data) for o in expected], (entry, lo, hi)
        following = book.next_after(hi)
        assert following == min(
            (n for schedule in kept.values() if (n := schedule.next_after(hi)) is not None), default=None
        )
        if following is None or hi > datetime(2028, 1, 1, tzinfo=UTC):
            break
        lo, hi = hi, following
    assert lo is not None and lo > datetime(2027, 1, 1, tzinfo=UTC)  # the walk went on past the dues
