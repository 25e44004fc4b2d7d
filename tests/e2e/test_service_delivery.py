"""``deadlinewatch run`` end to end: deadlines a few seconds after start, delivered over two Slack
channels (local Slack Web API), email (aiosmtpd) and the console; exactly once per channel, email
as text + HTML, hostile titles escaped. Lateness is measured and printed, never asserted."""

from __future__ import annotations

import html
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from conftest import (
    ServiceProcess,
    TimedSlackApi,
    TimedSmtpHandler,
    commitment,
    console_arrivals,
    iso,
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
from deadlinewatch.domain.notifications import notification_key
from support.smtp import smtp_server

CHANNELS = ("slack-a", "slack-b", "mail", "console")


def _config(slack: TimedSlackApi, smtp_port: int, commitments: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "channels": {
            "slack-a": slack_channel(slack, "#alpha"),
            "slack-b": slack_channel(slack, "#beta"),
            "mail": {"type": "email", "to": ["desk@example.org"], "smtp": "local"},
            "console": {"type": "console"},
        },
        "smtp": {"local": smtp_profile(smtp_port)},
        "policies": {
            "default": {"remind_before": ["3s"], "grace": "0d", "repeat_overdue_every": "0d"},
            "repeating": {"repeat_overdue_every": "3s"},
        },
        "commitments": commitments,
        "subscriptions": [{"name": "desk", "notify": list(CHANNELS)}],
    }


def test_every_reminder_and_overdue_arrives_once_per_channel(
    tmp_path: Path, slack: TimedSlackApi, sqlite_url: str, services: list[ServiceProcess]
) -> None:
    handler = TimedSmtpHandler()
    with smtp_server(handler) as smtp:
        config = tmp_path / "config"
        write_config(config, _config(slack, smtp.port, []))
        service = ServiceProcess.start(tmp_path, config, sqlite_url)
        services.append(service)
        service.wait_ready()
        # The commitments arrive by a reload once the service runs, with instants counted from
        # then: however slow the start on a loaded machine, the first reminder is still ahead
        # (9 s of margin for the reload), never caught up or skipped.
        start = whole_second(utc_now())
        due_once = start + timedelta(seconds=12)
        due_repeating = start + timedelta(seconds=14)
        write_config(
            config,
            {
                "commitments": [
                    commitment("once", due_once),
                    commitment("repeating", due_repeating, policy="repeating"),
                ]
            },
            name="commitments.yaml",
        )
        # What must arrive: reminder 3 s before and the overdue of each; the repeats (every 3 s
        # after due_repeating) that fall before we stop looking.
        expected: dict[str, tuple[str, Any]] = {}
        occurrences = [
            ("once", EventKind.REMINDER, due_once - timedelta(seconds=3)),
            ("once", EventKind.OVERDUE, due_once),
            ("repeating", EventKind.REMINDER, due_repeating - timedelta(seconds=3)),
            ("repeating", EventKind.OVERDUE, due_repeating),
            ("repeating", EventKind.OVERDUE, due_repeating + timedelta(seconds=3)),
        ]
        for subject, event, instant in occurrences:
            for channel in CHANNELS:
                key = notification_key("desk", channel, subject, event, instant)
                expected[key] = (f"{channel} {subject} {event.value} @{iso(instant)}", instant)

        def arrived_keys() -> set[str]:
            keys = {a.key for a in slack.arrivals()} | {a.key for a in handler.arrivals()}
            return keys | {c.key for c in console_arrivals(service.stdout_lines())}

        wait_until(
            lambda: set(expected) <= arrived_keys(),
            60,
            "every expected notification",
            on_fail=lambda: (
                f"missing: {sorted(v[0] for k, v in expected.items() if k not in arrived_keys())}\n"
                + service.describe()
            ),
        )
        # Let one more repeat come and go, then stop cleanly and count.
        last_expected = due_repeating + timedelta(seconds=3)
        wait_until(lambda: utc_now() > last_expected + timedelta(seconds=2), 30, "a quiet second")
        service.terminate()

    slack_seen = slack.arrivals()
    mail_seen = handler.arrivals()
    console_seen = console_arrivals(service.stdout_lines())
    counts = Counter([a.key for a in slack_seen] + [a.key for a in mail_seen] + [c.key for c in console_seen])
    duplicates = {key: n for key, n in counts.items() if n > 1}
    assert not duplicates, f"delivered more than once: {duplicates}"

    # Everything that arrived is in the ledger as sent, and everything sent arrived.
    ledger = outbox(tmp_path, config, sqlite_url)
    sent = {row["key"]: row for row in ledger if row["state"] == "sent"}
    assert set(counts) == set(sent), (
        f"arrived but not sent: {set(counts) - set(sent)}; sent but not seen: {set(sent) - set(counts)}"
    )
    assert all(row["state"] in ("sent", "superseded") for row in ledger), ledger
    assert set(expected) <= set(sent)
    # Each channel got exactly its own share (a key belongs to one channel).
    for channel in CHANNELS:
        mine = {row["key"] for row in sent.values() if row["channel"] == channel}
        assert len(mine) >= 5, (channel, mine)
    slack_by_channel = Counter(a.channel for a in slack_seen)
    assert slack_by_channel["#alpha"] == slack_by_channel["#beta"] >= 5

    # Email: multipart/alternative, text then HTML; Message-ID carries the key.
    assert handler.messages
    for received in handler.messages:
        message = received.message
        assert message.get_content_type() == "multipart/alternative"
        parts = [part.get_content_type() for part in message.iter_parts()]
        assert parts == ["text/plain", "text/html"], parts
        assert message["Date"]
        assert received.rcpt_tos == ["desk@example.org"]

    # Lateness (printed for the record; the 1 s promise is measured, not asserted here).
    timed: list[tuple[str, Any, Any]] = []
    for arrival in [*slack_seen, *mail_seen]:
        if arrival.key in expected:
            label, instant = expected[arrival.key]
            timed.append((label, instant, arrival.at))
    for line in console_seen:
        if line.key in expected:
            label, instant = expected[line.key]
            timed.append((label, instant, line.at))
    timed.sort(key=lambda item: (item[1], item[0]))
    lateness_report("lateness of each arrival vs its instant", timed)


HOSTILE = "Talks <!channel> with <@U123> & <https://evil.example|click> now"


def _texts(value: Any, kind: str = "mrkdwn") -> list[tuple[str, str]]:
    """Every ``text`` inside a Slack payload as ``(type, text)``: the top-level fallback counts as
    mrkdwn; a text object's type is its ``type`` (a block's bare ``text`` string counts as mrkdwn)."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        own = str(value.get("type", kind))
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                found.append((own if own in ("plain_text", "mrkdwn") else "mrkdwn", item))
            else:
                found.extend(_texts(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_texts(item))
    return found


def test_hostile_title_arrives_escaped_in_slack_and_email(
    tmp_path: Path, slack: TimedSlackApi, sqlite_url: str, services: list[ServiceProcess]
) -> None:
    handler = TimedSmtpHandler()
    with smtp_server(handler) as smtp:
        config = tmp_path / "config"
        document = _config(slack, smtp.port, [])
        document["channels"] = {k: v for k, v in document["channels"].items() if k != "slack-b"}
        document["subscriptions"][0]["notify"] = ["slack-a", "mail"]
        write_config(config, document)
        service = ServiceProcess.start(tmp_path, config, sqlite_url)
        services.append(service)
        service.wait_ready()
        # The commitment comes by a reload once the service runs (its reminder 3 s before the due
        # must still be ahead, however slow the start).
        due = whole_second(utc_now()) + timedelta(seconds=10)
        write_config(config, {"commitments": [commitment("hostile", due, title=HOSTILE)]}, name="c.yaml")
        # reminder + overdue on both channels
        wait_until(
            lambda: len(slack.arrivals()) >= 2 and len(handler.messages) >= 2,
            60,
            "the reminder and the overdue on Slack and email",
            on_fail=service.describe,
        )
        service.terminate()

    posted = slack.posted()
    assert len(posted) == 2
    for body in posted:
        typed = _texts({"text": body.get("text"), "blocks": body.get("blocks")})
        # mrkdwn is where Slack parses <!channel>, <@U…> and <url|label>: all must be escaped there.
        # plain_text objects (the header) are never parsed by Slack, so the title may be verbatim.
        texts = [text for kind, text in typed if kind == "mrkdwn"]
        plain = [text for kind, text in typed if kind == "plain_text"]
        print("\nSlack text objects:", json.dumps(typed, ensure_ascii=False, indent=1))
        joined = "\n".join(texts)
        for raw in ("<!channel>", "<@U123>", "<https://evil.example|click>"):
            assert raw not in joined, f"{raw} reached Slack unescaped: {texts}"
        assert "&lt;!channel&gt;" in joined
        assert "&lt;@U123&gt;" in joined
        assert "&lt;https://evil.example|click&gt;" in joined
        assert " &amp; " in joined
        # No bare & other than an escape.
        for text in texts:
            stripped = text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
            assert "&" not in stripped, text
        assert "link_names" not in body and "parse" not in body
        for text in plain:
            assert "Talks" in text

    assert len(handler.messages) == 2
    for received in handler.messages:
        parts = list(received.message.iter_parts())
        text_part = next(p for p in parts if p.get_content_type() == "text/plain")
        html_part = next(p for p in parts if p.get_content_type() == "text/html")
        plain = str(text_part.get_content())  # type: ignore[attr-defined]
        body = str(html_part.get_content())  # type: ignore[attr-defined]
        assert HOSTILE in plain
        assert html.escape(HOSTILE, quote=False) in body or html.escape(HOSTILE) in body, body
        assert "<!channel>" not in body
        assert "<https://evil.example|click>" not in body
        assert 'href="https://evil.example' not in body
        assert json.dumps(HOSTILE) not in body
