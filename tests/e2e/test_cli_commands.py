"""The commands other than run/validate, as a user runs them (in-process through ``main``)."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from contextlib import closing, redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from deadlinewatch.cli import main

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / "config")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def content_digest(path: Path) -> str:
    with closing(sqlite3.connect(path)) as connection:
        return hashlib.sha256("\n".join(connection.iterdump()).encode()).hexdigest()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'dw.db'}"
    monkeypatch.setenv("DEADLINEWATCH_DATABASE_URL", url)
    return url


def test_status_json_agrees_with_the_deadline_rules_for_the_example(database: str) -> None:
    code, out, _ = run("status", "--config", CONFIG, "--format", "json", "--database", database)
    assert code == 0
    states = {s["id"]: s for s in json.loads(out)}
    framework = states["syria-transition-framework"]
    # "by August" 2016 in Damascus time (UTC+3 in summer 2016): [1 Aug 00:00, 1 Sep 00:00) local.
    assert framework["precision"] == "month"
    assert framework["opens"] == "2016-07-31T21:00:00Z"
    assert framework["closes"] == framework["due"] == "2016-08-31T21:00:00Z"
    assert framework["deadline"] == "by end of August 2016, Damascus time"
    assert framework["overdue"] is False  # terminal in the public record
    assert states["syria-geneva-talks"]["precision"] == "open"
    assert states["syria-geneva-talks"]["due"] is None
    elections = states["syria-elections"]
    assert elections["pending"] is True and elections["due"] is None  # the constitution never came
    assert {s["agreement"] for s in states.values()} == {"kerry-lavrov-2016"}
    assert not Path(database.removeprefix("sqlite:///")).exists()  # read-only: no file created


def test_replay_twice_is_byte_identical_and_leaves_the_database_untouched(database: str) -> None:
    assert run("update", "syria-geneva-talks", "--status", "in_progress", "--config", CONFIG)[0] == 0
    path = Path(database.removeprefix("sqlite:///"))
    digest = content_digest(path)
    args = ("replay", "--config", CONFIG, "--from", "2016-03-24", "--to", "2017-12-31", "--format", "jsonl")
    first, second = run(*args), run(*args)
    assert first[0] == 0 and first[1] == second[1]
    lines = [json.loads(line) for line in first[1].splitlines()]
    assert lines and all(set(line) >= {"at", "event", "subscription", "channels"} for line in lines)
    assert content_digest(path) == digest
    assert run("replay", "--config", CONFIG, "--from", "2016-03-24", "--to", "2016-04-30")[1].strip()


def test_update_ack_snooze_and_outbox(database: str) -> None:
    code, out, _ = run(
        "update", "syria-geneva-talks", "--status", "in_progress", "--at", "2017-01-05", "--config", CONFIG
    )
    assert code == 0 and "2017-01-04T22:00:00Z" in out  # 00:00 Damascus time
    assert run("update", "syria-elections", "--status", "in_progress", "--config", CONFIG)[0] == 0
    code, _, err = run("ack", "syria-elections", "--note", "seen", "--config", CONFIG)
    assert code == 1 and "no known deadline yet" in err  # pending: nothing to acknowledge, nothing recorded
    code, _, err = run("unack", "syria-elections", "--config", CONFIG)
    assert code == 1 and "is not acknowledged" in err
    code, out, _ = run("snooze", "syria-elections", "--for", "7d", "--config", CONFIG)
    assert code == 0 and "snoozed by" in out
    code, out, _ = run("unsnooze", "syria-elections", "--note", "talks resumed", "--config", CONFIG)
    assert code == 0 and "snooze lifted" in out
    code, _, err = run(
        "update", "syria-elections", "--status", "fulfilled", "--at", "2099-01-01", "--config", CONFIG
    )
    assert code == 1 and "in the future" in err
    code, out, _ = run("status", "--config", CONFIG, "--format", "json")
    elections = next(s for s in json.loads(out) if s["id"] == "syria-elections")
    assert elections["status"] == "in_progress" and elections["status_origin"] == "manual"
    assert run("outbox", "--config", CONFIG, "--format", "json")[0] == 0


def test_user_errors_name_the_problem(database: str) -> None:
    code, _, err = run("update", "no-such-id", "--status", "fulfilled", "--config", CONFIG)
    assert code == 1 and "unknown commitment id 'no-such-id'" in err
    assert run("update", "syria-elections", "--status", "done", "--config", CONFIG)[0] == 2
    code, _, err = run("snooze", "syria-elections", "--until", "2016-01-01", "--config", CONFIG)
    assert code == 1 and "future" in err
    code, _, err = run("replay", "--config", CONFIG, "--from", "2016-13-01", "--to", "2017-01-01")
    assert code == 2 and "--from" in err
    code, _, err = run("snooze", "syria-elections", "--for", "soon", "--config", CONFIG)
    assert code == 1 and "duration" in err
