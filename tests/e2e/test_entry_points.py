"""Every way in, against a real ``deadlinewatch run`` (HTTP on, an API token, a Slack signing
secret, a local Slack Web API): the HTTP API's writes, a signed Slack button press, the CLI while
the service runs, and a config reload. Each asserts what the user sees: the HTTP status, the very
next read, and the text of the message that results (Slack stand-in and console).

One service serves the whole module (starting one is the slow part); each test uses its own
commitments, so the order of the tests does not matter.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from conftest import (
    ServiceProcess,
    TimedSlackApi,
    cli,
    commitment,
    iso,
    slack_channel,
    utc_now,
    wait_until,
    whole_second,
    write_config,
)

TOKEN = "e2e-api-token-0123456789"
SIGNING_SECRET = "e2e-signing-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LONG_AGO = utc_now().replace(year=2020, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
FAR = whole_second(utc_now()) + timedelta(days=60)
OVERDUE_IDS = ("api-overdue", "slack-overdue", "slack-twice")
OPEN_IDS = ("api-status", "api-snooze", "cli-status", "cli-future")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Running:
    def __init__(self, root: Path, service: ServiceProcess, slack: TimedSlackApi, base: str) -> None:
        self.root = root
        self.config = root / "config"
        self.database = f"sqlite:///{root / 'deadlinewatch.db'}"
        self.service = service
        self.slack = slack
        self.http = httpx.Client(base_url=base, timeout=30, trust_env=False)

    def get(self, commitment_id: str) -> dict[str, Any]:
        response = self.http.get(f"/api/commitments/{commitment_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def slack_texts(self, commitment_id: str) -> list[str]:
        """Every message posted about a commitment, flattened to one string each."""
        return [
            json.dumps(post, ensure_ascii=False)
            for post in self.slack.posted()
            if commitment_id in json.dumps(post)
        ]

    def console_lines(self, fragment: str) -> list[str]:
        return [line.text for line in self.service.stdout_lines() if fragment in line.text]


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("entry-points")
    port = _free_port()
    with TimedSlackApi() as slack:
        write_config(
            root / "config",
            {
                "timezone": "UTC",
                "http": {"listen": f"127.0.0.1:{port}"},
                "channels": {"desk-slack": slack_channel(slack, "#desk"), "console": {"type": "console"}},
                "policies": {"default": {"remind_before": [], "repeat_overdue_every": "7d"}},
                "commitments": [
                    *(commitment(cid, LONG_AGO, title=f"Overdue {cid}") for cid in OVERDUE_IDS),
                    *(commitment(cid, FAR, title=f"Open {cid}") for cid in OPEN_IDS),
                ],
                "subscriptions": [{"name": "desk", "notify": ["desk-slack", "console"]}],
            },
        )
        env = {
            "DEADLINEWATCH_API_TOKEN": TOKEN,
            "DEADLINEWATCH_API_TOKEN_NAME": "ci-bot",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        }
        service = ServiceProcess.start(root, root / "config", f"sqlite:///{root / 'deadlinewatch.db'}", env)
        try:
            service.wait_ready(timeout=90)
            running = Running(root, service, slack, f"http://127.0.0.1:{port}")

            def answers() -> bool:
                try:
                    return running.http.get("/readyz").status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(
                answers, 60, "the HTTP server to answer /readyz", interval=0.2, on_fail=service.describe
            )
            # The first start reports the overdue commitments once (catch-up): wait for it, so the
            # tests below see only what they cause.
            wait_until(
                lambda: all(running.slack_texts(cid) for cid in OVERDUE_IDS),
                60,
                "the start-up overdue messages",
                on_fail=service.describe,
            )
            yield running
            running.http.close()
        finally:
            if service.alive():
                service.terminate()


def _signed(payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }
    return body, headers


def _press(action: str, commitment_id: str, response_url: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": "U0E2E", "username": "analyst.e2e", "name": "analyst.e2e"},
        "actions": [{"action_id": action, "value": commitment_id, "type": "button"}],
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C1"},
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


# --- HTTP API ---------------------------------------------------------------------------------------


def test_api_status_change_answers_201_shows_at_once_and_alerts_with_note_and_author(
    running: Running,
) -> None:
    response = running.http.post(
        "/api/commitments/api-status/status",
        json={
            "status": "fulfilled",
            "note": "All crossings open per OCHA",
            "url": "https://example.org/ocha",
        },
        headers=AUTH,
    )
    assert response.status_code == 201, response.text
    assert response.json()["by"] == "ci-bot" and response.json()["status"] == "fulfilled"
    state = running.get("api-status")  # the very next read
    assert state["status"] == "fulfilled"
    assert state["history"][-1]["note"] == "All crossings open per OCHA"
    assert state["history"][-1]["by"] == "ci-bot"
    wait_until(
        lambda: any("All crossings open per OCHA" in t for t in running.slack_texts("api-status")),
        30,
        "the status_changed message on Slack",
        on_fail=running.service.describe,
    )
    [message] = [t for t in running.slack_texts("api-status") if "Status changed" in t]
    assert "ci-bot" in message and "not started" in message
    wait_until(
        lambda: bool(running.console_lines("Note: All crossings open per OCHA")),
        30,
        "the status_changed line on the console",
    )


def test_api_ack_unack_snooze_unsnooze_each_answer_2xx_and_the_next_read_shows_it(running: Running) -> None:
    post = running.http.post
    assert post("/api/commitments/api-overdue/ack", json={"note": "chasing"}, headers=AUTH).status_code == 201
    assert running.get("api-overdue")["acknowledged"] is True
    assert post("/api/commitments/api-overdue/unack", headers=AUTH).status_code == 201
    assert running.get("api-overdue")["acknowledged"] is False
    snoozed = post("/api/commitments/api-snooze/snooze", json={"for": "7d"}, headers=AUTH)
    assert snoozed.status_code == 201, snoozed.text
    assert running.get("api-snooze")["snoozed_until"] == snoozed.json()["until"]
    assert post("/api/commitments/api-snooze/unsnooze", headers=AUTH).status_code == 201
    assert running.get("api-snooze")["snoozed_until"] is None
    acks = running.get("api-overdue")["acks"]
    assert [(a["by"], a["withdrawn"]) for a in acks] == [("ci-bot", False), ("ci-bot", True)]


def test_api_refuses_a_future_at_and_an_ack_of_what_is_not_overdue_with_422(running: Running) -> None:
    future = running.http.post(
        "/api/commitments/api-snooze/status", json={"status": "fulfilled", "at": "2099-01-01"}, headers=AUTH
    )
    assert future.status_code == 422
    assert future.json()["detail"]["field"] == "at" and "in the future" in future.json()["detail"]["message"]
    not_due = running.http.post("/api/commitments/api-snooze/ack", headers=AUTH)
    assert not_due.status_code == 422 and "is not overdue" in not_due.json()["detail"]["message"]
    assert running.get("api-snooze")["status"] == "not_started"
    assert running.http.post("/api/commitments/nope/ack", headers=AUTH).status_code == 404


# --- Slack ------------------------------------------------------------------------------------------


def test_a_signed_slack_press_answers_200_is_recorded_once_and_a_retry_records_nothing(
    running: Running,
) -> None:
    body, headers = _signed(_press("deadlinewatch.ack", "slack-overdue", running.slack.webhook_url))
    first = running.http.post("/slack/actions", content=body, headers=headers)
    assert first.status_code == 200, first.text
    assert "acknowledged by analyst.e2e (U0E2E)" in first.json()["text"]

    def follow_ups() -> list[dict[str, Any]]:
        return [r.body for r in running.slack.requests if r.path == "/webhook"]

    # The channel is told too (Slack's response_url, in the pressed message's thread), not only
    # the person who pressed.
    wait_until(lambda: bool(follow_ups()), 30, "the follow-up message to the conversation")
    [told] = follow_ups()
    assert told["response_type"] == "in_channel" and told["thread_ts"] == "1700000000.000001"
    assert "slack-overdue acknowledged by analyst.e2e (U0E2E)" in told["text"]
    again = running.http.post("/slack/actions", content=body, headers=headers)  # Slack's retry
    assert again.status_code == 200
    state = running.get("slack-overdue")
    assert state["acknowledged"] is True
    assert [a["by"] for a in state["acks"]] == ["analyst.e2e (U0E2E)"]


def test_slack_fulfilled_press_alerts_with_who_pressed(running: Running) -> None:
    body, headers = _signed(_press("deadlinewatch.fulfilled", "slack-twice"))
    response = running.http.post("/slack/actions", content=body, headers=headers)
    assert response.status_code == 200 and "by analyst.e2e (U0E2E)" in response.json()["text"]
    assert running.get("slack-twice")["status"] == "fulfilled"
    wait_until(
        lambda: any(
            "Status changed" in t and "analyst.e2e (U0E2E)" in t for t in running.slack_texts("slack-twice")
        ),
        30,
        "the status_changed message naming the Slack user",
        on_fail=running.service.describe,
    )


# --- CLI while the service runs -----------------------------------------------------------------------


def test_cli_update_with_a_note_while_running_alerts_with_the_note(running: Running) -> None:
    result = cli(
        running.root,
        "update",
        "cli-status",
        "--status",
        "fulfilled",
        "--note",
        "All crossings open per OCHA (CLI)",
        "--config",
        str(running.config),
        "--database",
        running.database,
    )
    assert result.returncode == 0, result.stderr
    wait_until(
        lambda: any("All crossings open per OCHA (CLI)" in t for t in running.slack_texts("cli-status")),
        30,
        "the status_changed message for the CLI update",
        on_fail=running.service.describe,
    )
    assert running.console_lines("Note: All crossings open per OCHA (CLI)")
    assert running.get("cli-status")["history"][-1]["origin"] == "manual"


def test_cli_refuses_a_future_at_with_exit_1(running: Running) -> None:
    result = cli(
        running.root,
        "update",
        "cli-future",
        "--status",
        "fulfilled",
        "--at",
        "2099-01-01",
        "--config",
        str(running.config),
        "--database",
        running.database,
    )
    assert result.returncode == 1 and "in the future" in result.stderr
    assert "Traceback" not in result.stderr
    assert running.get("cli-future")["status"] == "not_started"


# --- config reload ------------------------------------------------------------------------------------


def test_a_config_file_added_while_running_is_served_and_alerts(running: Running) -> None:
    due = whole_second(utc_now()) + timedelta(seconds=8)
    write_config(
        running.config,
        {"commitments": [commitment("reload-added", due, title="Added by a reload")]},
        name="added.yaml",
    )
    wait_until(
        lambda: running.http.get("/api/commitments/reload-added").status_code == 200,
        60,
        "the reloaded commitment to be served",
        interval=0.2,
        on_fail=running.service.describe,
    )
    wait_until(
        lambda: any("Added by a reload" in t for t in running.slack_texts("reload-added")),
        60,
        "the overdue message of the added commitment",
        on_fail=running.service.describe,
    )
    assert running.get("reload-added")["due"] == iso(due)
