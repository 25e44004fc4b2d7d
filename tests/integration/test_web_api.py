"""The JSON API over a real store and a real config: reads, writes, bearer auth, errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_web_support import HOSTILE, NOW, TOKEN, client_for, make_runtime

from deadlinewatch.domain.events import Overdue, Reminder
from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import EventKind, Status
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.storage import Store, new_notifications
from deadlinewatch.web.runtime import StaticRuntime

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def runtime(store: Store, tmp_path: Path) -> StaticRuntime:
    return make_runtime(store, tmp_path)


@pytest.fixture
def client(runtime: StaticRuntime) -> TestClient:
    return client_for(runtime)


def _ledger(store: Store) -> None:
    """Two ledger rows about the draft constitution (one failed) and one about another commitment."""
    for subject, event, offset in (
        ("syria-draft-constitution", EventKind.REMINDER, 1),
        ("syria-draft-constitution", EventKind.OVERDUE, 2),
        ("weapons-withdrawal", EventKind.REMINDER, 3),
    ):
        data = (
            Reminder("2016-08-31T21:00:00Z", "7d")
            if event is EventKind.REMINDER
            else Overdue("2016-08-31T21:00:00Z", 0)
        )
        notice = Notice("desk", ("console",), event, subject, NOW - timedelta(days=offset), NOW, data)
        store.insert_notifications(new_notifications(notice), now=NOW)
    failed = store.list_notifications(subject="syria-draft-constitution")[0]
    claimed = store.claim_due(NOW, 10, 60, "test-owner")
    assert any(r.id == failed.id for r in claimed)
    store.mark_failed(failed.id, "channel_not_found", NOW, owner="test-owner")


# --- reads -----------------------------------------------------------------------------------------


def test_list_commitments_as_json(client: TestClient) -> None:
    response = client.get("/api/commitments")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    rows = {row["id"]: row for row in response.json()["items"]}
    assert list(rows) == [
        "syria-transition-framework",
        "syria-draft-constitution",
        "syria-detainee-releases",
        "syria-elections",
        "weapons-withdrawal",
    ]
    draft = rows["syria-draft-constitution"]
    assert draft["title"].startswith(HOSTILE)
    assert draft["overdue"] is True
    assert draft["due"] == "2016-08-31T21:00:00Z"
    assert rows["syria-transition-framework"]["status"] == "missed"
    assert rows["syria-elections"]["pending"] is True


def test_list_commitments_filters(client: TestClient) -> None:
    by_tag = client.get("/api/commitments", params={"tag": "ceasefire"}).json()["items"]
    assert [r["id"] for r in by_tag] == ["weapons-withdrawal"]
    two_tags = client.get("/api/commitments", params=[("tag", "ceasefire"), ("tag", "constitution")])
    assert {r["id"] for r in two_tags.json()["items"]} == {"weapons-withdrawal", "syria-draft-constitution"}
    overdue = client.get("/api/commitments", params={"overdue": "true"}).json()["items"]
    assert [r["id"] for r in overdue] == ["syria-draft-constitution"]


def test_one_commitment_with_window_history_and_ledger(client: TestClient, store: Store) -> None:
    _ledger(store)
    body = client.get("/api/commitments/syria-transition-framework").json()
    assert body["window"] == {
        "precision": "month",
        "zone": "Asia/Damascus",
        "opens": "2016-07-31T21:00:00Z",
        "closes": "2016-08-31T21:00:00Z",
        "due": "2016-08-31T21:00:00Z",
        "overdue_from": "2016-08-31T21:00:00Z",
    }
    assert body["history"] == [
        {
            "at": "2016-07-31T21:00:00Z",
            "status": "missed",
            "note": "target acknowledged as missed",
            "url": "https://example.org/x",
            "origin": "config",
            "verified": False,
            "by": None,
            "recorded_at": None,
        }
    ]
    assert body["notifications"] == []

    draft = client.get("/api/commitments/syria-draft-constitution").json()
    ledger = draft["notifications"]
    assert [n["event"] for n in ledger] == ["overdue", "reminder"]  # newest send_at first, then newest id
    assert {n["subject"] for n in ledger} == {"syria-draft-constitution"}
    failed = [n for n in ledger if n["state"] == "failed"]
    assert [(n["event"], n["error"], n["attempts"]) for n in failed] == [("overdue", "channel_not_found", 1)]
    assert set(ledger[0]) >= {"when", "event", "subject", "subscription", "channel", "state", "attempts"}


def test_open_and_pending_commitments_have_no_window(client: TestClient) -> None:
    asap = client.get("/api/commitments/syria-detainee-releases").json()
    assert asap["window"] is None and asap["precision"] == "open"
    pending = client.get("/api/commitments/syria-elections").json()
    assert pending["window"] is None and pending["pending"] is True
    assert "pending: 18 months after" in pending["deadline"]


def test_unknown_commitment_is_404_with_a_clear_message(client: TestClient) -> None:
    response = client.get("/api/commitments/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "unknown commitment id 'no-such-thing': not in the config"}


def test_notifications_ledger_failed_and_limit(client: TestClient, store: Store) -> None:
    _ledger(store)
    page = client.get("/api/notifications").json()
    assert (page["total"], page["limit"], page["offset"], page["next_cursor"]) == (3, 100, 0, None)
    rows = page["items"]
    assert len(rows) == 3
    assert set(rows[0]) == {
        "id",
        "when",
        "occurred",
        "event",
        "subject",
        "subscription",
        "channel",
        "state",
        "attempts",
        "error",
        "sent_at",
    }
    assert rows[0]["when"] == format_utc(NOW)
    failed = client.get("/api/notifications", params={"failed": "true"}).json()["items"]
    assert [r["state"] for r in failed] == ["failed"]
    assert [r["subject"] for r in failed] == ["syria-draft-constitution"]
    assert len(client.get("/api/notifications", params={"limit": 1}).json()["items"]) == 1
    bad = client.get("/api/notifications", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "query.limit"


def test_reads_before_the_first_config_load_are_503(store: Store, tmp_path: Path) -> None:
    client = client_for(make_runtime(store, tmp_path, loaded_config=None))
    response = client.get("/api/commitments")
    assert response.status_code == 503
    assert response.json()["detail"] == "no config loaded yet"


# --- auth ------------------------------------------------------------------------------------------


def test_write_api_is_off_without_a_token(store: Store, tmp_path: Path) -> None:
    runtime = make_runtime(store, tmp_path, token=None)
    client = client_for(runtime)
    for action, body in (("status", {"status": "fulfilled"}), ("ack", {}), ("snooze", {"for": "7d"})):
        response = client.post(f"/api/commitments/syria-draft-constitution/{action}", json=body, headers=AUTH)
        assert response.status_code == 403
        assert response.json()["detail"] == "the write API is off: set DEADLINEWATCH_API_TOKEN"
    assert store.status_changes() == [] and store.acks() == [] and store.snoozes() == []
    assert runtime.change_count == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Bearer "},
    ],
    ids=["missing", "wrong", "not-bearer", "longer", "empty"],
)
def test_bad_or_missing_token_is_401(client: TestClient, store: Store, headers: dict[str, str]) -> None:
    response = client.post(
        "/api/commitments/syria-draft-constitution/status", json={"status": "fulfilled"}, headers=headers
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert TOKEN not in response.text
    assert store.status_changes() == []


def test_auth_comes_before_ids_and_bodies(client: TestClient) -> None:
    assert client.post("/api/commitments/no-such-thing/ack", json={}).status_code == 401
    assert client.post("/api/commitments/no-such-thing/ack", content=b"{not json").status_code == 401


# --- writes ----------------------------------------------------------------------------------------


def test_post_status_records_an_api_change(client: TestClient, store: Store, runtime: StaticRuntime) -> None:
    response = client.post(
        "/api/commitments/syria-draft-constitution/status",
        json={
            "status": "fulfilled",
            "at": "2016-09-05",
            "note": "agreed in Geneva",
            "url": "https://example.org/y",
            "verified": True,
        },
        headers=AUTH,
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "action": "status",
        "commitment": "syria-draft-constitution",
        "at": "2016-09-04T21:00:00Z",  # 00:00 Damascus time (the agreement's zone)
        "by": "api",
        "created": True,
        "message": "syria-draft-constitution: not_started → fulfilled at 2016-09-05 00:00 Asia/Damascus"
        " (2016-09-04T21:00:00Z), by api",
        "status": "fulfilled",
        "note": "agreed in Geneva",
        "url": "https://example.org/y",
        "origin": "api",
        "verified": True,
    }
    [record] = store.status_changes("syria-draft-constitution")
    assert (record.status, record.origin, record.verified, record.recorded_at, record.actor) == (
        Status.FULFILLED,
        "api",
        True,
        NOW,
        "api",
    )
    assert runtime.change_count == 1
    # the re-planned view shows it: no longer overdue, and the dependent deadline is now known
    state = client.get("/api/commitments/syria-draft-constitution").json()
    assert state["status"] == "fulfilled" and state["overdue"] is False
    assert state["history"][-1]["origin"] == "api"
    elections = client.get("/api/commitments/syria-elections").json()
    assert elections["pending"] is False and elections["window"]["precision"] == "day"


def test_post_status_defaults_to_now(client: TestClient, store: Store) -> None:
    response = client.post(
        "/api/commitments/weapons-withdrawal/status", json={"status": "partial"}, headers=AUTH
    )
    assert response.status_code == 201
    assert response.json()["at"] == format_utc(NOW)
    assert store.status_changes("weapons-withdrawal")[0].at == NOW


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "done"}, "status"),
        ({}, "status"),
        ({"status": "fulfilled", "at": "yesterday-ish"}, "at"),
        ({"status": "fulfilled", "url": "javascript:alert(1)"}, "url"),
        ({"status": "fulfilled", "verified": "maybe"}, "verified"),
        ({"status": "fulfilled", "colour": "red"}, "colour"),
        ([1, 2], "(body)"),
    ],
)
def test_post_status_bad_body_is_422_naming_the_field(
    client: TestClient, store: Store, runtime: StaticRuntime, body: object, field: str
) -> None:
    response = client.post("/api/commitments/syria-draft-constitution/status", json=body, headers=AUTH)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["field"] == field
    assert detail["message"].startswith(f"{field}: ")
    assert store.status_changes() == []
    assert runtime.change_count == 0


def test_invalid_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/commitments/syria-draft-constitution/status", content=b"{not json", headers=AUTH
    )
    assert response.status_code == 422
    assert response.json()["detail"] == {"message": "(body): not valid JSON", "field": "(body)"}


def test_writes_to_unknown_ids_are_404(client: TestClient, store: Store) -> None:
    for action, body in (("status", {"status": "fulfilled"}), ("ack", {}), ("snooze", {"for": "7d"})):
        response = client.post(f"/api/commitments/nope/{action}", json=body, headers=AUTH)
        assert response.status_code == 404
        assert "unknown commitment id 'nope'" in response.json()["detail"]
    assert store.status_changes() == [] and store.acks() == [] and store.snoozes() == []


def test_post_ack(client: TestClient, store: Store, runtime: StaticRuntime) -> None:
    response = client.post(
        "/api/commitments/syria-draft-constitution/ack", json={"note": "seen, chasing"}, headers=AUTH
    )
    assert response.status_code == 201
    answer = response.json()
    assert {k: answer[k] for k in ("action", "commitment", "at", "by", "created", "note")} == {
        "action": "ack",
        "commitment": "syria-draft-constitution",
        "at": format_utc(NOW),
        "by": "api",
        "created": True,
        "note": "seen, chasing",
    }
    [ack] = store.acks("syria-draft-constitution")
    assert (ack.at, ack.note, ack.actor) == (NOW, "seen, chasing", "api")
    assert runtime.change_count == 1
    # a second ack (empty body) finds the first in place: 200, nothing new recorded
    again = client.post("/api/commitments/syria-draft-constitution/ack", headers=AUTH)
    assert again.status_code == 200 and again.json()["created"] is False
    assert len(store.acks("syria-draft-constitution")) == 1
    # a commitment that is not overdue has nothing to acknowledge: 422 saying so, nothing recorded
    refused = client.post("/api/commitments/weapons-withdrawal/ack", headers=AUTH)
    assert refused.status_code == 422
    assert "weapons-withdrawal is not overdue" in refused.json()["detail"]["message"]
    assert store.acks("weapons-withdrawal") == []


def test_post_snooze_for_and_until(client: TestClient, store: Store, runtime: StaticRuntime) -> None:
    response = client.post(
        "/api/commitments/syria-draft-constitution/snooze", json={"for": "7d", "note": "talks"}, headers=AUTH
    )
    assert response.status_code == 201
    assert response.json()["until"] == format_utc(NOW + timedelta(days=7))
    response = client.post(
        "/api/commitments/weapons-withdrawal/snooze", json={"until": "2016-09-20T08:00"}, headers=AUTH
    )
    assert response.status_code == 201
    assert response.json()["until"] == "2016-09-20T08:00:00Z"
    assert [s.commitment_id for s in store.snoozes()] == ["syria-draft-constitution", "weapons-withdrawal"]
    assert runtime.change_count == 2
    detail = client.get("/api/commitments/weapons-withdrawal").json()
    assert detail["snoozes"] == [
        {"at": format_utc(NOW), "until": "2016-09-20T08:00:00Z", "note": None, "by": "api", "lifted": False}
    ]
    assert detail["snoozed_until"] == "2016-09-20T08:00:00Z"
    # unsnooze lifts it at once: the next read says so
    lifted = client.post("/api/commitments/weapons-withdrawal/unsnooze", json={"note": "talks"}, headers=AUTH)
    assert lifted.status_code == 201, lifted.text
    detail = client.get("/api/commitments/weapons-withdrawal").json()
    assert detail["snoozed_until"] is None and detail["snoozes"][-1]["lifted"] is True
    again = client.post("/api/commitments/weapons-withdrawal/unsnooze", headers=AUTH)
    assert again.status_code == 422 and "is not snoozed" in again.json()["detail"]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "until"),
        ({"for": "7d", "until": "2016-10-01"}, "until"),
        ({"for": "a while"}, "for"),
        ({"until": "2016-01-01"}, "until"),
        ({"until": "not a date"}, "until"),
    ],
)
def test_post_snooze_bad_body(client: TestClient, store: Store, body: dict[str, str], field: str) -> None:
    response = client.post("/api/commitments/syria-draft-constitution/snooze", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == field
    assert store.snoozes() == []
