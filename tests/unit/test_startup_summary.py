"""The block ``run`` prints at start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deadlinewatch.services.startup import HEADLINE, StartupFacts, summary

NOW = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


def facts(**changes: object) -> StartupFacts:
    base: dict[str, object] = {
        "config": "/srv/config",
        "database": "sqlite:////srv/data/deadlinewatch.db",
        "commitments": 7,
        "agreements": 1,
        "subscriptions": 2,
        "sources": 1,
        "ready": ["console"],
        "skipped": {"syria-slack": "no Slack token (set SLACK_BOT_TOKEN or the channel's token)"},
        "dashboard": "http://127.0.0.1:8080/",
        "next_due": NOW + timedelta(days=2, hours=3),
        "pending": 1,
    }
    base.update(changes)
    return StartupFacts(**base)  # type: ignore[arg-type]


def test_the_block_says_what_runs_where_and_what_comes_next() -> None:
    text = summary(facts(), NOW)
    lines = text.splitlines()
    assert lines[0] == f"{HEADLINE}: watching 7 commitments (1 agreement), 2 subscriptions, 1 source"
    assert "  database:   sqlite:////srv/data/deadlinewatch.db" in lines
    assert "  channels:   ready: console" in lines
    assert any(line.strip().startswith("skipped: syria-slack — no Slack token") for line in lines)
    assert "  dashboard:  http://127.0.0.1:8080/" in lines
    assert "  next due:   2026-12-04T17:00:00Z (in 2 d 3 h)" in lines
    assert "  now:        1 notification to send (catch-up at start)" in lines


def test_http_off_nothing_scheduled_and_problems_are_said() -> None:
    text = summary(
        facts(dashboard=None, next_due=None, pending=0, ready=[], problems=("no subscriptions",)), NOW
    )
    assert "dashboard:  off" in text
    assert "next due:   nothing scheduled" in text
    assert "ready: none" in text
    assert "warning:    no subscriptions" in text
    assert "now:" not in text
