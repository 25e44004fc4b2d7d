"""The planner as ``run`` uses it: catch-up after downtime, acks, snoozes, keys, fan-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deadlinewatch.domain.acks import Ack, Snooze
from deadlinewatch.domain.dueforms import parse_due, parse_local_datetime
from deadlinewatch.domain.events import Evidence, Overdue, SourceFailing
from deadlinewatch.domain.model import (
    Agreement,
    Commitment,
    EventKind,
    PolicySpec,
    Status,
    StatusChange,
    Subscription,
)
from deadlinewatch.domain.planning import Planner, Situation
from deadlinewatch.domain.watchlist import Watchlist
from deadlinewatch.durations import parse_duration as d

T = datetime(2020, 1, 1, tzinfo=UTC)


def watchlist(*commitments: Commitment, subscriptions: tuple[Subscription, ...] | None = None) -> Watchlist:
    return Watchlist(
        timezone="UTC",
        policies={
            "default": PolicySpec(
                remind_before=(d("7d"),),
                repeat_overdue_every=d("7d"),
                escalate_after=d("14d"),
                escalate_after_set=True,
            )
        },
        agreements={"a": Agreement("a", "Accord", parse_local_datetime("2019-12-01"), ("P",))},
        commitments={c.id: c for c in commitments},
        subscriptions=subscriptions or (Subscription("desk", ("out",)),),
    )


def commitment(cid: str, due: str, *history: StatusChange) -> Commitment:
    return Commitment(cid, f"Commitment {cid}", parse_due(due), agreement="a", history=history)


def test_first_start_reports_a_long_overdue_commitment_once() -> None:
    planner = Planner(Situation(watchlist(commitment("c", "2020-01-01"))))
    now = datetime(2020, 10, 8, 1, tzinfo=UTC)  # due 2 Jan 00:00Z; repeat 40 = 2 Jan + 280 days
    decisions = planner.plan(None, now)
    kinds = {n.event: n for n in decisions.notices}
    assert set(kinds) == {EventKind.OVERDUE, EventKind.ESCALATION}
    assert kinds[EventKind.OVERDUE].data == Overdue("2020-01-02T00:00:00Z", 40)
    assert kinds[EventKind.OVERDUE].send_at == now
    assert decisions.superseded == ()  # nothing recorded for the time before the first start


def test_restart_after_downtime_sends_the_latest_and_supersedes_the_rest() -> None:
    planner = Planner(Situation(watchlist(commitment("c", "2020-01-01"))))
    down_from = T + timedelta(days=8)  # repeat 1 was sent before the outage
    back_at = T + timedelta(days=8 + 21)
    decisions = planner.plan(down_from, back_at, catch_up=True)
    overdue = [n for n in decisions.notices if n.event is EventKind.OVERDUE]
    assert [repeat_of(n) for n in overdue] == [4]
    assert {repeat_of(n) for n in decisions.superseded if n.event is EventKind.OVERDUE} == {2, 3}
    assert all(n.send_at == back_at for n in decisions.notices)


def test_an_ack_stops_repeats_and_escalation_until_the_status_changes() -> None:
    acked_at = T + timedelta(days=1)
    reopened = StatusChange(T + timedelta(days=20), Status.IN_PROGRESS)
    situation = Situation(
        watchlist(commitment("c", "2020-01-01")),
        status_changes={"c": [reopened]},
        acks=[Ack("c", acked_at)],
    )
    planner = Planner(situation)
    sent: list[tuple[EventKind, object]] = []
    lo: datetime | None = None
    now = T - timedelta(days=30)
    planner.plan(None, now)
    lo = now
    while (following := planner.next_after(lo)) is not None and following < T + timedelta(days=40):
        sent.extend((n.event, repeat_of(n)) for n in planner.plan(lo, following).notices)
        lo = following
    assert (EventKind.OVERDUE, 0) in sent
    # Repeats 1 and 2 (days 8 and 15) and the escalation (day 15) were acknowledged away; the
    # status change on day 20 lifts the ack: repeats 3, 4 and 5 arrive.
    overdue = [r for e, r in sent if e is EventKind.OVERDUE]
    assert overdue == [0, 3, 4, 5]
    assert (EventKind.ESCALATION, None) not in sent


def test_a_snooze_silences_everything_until_it_ends() -> None:
    snooze = Snooze("c", T - timedelta(days=1), T + timedelta(days=10))
    planner = Planner(Situation(watchlist(commitment("c", "2020-01-01")), snoozes=[snooze]))
    start = T - timedelta(days=30)
    planner.plan(None, start)
    lo = start
    events = []
    while (following := planner.next_after(lo)) is not None and following < T + timedelta(days=16):
        events.extend((n.event, n.send_at) for n in planner.plan(lo, following).notices)
        lo = following
    # The 7d reminder (Dec 26) goes out; overdue on Jan 2 is inside the snooze; repeat 1 (Jan 9)
    # too; repeat 2 and the escalation (both Jan 16) after it.
    assert [e for e, _ in events] == [EventKind.REMINDER, EventKind.OVERDUE, EventKind.ESCALATION]
    assert events[-1][1] == events[-2][1] == datetime(2020, 1, 16, tzinfo=UTC)


def test_keys_are_deterministic_and_distinct_per_channel() -> None:
    subs = (Subscription("desk", ("slack", "mail")),)
    first = Planner(Situation(watchlist(commitment("c", "2020-01-01"), subscriptions=subs)))
    second = Planner(Situation(watchlist(commitment("c", "2020-01-01"), subscriptions=subs)))
    now = T + timedelta(days=3)
    a = first.plan(None, now).notices
    b = second.plan(None, now).notices
    assert [n.key("slack") for n in a] == [n.key("slack") for n in b]
    assert all(n.key("slack") != n.key("mail") for n in a)


def test_operational_events_reach_only_subscriptions_that_list_them() -> None:
    subs = (
        Subscription("desk", ("out",)),
        Subscription("ops", ("console",), events=frozenset({EventKind.SOURCE_FAILING})),
    )
    planner = Planner(Situation(watchlist(commitment("c", "2020-01-01"), subscriptions=subs)))
    notices = planner.fan_out("un-news", T, SourceFailing("HTTP 500"))
    assert [n.subscription for n in notices] == ["ops"]
    evidence = planner.fan_out("c", T, Evidence("src", "x", "https://example.org"))
    assert [n.subscription for n in evidence] == ["desk"]


def repeat_of(notice: object) -> int | None:
    """The ``repeat`` of an overdue notice or ledger row (None for other events)."""
    data = getattr(notice, "data", None)
    return data.repeat if isinstance(data, Overdue) else None


def test_a_catch_up_supersedes_early_kinds_in_event_order_whatever_the_hash_seed() -> None:
    """Once an overdue is due, the latest reminder and window_open are superseded: in the order of
    SPEC §5's table (reminder, then window_open), not a set's order, which follows PYTHONHASHSEED
    and made the ledger's superseded rows come in a different order from run to run."""
    from deadlinewatch.domain.events import Reminder, WindowOpen
    from deadlinewatch.domain.occurrences import Occurrence
    from deadlinewatch.domain.planning import _latest_of_each_kind

    at = datetime(2026, 8, 1, tzinfo=UTC)
    window = Occurrence(
        EventKind.WINDOW_OPEN, at, at, WindowOpen("2026-08-01T00:00:00Z", "2026-09-01T00:00:00Z")
    )
    reminder = Occurrence(
        EventKind.REMINDER, at + timedelta(days=1), at, Reminder("2026-09-01T00:00:00Z", "30d")
    )
    overdue = Occurrence(EventKind.OVERDUE, at + timedelta(days=31), at, Overdue("2026-09-01T00:00:00Z", 0))
    everything = frozenset(EventKind)
    for order in ([window, reminder, overdue], [overdue, reminder, window]):
        latest, skipped = _latest_of_each_kind((order, True), everything)
        assert latest == [overdue]
        assert [o.kind for o in skipped] == [EventKind.REMINDER, EventKind.WINDOW_OPEN]
