"""The wall clock of a running ``deadlinewatch run`` jumps forward one hour (a suspended laptop, an
NTP step), then back one hour (SPEC §5 catch-up, §11 no loss, no duplicate).

The jump is injected through the test-only hook ``DEADLINEWATCH_CLOCK_FILE`` (a file holding an
offset in seconds that ``clock.py`` adds to the system clock), never by changing the machine's time.

- Forward: what fell due in the skipped hour follows the catch-up rules: per commitment and kind
  only the latest occurrence is sent (one ``overdue``, not the seven repeats it skipped), no
  reminder once an overdue is due, no digest; the skipped ones are in the ledger as superseded.
- Back: nothing already sent is sent again when its instant comes round a second time, and a status
  change recorded after the jump is announced at once (not held until the clock passes the
  instant planning had reached before the jump).

SQLite and the console channel; every wait is on an observable event with a generous guard.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from conftest import (
    ServiceProcess,
    cli,
    commitment,
    console_arrivals,
    logged,
    outbox,
    utc_now,
    wait_until,
    whole_second,
    write_config,
)
from deadlinewatch.clock import CLOCK_FILE_ENV
from deadlinewatch.domain.model import EventKind

HOUR = 3600


def _set_offset(path: Path, seconds: float) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(f"{seconds}\n", encoding="utf-8")
    partial.replace(path)


def _planned(database: str) -> bool:
    """Whether the first planning tick has recorded its watermark."""
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            value = connection.execute(
                text("SELECT value FROM engine_state WHERE key = 'planned_until'")
            ).scalar()
    finally:
        engine.dispose()
    return value is not None


def _lines(service: ServiceProcess) -> Counter[tuple[str, EventKind]]:
    return Counter((line.subject, line.event) for line in console_arrivals(service.stdout_lines()))


def _config(folder: Path, start: datetime) -> dict[str, datetime]:
    dues = {
        "repeating": start + timedelta(minutes=30),  # reminders +10m, +25m; overdue every 5m from +30m
        "early": start + timedelta(hours=2),  # reminders +20m and +40m: both in the skipped hour
        "far": start + timedelta(hours=3),  # reminder at +2h: not reached
        "soon": start + timedelta(seconds=25),  # reminder +13s, overdue +25s: real instants in the test
        "quiet": start + timedelta(hours=5),  # nothing scheduled in the test; its status changes
    }
    write_config(
        folder,
        {
            "timezone": "UTC",
            "channels": {"console": {"type": "console"}},
            "policies": {
                "default": {"remind_before": [], "grace": "0d", "repeat_overdue_every": "0d"},
                "repeating": {"remind_before": ["20m", "5m"], "grace": "0d", "repeat_overdue_every": "5m"},
                "early": {"remind_before": ["100m", "80m"], "grace": "0d", "repeat_overdue_every": "0d"},
                "far": {"remind_before": ["1h"], "grace": "0d", "repeat_overdue_every": "0d"},
                "soon": {"remind_before": ["12s"], "grace": "0d", "repeat_overdue_every": "0d"},
            },
            "commitments": [
                commitment(cid, due, **({"policy": cid} if cid != "quiet" else {}))
                for cid, due in dues.items()
            ],
            "subscriptions": [
                {"name": "desk", "notify": ["console"]},
                {
                    "name": "digests",
                    "notify": ["console"],
                    "events": ["digest"],
                    "digest": {"cron": "*/10 * * * *", "timezone": "UTC"},
                },
            ],
        },
    )
    return dues


@pytest.mark.slow
def test_clock_jumps_forward_then_back_an_hour(
    tmp_path: Path, sqlite_url: str, services: list[ServiceProcess]
) -> None:
    start = whole_second(utc_now())
    config = tmp_path / "config"
    dues = _config(config, start)
    clock_file = tmp_path / "clock-offset"
    _set_offset(clock_file, 0)
    service = ServiceProcess.start(tmp_path, config, sqlite_url, env={CLOCK_FILE_ENV: str(clock_file)})
    services.append(service)
    service.wait_ready()
    wait_until(lambda: _planned(sqlite_url), 30, "the first planning tick", interval=0.2)
    assert utc_now() < dues["soon"] - timedelta(seconds=14), "too slow to start before the first instant"
    assert not _lines(service), service.describe()

    # --- forward one hour ---------------------------------------------------------------------
    _set_offset(clock_file, HOUR)
    expected = {
        ("repeating", EventKind.OVERDUE),
        ("early", EventKind.REMINDER),
        ("soon", EventKind.OVERDUE),
    }
    wait_until(
        lambda: set(_lines(service)) >= expected,
        60,
        "the catch-up after the forward jump",
        on_fail=service.describe,
    )
    assert logged(service, "the wall clock jumped forward"), service.describe()
    assert logged(service, "catching up"), service.describe()

    def settled() -> bool:
        rows = outbox(tmp_path, config, sqlite_url)
        return all(row["state"] != "pending" and row["state"] != "sending" for row in rows)

    wait_until(settled, 60, "the catch-up rows to be marked sent", interval=0.5)
    rows = outbox(tmp_path, config, sqlite_url)
    by = Counter((str(r["subject"]), str(r["event"]), str(r["state"])) for r in rows)
    print(f"\nledger after the forward jump: {dict(by)}")
    assert not [r for r in rows if r["event"] == "digest"], "a digest was caught up"
    assert not [r for r in rows if r["subject"] in ("far", "quiet")], rows
    overdues = sorted(
        (r for r in rows if r["subject"] == "repeating" and r["event"] == "overdue"),
        key=lambda r: str(r["occurred"]),
    )
    assert len(overdues) >= 6, overdues  # repeats 0..6 (or more on a slow machine) fell in the hour
    assert [r["state"] for r in overdues] == ["superseded"] * (len(overdues) - 1) + ["sent"]
    by_subject = {
        cid: sorted(
            (str(r["occurred"]), str(r["event"]), str(r["state"])) for r in rows if r["subject"] == cid
        )
        for cid in ("early", "soon")
    }
    early_reminders = [(o, s) for o, e, s in by_subject["early"] if e == "reminder"]
    assert [s for _, s in early_reminders] == ["superseded", "sent"], by_subject["early"]
    assert sorted((e, s) for _, e, s in by_subject["soon"]) == [
        ("overdue", "sent"),
        ("reminder", "superseded"),
    ], by_subject["soon"]
    reminders = [r for r in rows if r["subject"] == "repeating" and r["event"] == "reminder"]
    assert {r["state"] for r in reminders} == {"superseded"}, "a stale reminder after an overdue"
    assert Counter(_lines(service)) == Counter(dict.fromkeys(expected, 1))

    # --- back one hour --------------------------------------------------------------------------
    _set_offset(clock_file, 0)
    wait_until(
        lambda: logged(service, "the wall clock jumped back") and logged(service, "it went back"),
        30,
        "the service to notice the backward jump",
        on_fail=service.describe,
    )
    # The "soon" commitment's reminder and overdue instants now come round a second time.
    wait_until(
        lambda: utc_now() > dues["soon"] + timedelta(seconds=2),
        60,
        "the soon commitment's instants to pass again",
    )
    result = cli(
        tmp_path,
        "update",
        "quiet",
        "--status",
        "in_progress",
        "--config",
        str(config),
        "--database",
        sqlite_url,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    wait_until(
        lambda: ("quiet", EventKind.STATUS_CHANGED) in _lines(service),
        45,
        "the status change recorded after the backward jump",
        on_fail=service.describe,
    )
    service.terminate()
    counts = _lines(service)
    print(f"console after both jumps: {dict(counts)}")
    assert counts == Counter(dict.fromkeys([*expected, ("quiet", EventKind.STATUS_CHANGED)], 1)), counts
