"""``show``, ``agenda`` and ``outbox`` as a user runs them: the CLI as a subprocess, on the example
config and on a temporary config with a real SQLite database."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import cli, write_config
from deadlinewatch.bootstrap import open_store
from deadlinewatch.domain.events import Overdue
from deadlinewatch.domain.model import EventKind
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.storage import NewNotification
from support.postgres import fresh_schema

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config"
EXAMPLE_IDS = [
    "syria-transition-framework",
    "syria-draft-constitution",
    "syria-geneva-talks",
    "syria-humanitarian-access",
    "syria-detainee-releases",
    "syria-cessation-of-hostilities",
    "syria-elections",
]
LONDON = ZoneInfo("Europe/London")


def content_digest(path: Path) -> str:
    with closing(sqlite3.connect(path)) as connection:
        return hashlib.sha256("\n".join(connection.iterdump()).encode()).hexdigest()


def ok(cwd: Path, *args: str) -> str:
    result = cli(cwd, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.mark.parametrize("commitment_id", EXAMPLE_IDS)
def test_show_runs_for_every_commitment_of_the_example_and_creates_no_database(
    tmp_path: Path, commitment_id: str
) -> None:
    missing = tmp_path / "data" / "never.db"
    database = f"sqlite:///{missing}"
    text = ok(tmp_path, "show", commitment_id, "--config", str(EXAMPLE), "--database", database)
    assert text.startswith(f"{commitment_id} — ")
    for heading in ("Deadline", "Status:", "Acknowledgements", "Snoozes", "Subscriptions", "Ledger:"):
        assert f"\n{heading}" in text
    assert "nothing recorded yet" in text
    assert "syria-desk -> console" in text and "(level: default)" in text
    assert not missing.exists() and not missing.parent.exists()


def test_show_reads_the_example_deadline_in_damascus_time_with_utc_beside(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'none.db'}"
    args = ("show", "syria-transition-framework", "--config", str(EXAMPLE), "--database", database)
    report = json.loads(ok(tmp_path, *args, "--format", "json"))
    deadline = report["deadline"]
    assert deadline["written"] == "2016-08" and deadline["precision"] == "month"
    assert deadline["due"] == {
        "utc": "2016-08-31T21:00:00Z",
        "local": "2016-09-01T00:00:00+03:00",
        "zone": "Asia/Damascus",
    }
    assert deadline["written_at"].endswith("syria-2016.yaml:21")
    assert [h["status"] for h in report["history"]] == ["in_progress", "missed", "superseded"]
    elections = json.loads(
        ok(
            tmp_path,
            "show",
            "syria-elections",
            "--config",
            str(EXAMPLE),
            "--database",
            database,
            "--format",
            "json",
        )
    )
    anchor = elections["deadline"]["anchor"]
    assert anchor["after"] == "syria-draft-constitution" and anchor["known"] is False
    assert elections["deadline"]["known"] is False


def test_show_an_unknown_id_names_it_and_suggests_close_ones(tmp_path: Path) -> None:
    result = cli(tmp_path, "show", "syria-geneva", "--config", str(EXAMPLE))
    assert result.returncode == 1
    assert "unknown commitment id 'syria-geneva'" in result.stderr
    assert "did you mean syria-geneva-talks" in result.stderr
    assert "Traceback" not in result.stderr


def _config(folder: Path, due_local: datetime) -> Path:
    """One commitment due at ``due_local`` (London), reminded 1 day before; syria-desk-like quiet
    hours 22:00–07:00 London; a second subscription with its own policy."""
    return write_config(
        folder,
        {
            "timezone": "UTC",
            "channels": {"out": {"type": "console"}},
            "policies": {
                "default": {"remind_before": ["1d"], "repeat_overdue_every": "7d"},
                "loud": {"remind_before": ["2d", "1d"]},
            },
            "agreements": [
                {"id": "accord", "title": "Accord", "announced": "2026-01-01", "timezone": "Europe/London"}
            ],
            "commitments": [
                {
                    "id": "ceasefire",
                    "agreement": "accord",
                    "title": "Ceasefire & withdrawal",
                    "due": due_local.strftime("%Y-%m-%dT%H:%M"),
                },
                {"id": "old", "agreement": "accord", "title": "Long overdue", "due": "2026-01-10"},
            ],
            "subscriptions": [
                {
                    "name": "desk",
                    "notify": ["out"],
                    "quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Europe/London"},
                },
                {
                    "name": "night-shift",
                    "notify": ["out"],
                    "policy": "loud",
                    "match": {"commitments": ["ceasefire"]},
                },
            ],
        },
    )


def _due_in_three_days_at_2330() -> datetime:
    today = datetime.now(UTC).astimezone(LONDON).date()
    return datetime.combine(today + timedelta(days=3), datetime.min.time()).replace(hour=23, minute=30)


def test_agenda_shows_a_quiet_hour_hold_in_the_subscriptions_zone(tmp_path: Path) -> None:
    due = _due_in_three_days_at_2330()
    config = _config(tmp_path / "config", due)
    database = f"sqlite:///{tmp_path / 'none.db'}"
    agenda = json.loads(
        ok(tmp_path, "agenda", "--config", str(config), "--database", database, "--format", "json")
    )
    desk = [e for e in agenda["entries"] if e["subscription"] == "desk" and e["subject"] == "ceasefire"]
    assert [e["event"] for e in desk] == ["reminder", "overdue"], agenda
    held = desk[0]
    # The 1d reminder falls at 23:30 London, inside 22:00–07:00: held until 07:00 the next morning.
    assert held["event"] == "reminder"
    assert held["held_from"]["local"].startswith((due - timedelta(days=1)).strftime("%Y-%m-%dT23:30:00"))
    assert held["send_at"]["local"].startswith(due.strftime("%Y-%m-%dT07:00:00"))
    assert held["send_at"]["zone"] == "Europe/London"
    overdue = desk[1]  # due at 23:30 London: held as well, until 07:00 the day after
    assert overdue["held_from"]["utc"] < overdue["send_at"]["utc"]
    night = [e for e in agenda["entries"] if e["subscription"] == "night-shift"]
    assert [e["event"] for e in night] == ["reminder", "reminder", "overdue"] and all(
        e["held_from"] is None for e in night
    )
    text = ok(tmp_path, "agenda", "--config", str(config), "--database", database, "--subscription", "desk")
    assert "quiet hours: due" in text and "held until" in text and "(Europe/London)" in text
    assert "night-shift" not in text
    assert not (tmp_path / "none.db").exists()
    result = cli(tmp_path, "agenda", "--config", str(config), "--subscription", "dsk")
    assert result.returncode == 1 and "did you mean desk" in result.stderr


def _ledger_rows(database: str) -> None:
    """Four rows about ``old``: one left pending, one sent, one failed after 2 attempts, one superseded."""
    store = open_store(database)
    assert store is not None
    now = datetime.now(UTC)
    rows = [
        NewNotification.from_notice(
            Notice(
                subscription="night-shift" if i == 2 else "desk",
                channels=("out",),
                event=EventKind.OVERDUE,
                subject="old",
                occurred=now - timedelta(days=10 - i),
                send_at=now - timedelta(days=10 - i),
                data=Overdue(due="2026-01-10T00:00:00Z", repeat=i),
            ),
            "out",
        )
        for i in range(4)
    ]
    store.insert_notifications(rows, now)
    claimed = {r.key: r for r in store.claim_due(now, 10, 60, "test")}
    k0, k1, k2, k3 = (row.key for row in rows)
    store.mark_sent(claimed[k1].id, now, "test")
    store.mark_retry(claimed[k2].id, "timeout", now, now, "test")
    store.mark_failed(store.claim_due(now, 10, 60, "test")[0].id, "channel_not_found", now, "test")
    store.release_claims([claimed[k0].id, claimed[k3].id], "test", now)
    store.mark_superseded([k3], now, "caught up")
    store.engine.dispose()


def test_show_and_outbox_on_a_real_database(tmp_path: Path) -> None:
    config = _config(tmp_path / "config", _due_in_three_days_at_2330())
    path = tmp_path / "dw.db"
    database = f"sqlite:///{path}"
    common = ("--config", str(config), "--database", database)
    ok(tmp_path, "update", "old", "--status", "in_progress", "--note", "talks resumed", "--verified", *common)
    ok(tmp_path, "ack", "old", "--note", "seen", *common)
    ok(tmp_path, "snooze", "old", "--for", "2d", *common)
    _ledger_rows(database)

    digest = content_digest(path)
    report = json.loads(ok(tmp_path, "show", "old", *common, "--format", "json"))
    assert content_digest(path) == digest  # read-only
    assert report["database_found"] is True
    (change,) = report["history"]
    assert (change["status"], change["origin"], change["note"], change["verified"]) == (
        "in_progress",
        "manual",
        "talks resumed",
        True,
    )
    assert change["actor"]  # the OS user who ran `update`
    assert [a["active"] for a in report["acks"]] == [True]
    assert [s["active"] for s in report["snoozes"]] == [True]
    assert {s["name"]: s["level"] for s in report["subscriptions"]} == {"desk": "default"}
    assert sorted(r["state"] for r in report["ledger"]) == ["failed", "pending", "sent", "superseded"]
    text = ok(tmp_path, "show", "old", *common)
    assert "2 attempts" in text and "channel_not_found" in text

    default = json.loads(ok(tmp_path, "outbox", *common, "--format", "json"))
    assert sorted(r["state"] for r in default) == ["failed", "pending"]
    everything = json.loads(ok(tmp_path, "outbox", *common, "--format", "json", "--all"))
    assert sorted(r["state"] for r in everything) == ["failed", "pending", "sent", "superseded"]
    failed = json.loads(ok(tmp_path, "outbox", *common, "--format", "json", "--failed"))
    assert [r["state"] for r in failed] == ["failed"]
    table = ok(tmp_path, "outbox", *common, "--all")
    assert "night-shift/out" in table  # full names, never cut
    assert "(1 attempt)" in table and "(2 attempts)" in table and "1 attempts" not in table
    assert "4 notifications in the ledger" in table
    assert "--all for the whole ledger" in ok(tmp_path, "outbox", *common)


def test_show_on_a_file_that_is_not_a_database_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("not a database\n" * 100)
    result = cli(
        tmp_path, "show", "syria-elections", "--config", str(EXAMPLE), "--database", f"sqlite:///{bogus}"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cannot read database" in result.stderr and "Traceback" not in result.stderr
    result = cli(tmp_path, "agenda", "--config", str(EXAMPLE), "--database", str(bogus))
    assert result.returncode == 1 and "not a database URL" in result.stderr


@pytest.mark.postgres
def test_show_and_agenda_read_postgresql_without_writing(tmp_path: Path) -> None:
    config = _config(tmp_path / "config", _due_in_three_days_at_2330())
    with fresh_schema("show") as database:
        common = ("--config", str(config), "--database", database)
        ok(tmp_path, "update", "old", "--status", "partial", "--note", "some of it", *common)
        report = json.loads(ok(tmp_path, "show", "old", *common, "--format", "json"))
        assert [(h["status"], h["origin"]) for h in report["history"]] == [("partial", "manual")]
        assert report["database_found"] is True
        agenda = json.loads(ok(tmp_path, "agenda", *common, "--format", "json"))
        assert any(e["subject"] == "ceasefire" for e in agenda["entries"])
