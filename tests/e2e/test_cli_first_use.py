"""What a new user sees from the command line (subprocesses, as typed in a shell): one database per
config whatever the working folder, read-only commands that create and migrate nothing, errors
instead of tracebacks, and a second ``run`` on a taken port that stops before touching anything."""

from __future__ import annotations

import json
import socket
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from conftest import ServiceProcess, cli, commitment, outbox, utc_now, wait_until, whole_second, write_config

EXIT_PORT_IN_USE = 3


def _project(tmp_path: Path) -> Path:
    """A project folder with ``config/`` naming no database: the default sqlite:///data/… applies."""
    config = tmp_path / "project" / "config"
    write_config(
        config,
        {
            "timezone": "Europe/Berlin",
            "channels": {"console": {"type": "console"}},
            "commitments": [commitment("ceasefire", utc_now() + timedelta(days=40))],
            "subscriptions": [{"name": "desk", "notify": ["console"]}],
        },
    )
    return config


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr


def test_update_from_another_folder_reaches_the_database_status_reads(tmp_path: Path) -> None:
    config = _project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = cli(elsewhere, "update", "ceasefire", "--status", "in_progress", "--config", str(config))
    assert result.returncode == 0, result.stderr
    # The database sits beside the config folder, not under the folder the command ran in.
    assert (tmp_path / "project" / "data" / "deadlinewatch.db").exists()
    assert not (elsewhere / "data").exists()

    status = cli(tmp_path / "project", "status", "--config", "config", "--format", "json", "--verbose")
    assert status.returncode == 0, status.stderr
    [row] = json.loads(status.stdout)
    assert row["status"] == "in_progress" and row["status_origin"] == "manual"
    assert f"database: sqlite:///{tmp_path / 'project' / 'data' / 'deadlinewatch.db'}" in status.stderr

    table = cli(config, "status", "--config", ".")  # the same config spelt from inside it
    assert table.returncode == 0, table.stderr
    assert "in_progress (manual)" in table.stdout
    assert f"database sqlite:///{tmp_path / 'project' / 'data' / 'deadlinewatch.db'}" in table.stdout


def test_read_only_commands_create_and_migrate_nothing(tmp_path: Path) -> None:
    config = _project(tmp_path)
    for args in (("status",), ("outbox",), ("export-ics", "--out", str(tmp_path / "x.ics"))):
        result = cli(tmp_path, *args, "--config", str(config))
        assert result.returncode == 0, result.stderr
    assert not (tmp_path / "project" / "data").exists()
    assert "not created yet" in cli(tmp_path, "status", "--config", str(config)).stdout

    # An empty file is not given a schema (no migration, no WAL switch) by a read-only command.
    empty = tmp_path / "empty.db"
    empty.touch()
    result = cli(tmp_path, "status", "--config", str(config), "--database", f"sqlite:///{empty}")
    assert result.returncode == 0, result.stderr
    assert empty.stat().st_size == 0


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    config = _project(tmp_path)
    url = f"sqlite:///{tmp_path / 'dw.db'}"
    recorded = cli(
        tmp_path, "update", "ceasefire", "--status", "in_progress", "--config", str(config), "--database", url
    )
    assert recorded.returncode == 0, recorded.stderr
    with closing(sqlite3.connect(tmp_path / "dw.db")) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    for args in (("status",), ("update", "ceasefire", "--status", "partial")):
        result = cli(tmp_path, *args, "--config", str(config), "--database", url)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "9999_from_the_future" in result.stderr and "newer" in result.stderr
        _no_traceback(result.stderr)


def test_user_mistakes_are_errors_not_tracebacks(tmp_path: Path) -> None:
    config = _project(tmp_path)
    result = cli(tmp_path, "status", "--config", str(config), "--database", "data/deadlinewatch.db")
    assert result.returncode == 1
    assert "not a database URL" in result.stderr and "sqlite:///data/deadlinewatch.db" in result.stderr
    _no_traceback(result.stderr)
    assert not (tmp_path / "data").exists()

    result = cli(tmp_path, "export-ics", "--config", str(config), "--out", "/nonexistent/x.ics")
    assert result.returncode == 1
    assert "cannot write --out /nonexistent/x.ics" in result.stderr
    _no_traceback(result.stderr)

    result = cli(
        tmp_path, "update", "ceasefire", "--status", "fulfilled", "--at", "asap", "--config", str(config)
    )
    assert result.returncode in (1, 2), result.stderr
    assert "'asap' is not a date" in result.stderr and "Europe/Berlin" in result.stderr
    assert "asap" not in result.stderr.replace("'asap'", "")  # named as the input, never suggested
    _no_traceback(result.stderr)


def test_a_second_run_on_a_taken_port_exits_3_before_opening_the_database(tmp_path: Path) -> None:
    config = _project(tmp_path)
    database = tmp_path / "never.db"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        result = cli(
            tmp_path,
            "run",
            "--config",
            str(config),
            "--database",
            f"sqlite:///{database}",
            "--http",
            f"127.0.0.1:{port}",
            timeout=60,
        )
    assert result.returncode == EXIT_PORT_IN_USE, result.stdout + result.stderr
    assert f"cannot serve HTTP on 127.0.0.1:{port}" in result.stderr
    assert "already in use" in result.stderr
    _no_traceback(result.stderr)
    assert not database.exists()


def test_run_prints_one_summary_and_records_nothing_for_unconfigured_channels(
    tmp_path: Path, sqlite_url: str, services: list[ServiceProcess]
) -> None:
    start = whole_second(utc_now())
    config = tmp_path / "config"
    write_config(
        config,
        {
            "timezone": "UTC",
            "channels": {
                "console": {"type": "console"},
                "mail": {"type": "email", "to": ["desk@example.org"], "smtp": "none"},
            },
            "smtp": {"none": {"host": "", "from": "dw@example.org"}},
            "policies": {"default": {"remind_before": [], "repeat_overdue_every": "0d"}},
            "commitments": [commitment("soon", start + timedelta(seconds=4))],
            "subscriptions": [{"name": "desk", "notify": ["console", "mail"]}],
        },
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    service = ServiceProcess.start(tmp_path, config, sqlite_url, extra_args=("--http", f"127.0.0.1:{port}"))
    services.append(service)
    service.wait_ready()
    summaries = [m["message"] for m in service.log_messages() if "deadlinewatch running" in m["message"]]
    assert len(summaries) == 1, service.describe()
    summary = summaries[0]
    assert "watching 1 commitment" in summary
    assert "ready: console" in summary
    assert "skipped: mail — smtp profile 'none' has no host" in summary
    assert f"dashboard:  http://127.0.0.1:{port}/" in summary
    assert "next due:" in summary
    wait_until(
        lambda: any(
            r["event"] == "overdue" and r["state"] == "sent" for r in outbox(tmp_path, config, sqlite_url)
        ),
        60,
        "the overdue notice to be sent to the console",
        on_fail=service.describe,
    )
    assert {r["channel"] for r in outbox(tmp_path, config, sqlite_url)} == {"console"}


def test_validate_warns_when_nothing_can_ever_be_sent(tmp_path: Path) -> None:
    config = tmp_path / "config"
    write_config(config, {"timezone": "UTC", "channels": {"console": {"type": "console"}}})
    result = cli(tmp_path, "validate", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "config OK" in result.stdout
    assert "no subscriptions: nothing will ever be sent" in result.stderr


def test_every_option_has_help_and_run_documents_its_exit_codes() -> None:
    import argparse

    from deadlinewatch.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [
        f"{name} {action.option_strings or action.dest}"
        for name, sub in subparsers.choices.items()
        for action in sub._actions
        if not isinstance(action, argparse._HelpAction) and not action.help
    ]
    assert missing == []
    run_help = " ".join(subparsers.choices["run"].format_help().split())
    assert "3 the HTTP port could not be bound" in run_help
    assert "START of that day" in " ".join(subparsers.choices["snooze"].format_help().split())


def test_an_older_schema_is_reported_by_read_only_commands_and_upgraded_by_writes(tmp_path: Path) -> None:
    from deadlinewatch.storage import create_db_engine, current_revision, migrate

    config = _project(tmp_path)
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    migrate(engine, "0001")  # the first schema, as an older deadlinewatch left it
    engine.dispose()
    before = path.read_bytes()

    for args in (("status",), ("outbox",), ("show", "ceasefire")):
        result = cli(tmp_path, *args, "--config", str(config), "--database", url)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "older schema revision '0001'" in result.stderr and "deadlinewatch run" in result.stderr
        _no_traceback(result.stderr)
    assert path.read_bytes() == before  # reported, not upgraded

    result = cli(
        tmp_path, "update", "ceasefire", "--status", "in_progress", "--config", str(config), "--database", url
    )
    assert result.returncode == 0, result.stderr
    engine = create_db_engine(url)
    assert current_revision(engine) != "0001"
    engine.dispose()
    assert cli(tmp_path, "status", "--config", str(config), "--database", url).returncode == 0
