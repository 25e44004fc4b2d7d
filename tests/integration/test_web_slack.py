"""``POST /slack/actions``: real signatures built with hmac, a clock from the runtime."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from test_web_support import NOW, SIGNING_SECRET, client_for, make_runtime

from deadlinewatch.delivery.rendering import (
    ACTION_ACK,
    ACTION_FULFILLED,
    ACTION_SNOOZE_7D,
    ACTIONS_BLOCK_ID,
)
from deadlinewatch.domain.model import Status
from deadlinewatch.storage import Store
from deadlinewatch.web.runtime import StaticRuntime


def _payload(action_id: str, value: str = "syria-draft-constitution", user: Any = None) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": user if user is not None else {"id": "U123", "username": "analyst.jo", "name": "analyst.jo"},
        "actions": [{"block_id": ACTIONS_BLOCK_ID, "action_id": action_id, "value": value, "type": "button"}],
        "response_url": "https://hooks.invalid/actions/1",
    }


def _signed(
    payload: Any, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(NOW.timestamp()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }
    return body, headers


@pytest.fixture
def runtime(store: Store, tmp_path: Path) -> StaticRuntime:
    return make_runtime(store, tmp_path)


@pytest.fixture
def client(runtime: StaticRuntime) -> TestClient:
    return client_for(runtime)


def test_ack_button(client: TestClient, store: Store, runtime: StaticRuntime) -> None:
    body, headers = _signed(_payload(ACTION_ACK))
    response = client.post("/slack/actions", content=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("syria-draft-constitution acknowledged by analyst.jo (U123)")
    [ack] = store.acks("syria-draft-constitution")
    assert (ack.at, ack.note, ack.actor) == (NOW, None, "analyst.jo (U123)")
    assert runtime.change_count == 1


def test_snooze_button_is_seven_days(client: TestClient, store: Store) -> None:
    body, headers = _signed(_payload(ACTION_SNOOZE_7D, user={"id": "U999"}))
    response = client.post("/slack/actions", content=body, headers=headers)
    assert response.status_code == 200
    [snooze] = store.snoozes("syria-draft-constitution")
    assert (snooze.at, snooze.until, snooze.actor) == (NOW, NOW + timedelta(days=7), "U999")
    assert "(2016-09-17T12:00:00Z)" in response.json()["text"]


def test_fulfilled_button_records_a_slack_status_change(
    client: TestClient, store: Store, runtime: StaticRuntime
) -> None:
    body, headers = _signed(_payload(ACTION_FULFILLED))
    assert client.post("/slack/actions", content=body, headers=headers).status_code == 200
    [change] = store.status_changes("syria-draft-constitution")
    assert (change.status, change.origin, change.actor, change.at, change.verified) == (
        Status.FULFILLED,
        "slack",
        "analyst.jo (U123)",
        NOW,
        False,
    )
    planner = runtime.planner()
    assert planner is not None and planner.status_at("syria-draft-constitution", NOW) is Status.FULFILLED


@pytest.mark.parametrize(
    "tamper",
    ["wrong-secret", "body-changed", "no-signature", "no-timestamp", "bad-timestamp", "not-v0"],
)
def test_invalid_signature_is_401(client: TestClient, store: Store, tamper: str) -> None:
    body, headers = _signed(
        _payload(ACTION_FULFILLED), secret="another-secret" if tamper == "wrong-secret" else SIGNING_SECRET
    )
    if tamper == "body-changed":
        body = body.replace(b"syria-draft-constitution", b"syria-transition-framework")
    elif tamper == "no-signature":
        del headers["X-Slack-Signature"]
    elif tamper == "no-timestamp":
        del headers["X-Slack-Request-Timestamp"]
    elif tamper == "bad-timestamp":
        headers["X-Slack-Request-Timestamp"] = "yesterday"
    elif tamper == "not-v0":
        headers["X-Slack-Signature"] = headers["X-Slack-Signature"].replace("v0=", "v1=")
    response = client.post("/slack/actions", content=body, headers=headers)
    assert response.status_code == 401
    assert SIGNING_SECRET not in response.text
    assert store.status_changes() == []


@pytest.mark.parametrize("age", [301, -301, 3600])
def test_expired_or_future_timestamp_is_401(client: TestClient, store: Store, age: int) -> None:
    body, headers = _signed(_payload(ACTION_ACK), timestamp=int(NOW.timestamp()) - age)
    assert client.post("/slack/actions", content=body, headers=headers).status_code == 401
    assert store.acks() == []


def test_timestamp_inside_the_window_is_accepted(client: TestClient, store: Store) -> None:
    body, headers = _signed(_payload(ACTION_ACK), timestamp=int(NOW.timestamp()) - 299)
    assert client.post("/slack/actions", content=body, headers=headers).status_code == 200
    assert len(store.acks()) == 1


def test_off_without_a_signing_secret(store: Store, tmp_path: Path) -> None:
    client = client_for(make_runtime(store, tmp_path, signing_secret=None))
    body, headers = _signed(_payload(ACTION_ACK))
    response = client.post("/slack/actions", content=body, headers=headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "Slack actions are off: set SLACK_SIGNING_SECRET"
    assert store.acks() == []


def test_signed_but_malformed_payload_is_400(client: TestClient) -> None:
    body = b"payload=%7Bnot-json"
    ts = str(int(NOW.timestamp()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
    assert client.post("/slack/actions", content=body, headers=headers).status_code == 400


def test_unknown_commitment_and_unknown_action_answer_200_and_record_nothing(
    client: TestClient, store: Store, runtime: StaticRuntime
) -> None:
    body, headers = _signed(_payload(ACTION_ACK, value="not-in-config"))
    response = client.post("/slack/actions", content=body, headers=headers)
    assert response.status_code == 200
    assert "unknown commitment id 'not-in-config'" in response.json()["text"]
    body, headers = _signed(_payload("someone.elses.button"))
    response = client.post("/slack/actions", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["text"] == "Nothing to do for that action."
    assert store.acks() == [] and store.status_changes() == []
    assert runtime.change_count == 0
