"""``deadlinewatch run`` operated while it runs: a config edited into an invalid state and fixed
again (hot reload), and ``status`` / ``update`` from the command line on the same database."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from conftest import (
    ConsoleLine,
    ServiceProcess,
    cli,
    commitment,
    console_arrivals,
    iso,
    outbox,
    utc_now,
    wait_until,
    whole_second,
    write_config,
)
from deadlinewatch.domain.model import EventKind

BROKEN_YAML = "commitments:\n  - {id: broken, title: Broken, due: [2030-01-01\n  - oops: : :\n"


def _lines(service: ServiceProcess, event: EventKind, subject: str | None = None) -> list[ConsoleLine]:
    return [
        c
        for c in console_arrivals(service.stdout_lines())
        if c.event is event and (subject is None or c.subject == subject)
    ]


def test_invalid_config_keeps_alerts_flowing_raises_config_error_once_and_a_fix_is_picked_up(
    tmp_path: Path, sqlite_url: str, services: list[ServiceProcess]
) -> None:
    start = whole_second(utc_now())
    config = tmp_path / "config"
    write_config(
        config,
        {
            "timezone": "UTC",
            "channels": {"console": {"type": "console"}},
            "policies": {"default": {"remind_before": [], "repeat_overdue_every": "0d"}},
            "commitments": [commitment("after-edit", start + timedelta(seconds=14))],
            "subscriptions": [
                {"name": "desk", "notify": ["console"]},
                {"name": "ops", "events": ["config_error"], "notify": ["console"]},
            ],
        },
        name="main.yaml",
    )
    service = ServiceProcess.start(tmp_path, config, sqlite_url)
    services.append(service)
    service.wait_ready()

    # Break it: a second file with a YAML syntax error.
    broken = config / "extra.yaml"
    partial = config / ".extra.partial"
    partial.write_text(BROKEN_YAML, encoding="utf-8")
    partial.replace(broken)
    edited_at = utc_now()
    wait_until(
        lambda: len(_lines(service, EventKind.CONFIG_ERROR)) >= 1,
        30,
        "config_error on the ops console",
        on_fail=service.describe,
    )
    error_line = _lines(service, EventKind.CONFIG_ERROR)[0]
    print(f"\nconfig_error line: {error_line.text}")
    assert "extra.yaml" in error_line.text, "the error names the file"
    assert error_line.subscription == "ops"

    # A commitment due after the edit still notifies (the last good config keeps running).
    wait_until(
        lambda: len(_lines(service, EventKind.OVERDUE, "after-edit")) == 1,
        40,
        "the overdue of a commitment due after the bad edit",
        on_fail=service.describe,
    )
    assert edited_at < start + timedelta(seconds=14)

    # Touch the broken file again (same errors): no second config_error.
    partial.write_text(BROKEN_YAML + "\n# still broken\n", encoding="utf-8")
    partial.replace(broken)
    time.sleep(2.0)

    # Fix it: the same file now adds a commitment due in a few seconds.
    fixed_due = whole_second(utc_now()) + timedelta(seconds=5)
    write_config(
        config,
        {"commitments": [commitment("added-in-fix", fixed_due)]},
        name="extra.yaml",
    )
    wait_until(
        lambda: len(_lines(service, EventKind.OVERDUE, "added-in-fix")) == 1,
        40,
        "the overdue of the commitment the fix added",
        on_fail=service.describe,
    )
    time.sleep(1.0)
    service.terminate()

    errors = _lines(service, EventKind.CONFIG_ERROR)
    assert len(errors) == 1, [c.text for c in errors]
    rows = outbox(tmp_path, config, sqlite_url)
    assert Counter(str(r["event"]) for r in rows if r["event"] == "config_error") == {"config_error": 1}
    counts = Counter(c.key for c in console_arrivals(service.stdout_lines()))
    assert set(counts.values()) == {1}, counts
    assert {r["state"] for r in rows} == {"sent"}, rows
    reloads = [m for m in service.log_messages() if "config reloaded" in str(m.get("message"))]
    assert reloads, "the fix was logged as a reload"


def test_update_from_the_cli_stops_overdue_repeats_and_notifies_the_status_change(
    tmp_path: Path, sqlite_url: str, services: list[ServiceProcess]
) -> None:
    start = whole_second(utc_now())
    due = start + timedelta(seconds=4)
    config = tmp_path / "config"
    write_config(
        config,
        {
            "timezone": "UTC",
            "channels": {"console": {"type": "console"}},
            "policies": {"default": {"remind_before": [], "repeat_overdue_every": "2s"}},
            "commitments": [commitment("late", due), commitment("other", start + timedelta(days=30))],
            "subscriptions": [{"name": "desk", "notify": ["console"]}],
        },
    )
    service = ServiceProcess.start(tmp_path, config, sqlite_url)
    services.append(service)
    service.wait_ready()
    wait_until(
        lambda: len(_lines(service, EventKind.OVERDUE, "late")) >= 2,
        30,
        "the overdue and its first repeat",
        on_fail=service.describe,
    )

    status = cli(tmp_path, "status", "--config", str(config), "--database", sqlite_url, "--format", "json")
    assert status.returncode == 0, status.stdout + status.stderr
    states = {entry["id"]: entry for entry in json.loads(status.stdout)}
    print(f"\nstatus before the update: {json.dumps(states['late'])}")
    assert states["late"]["overdue"] is True
    assert states["other"]["overdue"] is False

    update = cli(
        tmp_path, "update", "late", "--status", "fulfilled", "--config", str(config), "--database", sqlite_url
    )
    assert update.returncode == 0, update.stdout + update.stderr
    updated_at = utc_now()

    wait_until(
        lambda: len(_lines(service, EventKind.STATUS_CHANGED, "late")) == 1,
        20,
        "status_changed after the CLI update",
        on_fail=service.describe,
    )
    noticed = utc_now()
    print(f"status_changed arrived {(noticed - updated_at).total_seconds():.2f} s after the update")
    # Watch a few more repeat instants go by: nothing more for "late" after the change.
    time.sleep(6.0)
    service.terminate()

    after = cli(tmp_path, "status", "--config", str(config), "--database", sqlite_url, "--format", "json")
    assert after.returncode == 0, after.stdout + after.stderr
    final = {entry["id"]: entry for entry in json.loads(after.stdout)}
    assert final["late"]["status"] == "fulfilled" and final["late"]["overdue"] is False

    changed = _lines(service, EventKind.STATUS_CHANGED, "late")
    assert len(changed) == 1 and "fulfilled" in changed[0].text
    late_overdues = [
        c for c in _lines(service, EventKind.OVERDUE, "late") if c.at > noticed + timedelta(seconds=1)
    ]
    assert not late_overdues, [c.text for c in late_overdues]
    # And nothing after the update was even recorded as due for sending.
    rows = outbox(tmp_path, config, sqlite_url)
    later = [
        r
        for r in rows
        if r["event"] == "overdue"
        and r["subject"] == "late"
        and r["state"] == "sent"
        and str(r["occurred"]) > iso(noticed)
    ]
    assert not later, later
    counts = Counter(c.key for c in console_arrivals(service.stdout_lines()))
    assert set(counts.values()) == {1}, counts
