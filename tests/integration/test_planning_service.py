"""The run-mode engine over a real database: decisions written once, across restarts and reloads."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deadlinewatch.config.loader import load_config
from deadlinewatch.domain.events import DeadlineChanged, Overdue, StatusChanged
from deadlinewatch.domain.model import EventKind, Status, StatusChange
from deadlinewatch.domain.watchlist import Watchlist
from deadlinewatch.services.planning import PlanningService
from deadlinewatch.storage import NotificationState, Store

CONFIG = """
timezone: UTC
channels: {desk: {type: console}, mail: {type: console}}
policies:
  default: {remind_before: [1d], repeat_overdue_every: 1d}
agreements:
  - {id: a, title: Accord, announced: 2020-01-01, parties: [P]}
commitments:
  - {id: first, agreement: a, title: First, due: 2020-03-10}
  - {id: second, agreement: a, title: Second, due: {after: first, within: 10d}}
subscriptions:
  - {name: desk, notify: [desk, mail]}
"""


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def load(tmp_path: Path, text: str) -> Watchlist:
    path = tmp_path / "deadlinewatch.yaml"
    path.write_text(text, encoding="utf-8")
    result = load_config(path, {})
    assert result.config is not None, [str(e) for e in result.errors]
    return result.config.watchlist


def ledger(store: Store) -> list[tuple[str, str, str, str]]:
    return sorted(
        (r.event.value, r.subject, r.channel, r.state.value) for r in store.list_notifications(limit=None)
    )


def run_until(service: PlanningService, clock: Clock, until: datetime) -> None:
    following = service.tick()
    while following is not None and following <= until:
        clock.now = following
        following = service.tick()
    clock.now = until
    service.tick()


def test_restarts_decide_nothing_twice(store: Store, tmp_path: Path) -> None:
    watchlist = load(tmp_path, CONFIG)
    clock = Clock(datetime(2020, 3, 1, tzinfo=UTC))
    first = PlanningService(store, clock)
    first.set_watchlist(watchlist)
    run_until(first, clock, datetime(2020, 3, 12, 12, tzinfo=UTC))
    before = ledger(store)
    # reminder (Mar 10) and overdue repeats 0, 1, 2 (Mar 11, 12 00:00 ...), two channels each
    assert ("reminder", "first", "desk", "pending") in before
    assert len([row for row in before if row[0] == "overdue" and row[2] == "desk"]) == 2
    # A clean restart at the same instant: the same decisions, nothing new.
    second = PlanningService(store, clock)
    second.set_watchlist(watchlist)
    second.tick()
    assert ledger(store) == before


def test_downtime_sends_the_latest_overdue_and_records_the_skipped_ones(store: Store, tmp_path: Path) -> None:
    watchlist = load(tmp_path, CONFIG)
    clock = Clock(datetime(2020, 3, 11, 1, tzinfo=UTC))
    service = PlanningService(store, clock)
    service.set_watchlist(watchlist)
    service.tick()  # overdue repeat 0 at Mar 11 00:00
    clock.now = datetime(2020, 3, 20, 1, tzinfo=UTC)  # down for nine days
    restarted = PlanningService(store, clock)
    restarted.set_watchlist(watchlist)
    restarted.tick()
    rows = [
        r
        for r in store.list_notifications(limit=None)
        if r.event is EventKind.OVERDUE and r.channel == "desk"
    ]
    pending = [repeat_of(r) for r in rows if r.state is NotificationState.PENDING]
    superseded = sorted(repeat_of(r) for r in rows if r.state is NotificationState.SUPERSEDED)
    assert sorted(pending) == [0, 9]
    assert superseded == list(range(1, 9))


def test_a_reload_that_moves_a_due_raises_deadline_changed_once(store: Store, tmp_path: Path) -> None:
    clock = Clock(datetime(2020, 3, 1, tzinfo=UTC))
    service = PlanningService(store, clock)
    service.set_watchlist(load(tmp_path, CONFIG))
    service.tick()
    clock.now += timedelta(hours=1)
    moved = load(tmp_path, CONFIG.replace("due: 2020-03-10}", "due: 2020-03-20}"))
    assert service.set_watchlist(moved) == 1
    service.set_watchlist(moved)  # the same config again: no change
    changed = [r for r in store.list_notifications(limit=None) if r.event is EventKind.DEADLINE_CHANGED]
    assert len(changed) == 2  # one per channel
    assert changed[0].data == DeadlineChanged(before="2020-03-11T00:00:00Z", after="2020-03-21T00:00:00Z")


def test_history_added_by_a_reload_notifies_and_anchors_relative_deadlines(
    store: Store, tmp_path: Path
) -> None:
    clock = Clock(datetime(2020, 3, 5, tzinfo=UTC))
    service = PlanningService(store, clock)
    service.set_watchlist(load(tmp_path, CONFIG))
    service.tick()
    clock.now = datetime(2020, 3, 6, 9, tzinfo=UTC)
    fulfilled = CONFIG.replace(
        "due: 2020-03-10}", "due: 2020-03-10, history: [{at: 2020-03-04, status: fulfilled}]}"
    )
    service.set_watchlist(load(tmp_path, fulfilled))
    service.tick()
    events = ledger(store)
    assert ("status_changed", "first", "desk", "pending") in events
    assert ("deadline_changed", "second", "desk", "pending") in events


def test_a_recorded_change_stops_overdue_repeats(store: Store, tmp_path: Path) -> None:
    clock = Clock(datetime(2020, 3, 11, 1, tzinfo=UTC))
    service = PlanningService(store, clock)
    service.set_watchlist(load(tmp_path, CONFIG))
    service.tick()
    store.add_status_change(
        "first", StatusChange(clock.now, Status.FULFILLED, origin="manual"), recorded_at=clock.now
    )
    service.changed()
    run_until(service, clock, datetime(2020, 3, 15, tzinfo=UTC))
    overdue = [
        r
        for r in store.list_notifications(limit=None)
        if r.event is EventKind.OVERDUE and r.subject == "first"
    ]
    assert {repeat_of(r) for r in overdue} == {0}
    changes = [r for r in store.list_notifications(limit=None) if r.event is EventKind.STATUS_CHANGED]
    assert {r.data.status for r in changes if isinstance(r.data, StatusChanged)} == {"fulfilled"}
    assert dataclasses.asdict(store.status_changes("first")[0].change)["origin"] == "manual"


def test_a_change_recorded_at_the_watermark_instant_is_not_lost(store: Store, tmp_path: Path) -> None:
    # A change whose `at` and recording time equal the last tick's instant (an `update` racing a
    # tick) must still notify: freshness is decided by database id, not by time.
    clock = Clock(datetime(2020, 3, 5, tzinfo=UTC))
    service = PlanningService(store, clock)
    service.set_watchlist(load(tmp_path, CONFIG))
    service.tick()
    store.add_status_change("first", StatusChange(clock.now, Status.IN_PROGRESS), recorded_at=clock.now)
    service.changed()
    service.tick()
    clock.now += timedelta(seconds=1)
    service.tick()
    rows = [r for r in store.list_notifications(limit=None) if r.event is EventKind.STATUS_CHANGED]
    assert len(rows) == 2  # desk and mail, once each


def test_changes_recorded_before_the_first_start_are_the_initial_state(store: Store, tmp_path: Path) -> None:
    store.add_status_change(
        "first",
        StatusChange(datetime(2020, 2, 1, tzinfo=UTC), Status.IN_PROGRESS),
        recorded_at=datetime(2020, 2, 1, tzinfo=UTC),
    )
    clock = Clock(datetime(2020, 3, 5, tzinfo=UTC))
    service = PlanningService(store, clock)
    service.set_watchlist(load(tmp_path, CONFIG))
    service.tick()
    assert not [r for r in store.list_notifications(limit=None) if r.event is EventKind.STATUS_CHANGED]


def test_a_reload_does_not_announce_a_relative_deadline_the_planner_already_reported(
    store: Store, tmp_path: Path
) -> None:
    clock = Clock(datetime(2020, 3, 1, tzinfo=UTC))
    service = PlanningService(store, clock)
    service.set_watchlist(load(tmp_path, CONFIG))
    service.tick()
    store.add_status_change("first", StatusChange(clock.now, Status.FULFILLED), recorded_at=clock.now)
    service.changed()
    clock.now += timedelta(hours=1)
    service.tick()  # "second" becomes known: one deadline_changed per channel, from the planner
    clock.now += timedelta(hours=1)
    service.set_watchlist(load(tmp_path, CONFIG + "\n# an unrelated edit\n"))  # a reload
    changed = [r for r in store.list_notifications(limit=None) if r.event is EventKind.DEADLINE_CHANGED]
    assert len(changed) == 2


def test_a_follower_installs_the_config_but_announces_nothing(store: Store, tmp_path: Path) -> None:
    clock = Clock(datetime(2020, 3, 1, tzinfo=UTC))
    leader = PlanningService(store, clock)
    leader.set_watchlist(load(tmp_path, CONFIG))
    moved = load(tmp_path, CONFIG.replace("due: 2020-03-10}", "due: 2020-03-20}"))
    follower = PlanningService(store, clock)
    assert follower.set_watchlist(moved, leader=False) == 0
    assert follower.status_at("first", clock.now) is Status.NOT_STARTED
    # The leader that reloads later announces it once, compared with what was recorded last.
    assert leader.set_watchlist(moved) == 1


def test_channels_without_credentials_get_no_ledger_rows(store: Store, tmp_path: Path) -> None:
    watchlist = load(tmp_path, CONFIG)
    clock = Clock(datetime(2020, 3, 1, tzinfo=UTC))
    service = PlanningService(store, clock)
    service.skip_channels = frozenset({"mail"})  # what `run` sets for a channel it skips
    service.set_watchlist(watchlist)
    run_until(service, clock, datetime(2020, 3, 12, 12, tzinfo=UTC))
    rows = ledger(store)
    assert ("reminder", "first", "desk", "pending") in rows
    assert {row[2] for row in rows} == {"desk"}


def repeat_of(notice: object) -> int | None:
    """The ``repeat`` of an overdue notice or ledger row (None for other events)."""
    data = getattr(notice, "data", None)
    return data.repeat if isinstance(data, Overdue) else None
