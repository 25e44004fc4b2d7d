"""``GET /api/notifications`` in pages like ``GET /api/commitments``: ``{items, total, limit, offset,
next_cursor}``, newest row first, keyset cursors that stay put while rows are added, filters by
commitment, state, event, channel and subscription (and ``failed=true``); and the storage query
behind it (the capped count)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_web_support import NOW, client_for, make_runtime

from deadlinewatch.domain.events import Overdue, Reminder
from deadlinewatch.domain.model import EventKind
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.storage import LedgerFilter, NotificationState, Store, new_notifications

SUBJECTS = ("syria-draft-constitution", "weapons-withdrawal", "syria-elections")


def _fill(store: Store, count: int, start: int = 0) -> None:
    """``count`` rows: subjects in turn, every third an overdue, every fifth superseded."""
    for i in range(start, start + count):
        subject = SUBJECTS[i % len(SUBJECTS)]
        overdue = i % 3 == 2
        event = EventKind.OVERDUE if overdue else EventKind.REMINDER
        data = Overdue("2016-08-31T21:00:00Z", i) if overdue else Reminder("2016-08-31T21:00:00Z", f"{i}d")
        notice = Notice("desk", ("console",), event, subject, NOW - timedelta(hours=i), NOW, data)
        state = NotificationState.SUPERSEDED if i % 5 == 4 else NotificationState.PENDING
        assert store.insert_notifications(new_notifications(notice, state=state), now=NOW) == 1


@pytest.fixture
def client(store: Store, tmp_path: Path) -> TestClient:
    _fill(store, 25)
    return client_for(make_runtime(store, tmp_path))


def _page(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/notifications", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"items", "total", "limit", "offset", "next_cursor"}
    return body


def _walk(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for _ in range(100):  # a guard: the pages end long before
        body = _page(client, **params)
        rows += body["items"]
        if body["next_cursor"] is None:
            return rows
        params["cursor"] = body["next_cursor"]
    raise AssertionError("the pages never ended")


def test_a_page_is_newest_first_with_a_default_size_and_a_cursor(client: TestClient) -> None:
    whole = _page(client)
    assert (whole["total"], whole["limit"], whole["offset"], whole["next_cursor"]) == (25, 100, 0, None)
    ids = [row["id"] for row in whole["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 25
    first = _page(client, limit=10)
    assert [row["id"] for row in first["items"]] == ids[:10]
    assert first["total"] == 25 and first["next_cursor"] == str(ids[9])
    second = _page(client, limit=10, cursor=first["next_cursor"])
    assert [row["id"] for row in second["items"]] == ids[10:20]
    assert [row["id"] for row in _walk(client, limit=7)] == ids
    assert [row["id"] for row in _page(client, limit=5, offset=5)["items"]] == ids[5:10]


def test_pages_stay_put_while_rows_are_added(client: TestClient, store: Store) -> None:
    first = _page(client, limit=10)
    _fill(store, 5, start=100)  # newer rows arrive between two pages
    second = _page(client, limit=10, cursor=first["next_cursor"])
    seen = [row["id"] for row in first["items"] + second["items"]]
    assert len(set(seen)) == 20 and seen == sorted(seen, reverse=True)
    assert second["total"] == 30


def test_filters_combine_and_total_counts_what_matches(client: TestClient, store: Store) -> None:
    everything = _walk(client, limit=4)

    def expected(**match: Any) -> list[int]:
        return [row["id"] for row in everything if all(row[k] == v for k, v in match.items())]

    draft = _walk(client, commitment="syria-draft-constitution", limit=3)
    assert [row["id"] for row in draft] == expected(subject="syria-draft-constitution")
    overdue = _page(client, event="overdue")
    assert [row["id"] for row in overdue["items"]] == expected(event="overdue")
    assert overdue["total"] == len(expected(event="overdue"))
    both = _page(client, event=["overdue", "reminder"], state="superseded")
    assert [row["id"] for row in both["items"]] == expected(state="superseded")
    narrow = _page(
        client, commitment="weapons-withdrawal", event="reminder", channel="console", subscription="desk"
    )
    assert [row["id"] for row in narrow["items"]] == expected(subject="weapons-withdrawal", event="reminder")
    assert _page(client, channel="slack")["items"] == []

    victim = expected(subject="syria-elections")[0]
    assert store.claim_due(NOW, 100, 60, "test-owner")
    assert store.mark_failed(victim, "channel_not_found", NOW, owner="test-owner")
    failed = _page(client, failed="true")
    assert [(row["id"], row["state"], row["error"]) for row in failed["items"]] == [
        (victim, "failed", "channel_not_found")
    ]
    assert _page(client, failed="true", state="failed")["total"] == 1
    assert _page(client, failed="true", state="pending") == {
        "items": [],
        "total": 0,
        "limit": 100,
        "offset": 0,
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cursor=abc", "query.cursor"),
        ("cursor=-1", "query.cursor"),
        ("state=lost", "query.state"),
        ("event=party", "query.event.0"),
        ("limit=1001", "query.limit"),
        ("offset=10001", "query.offset"),
    ],
)
def test_bad_values_are_422_naming_the_field(client: TestClient, query: str, field: str) -> None:
    response = client.get(f"/api/notifications?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["field"] == field


def test_a_cursor_past_the_oldest_row_is_an_empty_last_page(client: TestClient) -> None:
    oldest = _walk(client)[-1]["id"]
    body = _page(client, cursor=str(oldest))
    assert body["items"] == [] and body["next_cursor"] is None and body["total"] == 25


def test_the_count_stops_at_its_cap(store: Store) -> None:
    _fill(store, 12)
    capped = store.notification_page(LedgerFilter(), limit=3, count_up_to=10)
    assert capped.total is None and capped.more and len(capped.records) == 3
    exact = store.notification_page(LedgerFilter(), limit=3, count_up_to=12)
    assert exact.total == 12
    one = store.notification_page(LedgerFilter(subject="syria-elections"), count_up_to=10)
    assert one.total == 4 and not one.more
