"""Status history, acks, snoozes, engine state, Slack threads and source state on every backend."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from deadlinewatch.domain.model import Status, StatusChange
from deadlinewatch.storage import SourceState, Store, create_db_engine

T0 = datetime(2016, 8, 31, 21, 0, tzinfo=UTC)


def test_status_changes_keep_time_order_and_every_field(store: Store) -> None:
    later = StatusChange(at=T0, status=Status.MISSED, note="no framework", origin="config")
    earlier = StatusChange(
        at=T0 - timedelta(days=30),
        status=Status.IN_PROGRESS,
        url="https://example.org/a",
        origin="un-news",
        verified=True,
    )
    store.add_status_change("syria-transition-framework", later, T0)
    record = store.add_status_change("syria-transition-framework", earlier, T0)
    store.add_status_change("syria-detainees", later, T0)
    assert record.change == dataclasses.replace(earlier, recorded_at=T0) and record.recorded_at == T0
    history = store.status_changes("syria-transition-framework")
    assert [c.change for c in history] == [
        dataclasses.replace(earlier, recorded_at=T0),
        dataclasses.replace(later, recorded_at=T0),
    ]
    assert len(store.status_changes()) == 3


def test_status_change_needs_a_commitment(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.add_status_change("", StatusChange(at=T0, status=Status.MISSED), T0)


def test_acks_and_snoozes(store: Store) -> None:
    ack = store.add_ack("syria-detainees", T0, note="following up")
    assert store.acks() == [ack] and store.acks("other") == []
    snooze = store.add_snooze("syria-detainees", T0, T0 + timedelta(days=7))
    assert store.snoozes("syria-detainees") == [snooze]
    assert snooze.until == T0 + timedelta(days=7)
    with pytest.raises(ValueError):
        store.add_snooze("syria-detainees", T0, T0)


def test_engine_state_holds_json(store: Store) -> None:
    assert store.get_state("planner.watermark") is None
    store.set_state("planner.watermark", "2016-08-31T21:00:00Z", T0)
    store.set_state("due", {"syria-elections": None, "syria-transition-framework": "2016-08-31T21:00:00Z"})
    store.set_state("planner.watermark", "2016-09-01T00:00:00Z", T0)
    assert store.get_state("planner.watermark") == "2016-09-01T00:00:00Z"
    assert store.get_state("due") == {
        "syria-elections": None,
        "syria-transition-framework": "2016-08-31T21:00:00Z",
    }


def test_slack_thread_first_message_wins(store: Store) -> None:
    assert store.slack_thread("C1", "syria-detainees") is None
    assert store.set_slack_thread("C1", "syria-detainees", "1472677200.000100") == "1472677200.000100"
    assert store.set_slack_thread("C1", "syria-detainees", "1472677299.000200") == "1472677200.000100"
    assert store.slack_thread("C1", "syria-detainees") == "1472677200.000100"
    assert store.slack_thread("C2", "syria-detainees") is None


def test_source_state_round_trip(store: Store) -> None:
    assert store.source_state("un-news") is None
    store.save_source_state(
        SourceState("un-news", etag='W/"1"', last_modified="Wed, 31 Aug 2016 21:00:00 GMT")
    )
    first = store.source_state("un-news")
    assert first is not None and first.etag == 'W/"1"' and first.updated_at is not None
    failing = SourceState(
        "un-news", consecutive_failures=3, failing=True, last_error="HTTP 500", updated_at=T0
    )
    store.save_source_state(failing)
    assert store.source_state("un-news") == failing


def test_items_count_once(store: Store) -> None:
    assert store.mark_items_seen("un-news", ["guid-1", "guid-2", "guid-1"], T0) == {"guid-1", "guid-2"}
    assert store.mark_items_seen("un-news", ["guid-2", "guid-3"]) == {"guid-3"}
    assert store.mark_items_seen("other", ["guid-1"]) == {"guid-1"}
    assert store.mark_items_seen("un-news", []) == set()


def test_ping(store: Store) -> None:
    assert store.ping()
    unreachable = create_db_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    try:
        assert not Store(unreachable).ping()
    finally:
        unreachable.dispose()


def test_first_time_forgets_after_the_window(store: Store) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 1, tzinfo=UTC)
    keep = timedelta(minutes=11)
    assert store.first_time("slack:abc", now, keep)
    assert not store.first_time("slack:abc", now + timedelta(minutes=5), keep)
    assert store.first_time("slack:other", now + timedelta(minutes=5), keep)
    # once older than the window it is forgotten (and the table does not grow)
    assert store.first_time("slack:abc", now + timedelta(minutes=12), keep)


def test_the_deployment_id_is_made_once(store: Store) -> None:
    assert store.deployment_id() is None
    first = store.ensure_deployment_id()
    assert len(first) == 16
    assert store.ensure_deployment_id() == first == store.deployment_id()
