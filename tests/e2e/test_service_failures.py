"""``deadlinewatch run`` against failing channels: Slack 429 (``Retry-After``) then 500s, a token
Slack answers ``invalid_auth``, and an SMTP server that is down at start. Everything deliverable
arrives once; the rest is ``failed`` with its error in ``outbox --failed``; ``channel_failing``
reaches the subscription that asks for it, once."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from aiosmtpd.controller import Controller

from conftest import (
    ServiceProcess,
    TimedSlackApi,
    TimedSmtpHandler,
    commitment,
    console_arrivals,
    lateness_report,
    outbox,
    slack_channel,
    smtp_profile,
    utc_now,
    wait_until,
    whole_second,
    write_config,
)
from deadlinewatch.domain.model import EventKind
from support.smtp import free_port

BAD_TOKEN = "xoxb-not-a-valid-token"


def test_429_and_500_retried_invalid_auth_failed_and_channel_failing_raised_once(
    tmp_path: Path, slack: TimedSlackApi, sqlite_url: str, services: list[ServiceProcess]
) -> None:
    # The bad channel talks to its own stand-in, so every scripted failure hits the good channel.
    refusing = TimedSlackApi()
    refusing.start()
    try:
        _run_failure_scenario(tmp_path, slack, refusing, sqlite_url, services)
    finally:
        refusing.stop()


def _run_failure_scenario(
    tmp_path: Path,
    slack: TimedSlackApi,
    refusing: TimedSlackApi,
    sqlite_url: str,
    services: list[ServiceProcess],
) -> None:
    config = tmp_path / "config"
    write_config(
        config,
        {
            "timezone": "UTC",
            "channels": {
                "slack-good": slack_channel(slack, "#good"),
                "slack-bad": slack_channel(refusing, "#bad", token=BAD_TOKEN),
                "console": {"type": "console"},
            },
            "policies": {"default": {"remind_before": ["3s"], "repeat_overdue_every": "0d"}},
            "subscriptions": [
                {"name": "desk", "notify": ["slack-good", "slack-bad", "console"]},
                {"name": "ops", "events": ["channel_failing"], "notify": ["console"]},
            ],
        },
    )
    # The first requests the stand-in sees: a 429 asking for 1 s, then two bare 500s.
    slack.fail_next(429, error="ratelimited", retry_after=1)
    slack.fail_next(500, count=2)

    service = ServiceProcess.start(tmp_path, config, sqlite_url)
    services.append(service)
    service.wait_ready()
    # The commitments come by a reload once the service runs, their instants counted from then
    # (a slow start on a loaded machine would otherwise catch the reminders up, or skip them).
    start = whole_second(utc_now())
    due_a, due_b = start + timedelta(seconds=12), start + timedelta(seconds=13)
    write_config(
        config, {"commitments": [commitment("alpha", due_a), commitment("beta", due_b)]}, name="c.yaml"
    )

    def settled() -> bool:
        rows = outbox(tmp_path, config, sqlite_url)
        desk = [r for r in rows if r["subscription"] == "desk"]
        return len(desk) == 12 and all(r["state"] in ("sent", "failed") for r in desk)

    wait_until(
        settled, 60, "every desk notification to be sent or failed", interval=0.5, on_fail=service.describe
    )
    wait_until(
        lambda: any(c.event is EventKind.CHANNEL_FAILING for c in console_arrivals(service.stdout_lines())),
        20,
        "channel_failing on the console",
        on_fail=service.describe,
    )
    time.sleep(1.0)  # room for a duplicate to show up, if there were one
    service.terminate()

    rows = outbox(tmp_path, config, sqlite_url)
    by_channel: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        by_channel.setdefault(str(row["channel"]), []).append(row)

    # Deliverable: every row sent, each arriving exactly once.
    good = [r for r in by_channel["slack-good"] if r["subscription"] == "desk"]
    assert len(good) == 4 and all(r["state"] == "sent" for r in good), good
    accepted = Counter(a.key for a in slack.arrivals() if a.channel == "#good")
    assert set(accepted) >= {r["key"] for r in good}
    # The stand-in records failed attempts too: count only the ones after which the row was sent.
    retried = sum(1 for r in good if int(str(r["attempts"])) > 1)
    print(
        f"\nslack-good: {len(good)} sent, {retried} needed retries; attempts {[r['attempts'] for r in good]}"
    )
    print(f"requests to #good by key: {dict(accepted)}")
    # The stand-in records the refused attempts too: exactly the 3 scripted answers were retried.
    assert sum(accepted.values()) == len(good) + 3, accepted
    assert sum(int(str(r["attempts"])) for r in good) == len(good) + 3, good
    assert retried >= 1

    console_desk = [c for c in console_arrivals(service.stdout_lines()) if c.subscription == "desk"]
    console_counts = Counter(c.key for c in console_desk)
    console_rows = {str(r["key"]) for r in by_channel["console"] if r["subscription"] == "desk"}
    assert set(console_counts) == console_rows and set(console_counts.values()) == {1}, console_counts

    # Undeliverable: failed, with the error, listed by outbox --failed.
    bad = by_channel["slack-bad"]
    assert len(bad) == 4 and all(r["state"] == "failed" for r in bad), bad
    assert len(refusing.arrivals()) == 4, "a permanent error is not retried"
    failed = outbox(tmp_path, config, sqlite_url, failed=True)
    assert {r["key"] for r in failed} == {r["key"] for r in bad}
    for row in failed:
        assert "invalid_auth" in str(row["error"]), row
    print(f"failed rows: {[(r['event'], r['subject'], r['error']) for r in failed]}")

    # channel_failing: once, to ops on the console, naming the channel; never for the good one.
    failing_rows = [r for r in rows if r["event"] == "channel_failing"]
    assert len(failing_rows) == 1, failing_rows
    assert failing_rows[0]["subscription"] == "ops" and failing_rows[0]["subject"] == "slack-bad"
    assert failing_rows[0]["state"] == "sent"
    failing_lines = [
        c for c in console_arrivals(service.stdout_lines()) if c.event is EventKind.CHANNEL_FAILING
    ]
    assert len(failing_lines) == 1, [c.text for c in failing_lines]
    assert "slack-bad" in failing_lines[0].text
    assert BAD_TOKEN not in "\n".join(line.text for line in service.stdout + service.stderr)


def test_smtp_down_at_start_then_up_every_email_arrives_once(
    tmp_path: Path, sqlite_url: str, services: list[ServiceProcess]
) -> None:
    port = free_port()  # nothing listens here until we start the server below
    config = tmp_path / "config"
    write_config(
        config,
        {
            "timezone": "UTC",
            "channels": {
                "mail": {"type": "email", "to": ["desk@example.org"], "smtp": "local"},
                "console": {"type": "console"},
            },
            "smtp": {"local": {**smtp_profile(port), "timeout": "5s"}},
            "policies": {"default": {"remind_before": ["2s"], "repeat_overdue_every": "0d"}},
            "subscriptions": [{"name": "desk", "notify": ["mail", "console"]}],
        },
    )
    service = ServiceProcess.start(tmp_path, config, sqlite_url)
    services.append(service)
    service.wait_ready()
    # Commitments by a reload once the service runs, instants counted from then (see above).
    start = whole_second(utc_now())
    dues = [start + timedelta(seconds=s) for s in (10, 12)]
    write_config(
        config, {"commitments": [commitment(f"c{i}", due) for i, due in enumerate(dues)]}, name="c.yaml"
    )

    # Alerts keep flowing to the console while SMTP is down.
    wait_until(
        lambda: len([c for c in console_arrivals(service.stdout_lines()) if c.subscription == "desk"]) >= 4,
        30,
        "the console notifications",
        on_fail=service.describe,
    )
    down_until = start + timedelta(seconds=21)
    wait_until(lambda: utc_now() >= down_until, 30, "the outage to last 15 s")
    rows = outbox(tmp_path, config, sqlite_url)
    mail_rows = [r for r in rows if r["channel"] == "mail"]
    assert len(mail_rows) == 4
    assert all(r["state"] in ("pending", "sending") for r in mail_rows), mail_rows
    print(f"\nduring the outage: {[(r['event'], r['attempts'], r['error']) for r in mail_rows]}")
    assert any(r["error"] for r in mail_rows)

    handler = TimedSmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    up_at = utc_now()
    try:
        waited = wait_until(
            lambda: len(handler.messages) >= 4,
            200,  # backoff after ~6 failed attempts may wait up to a minute or two
            "every email after SMTP came back",
            on_fail=service.describe,
        )
        time.sleep(1.0)
        service.terminate()
    finally:
        controller.stop()

    print(f"all 4 emails arrived {waited:.1f} s after SMTP came up")
    lateness_report("email arrival after SMTP came up", [(a.key, up_at, a.at) for a in handler.arrivals()])
    keys = Counter(a.key for a in handler.arrivals())
    rows = outbox(tmp_path, config, sqlite_url)
    mail_rows = [r for r in rows if r["channel"] == "mail"]
    assert all(r["state"] == "sent" for r in mail_rows), mail_rows
    assert set(keys) == {r["key"] for r in mail_rows}
    assert set(keys.values()) == {1}, keys
