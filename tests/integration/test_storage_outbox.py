"""The ledger as outbox on every backend: one row per key, claims never shared, leases, retries."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from deadlinewatch.domain.briefs import CommitmentBrief
from deadlinewatch.domain.events import Overdue
from deadlinewatch.domain.model import EventKind
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.storage import (
    NewNotification,
    NotificationState,
    Store,
    create_db_engine,
    migrate,
    new_notifications,
)

T0 = datetime(2016, 8, 1, 6, 0, tzinfo=UTC)


def _notice(subject: str, occurred: datetime = T0, send_at: datetime | None = None) -> Notice:
    return Notice(
        subscription="syria-desk",
        channels=("syria-slack", "desk-email"),
        event=EventKind.OVERDUE,
        subject=subject,
        occurred=occurred,
        send_at=send_at or occurred,
        data=Overdue("2016-08-31T21:00:00Z", 0),
    )


def _rows(count: int, send_at: datetime = T0) -> list[NewNotification]:
    return [
        NewNotification.from_notice(_notice(f"c{i:05d}", send_at=send_at), "syria-slack")
        for i in range(count)
    ]


def test_insert_is_idempotent_by_key(store: Store) -> None:
    notice = _notice("syria-transition-framework")
    brief = CommitmentBrief("syria-transition-framework", "Framework", "not_started", "by August 2016")
    assert store.insert_notifications(new_notifications(notice, brief), T0) == 2
    assert store.insert_notifications(new_notifications(notice), T0) == 0
    keys = {notice.key("syria-slack"), notice.key("desk-email")}
    assert store.existing_keys([*keys, "not-a-key"]) == keys
    [first, *_] = store.list_notifications()
    assert first.notice() == notice
    assert first.notice().data == notice.data == Overdue("2016-08-31T21:00:00Z", 0)
    assert first.brief == brief
    assert first.state is NotificationState.PENDING and first.attempts == 0
    assert first.created_at == T0


def test_insert_without_now_uses_the_database_clock(store: Store) -> None:
    assert store.insert_notifications(_rows(1)) == 1
    [row] = store.list_notifications()
    assert row.created_at.tzinfo is not None and row.created_at > T0


def _insert_in_process(url: str, barrier: Any, results: Any) -> None:
    engine = create_db_engine(url)
    try:
        store = Store(engine)
        rows = _rows(1000)
        barrier.wait(timeout=60)
        results.put(store.insert_notifications(rows, T0))
    except Exception as error:
        results.put(repr(error))
    finally:
        engine.dispose()


def test_two_processes_inserting_the_same_thousand_rows_record_each_once(database_url: str) -> None:
    engine = create_db_engine(database_url)
    migrate(engine)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    processes = [
        context.Process(target=_insert_in_process, args=(database_url, barrier, results)) for _ in "ab"
    ]
    for process in processes:
        process.start()
    counts = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    try:
        assert all(isinstance(c, int) for c in counts), counts
        assert sum(counts) == 1000
        assert sum(Store(engine).counts_by_state().values()) == 1000
    finally:
        engine.dispose()


def _claim_in_process(url: str, owner: str, barrier: Any, results: Any) -> None:
    engine = create_db_engine(url)
    claimed: list[int] = []
    try:
        store = Store(engine)
        barrier.wait(timeout=60)
        while batch := store.claim_due(T0, 7, 300, owner):
            claimed.extend(r.id for r in batch)
            assert all(r.lease_owner == owner and r.state is NotificationState.SENDING for r in batch)
        results.put((owner, claimed))
    except Exception as error:
        results.put((owner, repr(error)))
    finally:
        engine.dispose()


def test_concurrent_claimers_never_get_the_same_row(store: Store, database_url: str) -> None:
    assert store.insert_notifications(_rows(300), T0) == 300
    context = multiprocessing.get_context("spawn")
    owners = ["w1", "w2", "w3"]
    barrier = context.Barrier(len(owners))
    results = context.Queue()
    processes = [
        context.Process(target=_claim_in_process, args=(database_url, owner, barrier, results))
        for owner in owners
    ]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=60)
    claimed = [row_id for ids in outcomes.values() for row_id in ids]
    assert all(isinstance(ids, list) for ids in outcomes.values()), outcomes
    assert len(claimed) == len(set(claimed)) == 300
    counts = store.counts_by_state()
    assert counts[NotificationState.SENDING] == 300 and counts[NotificationState.PENDING] == 0


def test_claim_sets_lease_and_attempts_and_respects_send_at(store: Store) -> None:
    later = T0 + timedelta(hours=1)
    store.insert_notifications(_rows(3), T0)
    store.insert_notifications(
        [NewNotification.from_notice(_notice("held", send_at=later), "syria-slack")], T0
    )
    batch = store.claim_due(T0, 10, 60, "w1")
    assert [r.subject for r in batch] == ["c00000", "c00001", "c00002"]
    assert {(r.attempts, r.lease_until, r.state) for r in batch} == {
        (1, T0 + timedelta(seconds=60), NotificationState.SENDING)
    }
    assert store.claim_due(T0 + timedelta(seconds=59), 10, 60, "w2") == []
    assert store.next_wake_at() == T0 + timedelta(seconds=60)
    assert [r.subject for r in store.claim_due(later - timedelta(seconds=1), 10, 60, "w2")] == [
        "c00000",
        "c00001",
        "c00002",
    ]  # leases expired; "held" is not due yet
    assert [r.subject for r in store.claim_due(later, 10, 60, "w3")] == ["held"]


def test_an_expired_lease_is_reclaimed(store: Store) -> None:
    store.insert_notifications(_rows(1), T0)
    [first] = store.claim_due(T0, 1, 30, "crashed")
    [again] = store.claim_due(T0 + timedelta(seconds=30), 1, 30, "w2")
    assert again.id == first.id
    assert again.attempts == 2 and again.lease_owner == "w2"
    # the old owner no longer holds the lease; the new one records the outcome
    assert not store.mark_sent(first.id, T0 + timedelta(seconds=31), owner="crashed")
    assert store.mark_sent(first.id, T0 + timedelta(seconds=31), owner="w2")
    [sent] = store.list_notifications()
    assert sent.state is NotificationState.SENT and sent.sent_at == T0 + timedelta(seconds=31)
    assert sent.lease_owner is None and sent.lease_until is None
    assert store.claim_due(T0 + timedelta(days=1), 10, 30, "w3") == []


def test_retry_waits_for_its_next_attempt(store: Store) -> None:
    store.insert_notifications(_rows(1), T0)
    [row] = store.claim_due(T0, 1, 30, "w1")
    retry_at = T0 + timedelta(minutes=2)
    assert store.mark_retry(row.id, "HTTP 503", retry_at, T0 + timedelta(seconds=1))
    pending = store.get_notification(row.id)
    assert pending is not None
    assert pending.state is NotificationState.PENDING and pending.last_error == "HTTP 503"
    assert pending.next_attempt_at == retry_at and pending.send_at == T0
    assert store.next_wake_at() == retry_at
    assert store.claim_due(retry_at - timedelta(seconds=1), 1, 30, "w1") == []
    [again] = store.claim_due(retry_at, 1, 30, "w1")
    assert again.id == row.id and again.attempts == 2


def test_failed_rows_are_listed_with_their_error(store: Store) -> None:
    store.insert_notifications(_rows(3), T0)
    batch = store.claim_due(T0, 3, 30, "w1")
    store.mark_sent(batch[0].id, T0)
    store.mark_failed(batch[1].id, "channel_not_found", T0)
    store.mark_retry(batch[2].id, "timeout", T0 + timedelta(minutes=1), T0)
    failed = store.list_notifications(failed_only=True)
    assert [(r.id, r.last_error, r.state) for r in failed] == [
        (batch[1].id, "channel_not_found", NotificationState.FAILED)
    ]
    assert len(store.list_notifications()) == 3
    assert len(store.list_notifications(limit=2)) == 2
    assert [r.subject for r in store.list_notifications(subject="c00002")] == ["c00002"]
    assert store.claim_due(T0 + timedelta(days=1), 10, 30, "w1")[0].id == batch[2].id


def test_superseded_rows_are_recorded_and_never_claimed(store: Store) -> None:
    notice = _notice("syria-draft-constitution")
    skipped = new_notifications(notice, state=NotificationState.SUPERSEDED, reason="caught up")
    assert store.insert_notifications(skipped, T0) == 2
    rows = _rows(2)
    store.insert_notifications(rows, T0)
    assert store.mark_superseded([rows[0].key], T0, "terminal at release") == 1
    first = store.get_notification(store.list_notifications(subject="c00000")[0].id)
    assert first is not None and first.last_error == "terminal at release"
    assert store.mark_superseded([first.id], T0, "again") == 0
    assert [r.subject for r in store.claim_due(T0, 10, 30, "w1")] == ["c00001"]
    counts = store.counts_by_state()
    assert counts[NotificationState.SUPERSEDED] == 3


def test_rows_are_validated_before_insert(store: Store) -> None:
    # Checked when the row is built (cheap checks, no per-row model validation in the insert).
    valid: dict[str, Any] = {
        "key": "k",
        "subscription": "s",
        "channel": "c",
        "subject": "x",
        "event": EventKind.DIGEST,
        "occurred": T0,
        "send_at": T0,
    }
    invalid: list[dict[str, Any]] = [
        {"occurred": datetime(2016, 8, 1), "send_at": datetime(2016, 8, 1)},  # naive
        {"state": NotificationState.SENT},
        {"state": NotificationState.SENDING},
        {"key": ""},
        {"key": "k" * 65},
        {"subscription": ""},
        {"channel": ""},
        {"event": "not-an-event"},
    ]
    for change in invalid:
        with pytest.raises(ValueError):
            store.insert_notifications([NewNotification(**{**valid, **change})], T0)
    assert store.list_notifications() == []
    coerced = NewNotification(**{**valid, "event": "digest", "state": "superseded"})
    assert coerced.event is EventKind.DIGEST and coerced.state is NotificationState.SUPERSEDED


def test_slack_threads_in_bulk_first_wins(store: Store) -> None:
    assert store.slack_threads([("a", "c1")]) == {}
    assert store.set_slack_threads({("a", "c1"): "1.1", ("b", "c1"): "2.1"}) == {
        ("a", "c1"): "1.1",
        ("b", "c1"): "2.1",
    }
    stored = store.set_slack_threads({("a", "c1"): "9.9", ("a", "c2"): "3.1"})
    assert stored == {("a", "c1"): "1.1", ("a", "c2"): "3.1"}  # the first ts stays the thread
    wanted = [("a", "c1"), ("a", "c2"), ("b", "c1"), ("b", "c2")]
    assert store.slack_threads(wanted) == {("a", "c1"): "1.1", ("a", "c2"): "3.1", ("b", "c1"): "2.1"}
    assert store.slack_thread("a", "c1") == "1.1"


def test_mark_sent_many_only_touches_the_owners_sending_rows(store: Store) -> None:
    store.insert_notifications(_rows(4), T0)
    a, b, c, d = store.claim_due(T0, 10, 60, "w1")
    assert store.mark_sent(d.id, T0, "w1")  # already sent: not touched again
    later = T0 + timedelta(seconds=5)
    sent = store.mark_sent_many([a.id, b.id, d.id], later, "w1", threads={("syria-slack", a.subject): "1.1"})
    assert sent == {a.id, b.id}
    assert store.mark_sent_many([c.id], later, "w2") == set()  # not w2's lease
    for record in store.list_notifications():
        if record.id in (a.id, b.id):
            assert record.state is NotificationState.SENT and record.sent_at == later
            assert record.lease_owner is None and record.lease_until is None
    held = store.get_notification(c.id)
    assert held is not None and held.state is NotificationState.SENDING
    assert store.slack_threads([("syria-slack", a.subject)]) == {("syria-slack", a.subject): "1.1"}
    assert store.mark_sent_many([], later, "w1") == set()


def test_sqlite_bulk_insert_stores_rows_as_the_generic_insert_does(tmp_path: Any) -> None:
    """SQLite's bulk path binds values itself: every column's stored text must be what SQLAlchemy's
    own insert of the same row stores, or ordering and comparisons in SQL would drift."""
    from sqlalchemy import insert, text

    from deadlinewatch.storage.tables import Notification

    engine = create_db_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    migrate(engine)
    store = Store(engine)
    brief = CommitmentBrief("c1", "Framework <&>", "not_started", "by August 2016")
    bulk, generic = new_notifications(
        _notice("c1", T0 + timedelta(microseconds=5), T0 + timedelta(days=2)), brief
    )
    assert store.insert_notifications([bulk], T0) == 1
    assert store.insert_notifications([bulk, generic], T0) == 1  # the present key changes nothing
    assert store.insert_notifications([bulk], None) == 0
    columns = (
        "subscription, channel, subject, event, occurred, send_at, payload, state, attempts,"
        " next_attempt_at, created_at, updated_at, last_error, lease_owner, lease_until, sent_at"
    )
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM notification WHERE key = :k"), {"k": generic.key})
        connection.execute(
            insert(Notification.__table__),  # type: ignore[attr-defined]
            {**store._row_values(generic), "created_at": T0, "updated_at": T0},
        )
        stored = {
            row[0]: row[1:] for row in connection.execute(text(f"SELECT key, {columns} FROM notification"))
        }
    assert stored[bulk.key][2:] == stored[generic.key][2:]  # all but the channel
    assert stored[bulk.key][4] == "2016-08-01 06:00:00.000005"
    [read] = [r for r in store.list_notifications() if r.key == bulk.key]
    assert read.brief == brief and read.send_at == T0 + timedelta(days=2) and read.created_at == T0
