"""The command line (SPEC §8). Parses arguments and hands each command to its service; exit codes:
0 success, 1 a failure the command reports, 2 wrong usage, 3 ``run`` could not bind its HTTP port."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from deadlinewatch import bootstrap
from deadlinewatch.domain.model import Status
from deadlinewatch.gcpause import tune_for_bulk_work

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_PORT_IN_USE = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deadlinewatch", description="Alerts on the deadlines of public commitments."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, help_text: str, database: bool = True, epilog: str | None = None
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, epilog=epilog)
        sub.add_argument(
            "--config", help="config folder or file (default $DEADLINEWATCH_CONFIG, else ./config)"
        )
        if database:
            sub.add_argument(
                "--database",
                metavar="URL",
                help="database URL: sqlite:///data/deadlinewatch.db or postgresql+psycopg://USER@HOST/DB "
                "(default: the config's database, else $DEADLINEWATCH_DATABASE_URL, else "
                "sqlite:///data/deadlinewatch.db; a relative SQLite path in the config or the default is "
                "relative to the folder that holds the config, one given here to the current folder)",
            )
            sub.add_argument(
                "-v", "--verbose", action="store_true", help="say on stderr which database is used"
            )
        return sub

    run = command(
        "run",
        "run the service",
        epilog="exit codes: 0 stopped cleanly, 1 invalid config, unusable database or a component "
        "failed, 3 the HTTP port could not be bound (checked before anything is planned)",
    )
    run.add_argument(
        "--http",
        metavar="HOST:PORT",
        help="serve HTTP (dashboard, API, /metrics, /readyz) on HOST:PORT (default: the config's "
        "http.listen)",
    )

    command("validate", "check the config and report every error", database=False)

    status = command("status", "show every commitment, its status and deadline")
    status.add_argument(
        "--format", choices=["table", "json"], default="table", help="output format (default table)"
    )
    status.add_argument("--tag", action="append", default=[], help="only commitments with this tag")
    status.add_argument("--overdue", action="store_true", help="only overdue commitments")

    replay = command("replay", "print what would be sent between two dates (nothing is sent)", False)
    replay.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="DATE",
        help="first day (YYYY-MM-DD); the simulated service starts at 00:00Z that day",
    )
    replay.add_argument(
        "--to",
        dest="end",
        required=True,
        metavar="DATE",
        help="last day (YYYY-MM-DD), included: the replay ends at 00:00Z the day after",
    )
    replay.add_argument(
        "--format", choices=["text", "jsonl"], default="text", help="text (default) or one JSON object a line"
    )

    when_help = (
        "a date (2016-08-31 = 00:00 that day) or a local time (2016-08-31T10:00), both on the"
        " commitment's wall clock, or an instant with Z or an offset (2016-08-31T07:00Z)"
    )
    update = command("update", "record a status change (as your OS user)")
    update.add_argument("id", metavar="ID", help="the commitment id")
    update.add_argument("--status", required=True, choices=[s.value for s in Status], help="the new status")
    update.add_argument(
        "--at", metavar="WHEN", help=f"when it happened, not in the future (default: now): {when_help}"
    )
    update.add_argument("--note", help="what happened, in a sentence (shown in the alert and history)")
    update.add_argument("--url", help="an http(s) link to the evidence")
    update.add_argument("--verified", action="store_true", help="confirmed by an independent verifier")

    ack = command("ack", "acknowledge an overdue commitment (no repeats until its status changes)")
    ack.add_argument("id", metavar="ID", help="the commitment id")
    ack.add_argument("--note", help="why, shown in the history")

    unack = command("unack", "withdraw an acknowledgement (overdue repeats and escalation resume)")
    unack.add_argument("id", metavar="ID", help="the commitment id")
    unack.add_argument("--note", help="why, shown in the history")

    snooze = command("snooze", "send nothing about a commitment for a while")
    snooze.add_argument("id", metavar="ID", help="the commitment id")
    group = snooze.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--until",
        metavar="WHEN",
        help=f"the end of the snooze: {when_help}; a date alone is the START of that day "
        "(--until 2026-12-24 ends at 00:00 on the 24th)",
    )
    group.add_argument(
        "--for", dest="duration", metavar="DURATION", help="how long: 12h, 7d, 2w, 1mo (calendar units)"
    )
    snooze.add_argument("--note", help="why, shown in the history")

    unsnooze = command("unsnooze", "end a snooze now (notifications resume)")
    unsnooze.add_argument("id", metavar="ID", help="the commitment id")
    unsnooze.add_argument("--note", help="why, shown in the history")

    outbox = command("outbox", "list the deliveries still to do: pending, in flight and failed")
    outbox_rows = outbox.add_mutually_exclusive_group()
    outbox_rows.add_argument("--failed", action="store_true", help="only failed notifications")
    outbox_rows.add_argument(
        "--all", action="store_true", help="the whole ledger, sent and superseded rows included"
    )
    outbox.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    outbox.add_argument("--limit", type=int, default=200, help="at most this many rows, newest first")

    show = command("show", "everything about one commitment: deadline, status, policies, next events, ledger")
    show.add_argument("id", metavar="ID", help="the commitment's id, as in the config")
    show.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    show.add_argument(
        "--next",
        type=int,
        default=3,
        metavar="N",
        help="next notifications to list per subscription (default 3)",
    )

    agenda = command("agenda", "what will be sent in the coming days, in order")
    agenda.add_argument(
        "--days", type=int, default=7, metavar="N", help="how many days ahead to look (default 7)"
    )
    agenda.add_argument(
        "--subscription", metavar="NAME", help="only this subscription's notifications (default: all)"
    )
    agenda.add_argument("--format", choices=["text", "json"], default="text", help="output format")

    notify_test = command("notify-test", "send a test message to one channel")
    notify_test.add_argument("channel", metavar="CHANNEL", help="a channel name from the config's channels")

    export_ics = command("export-ics", "write every deadline window as an iCalendar file")
    export_ics.add_argument("--out", metavar="FILE", help="file to write (default: standard output)")

    from deadlinewatch.extract_command import add_extract_parser

    add_extract_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    tune_for_bulk_work()
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = _handlers().get(args.command)
    if handler is None:
        parser.error(f"{args.command} is not available yet")
    try:
        return handler(args)
    except UsageError as exc:
        print(f"deadlinewatch {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CommandFailed as exc:
        print(f"deadlinewatch {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


class UsageError(Exception):
    """Wrong usage: exit 2."""


class CommandFailed(Exception):
    """A failure the command reports: exit 1."""


def _handlers() -> dict[str, Callable[[argparse.Namespace], int]]:
    from deadlinewatch import commands, extract_command, write_commands

    return {
        "extract": extract_command.cmd_extract,
        "validate": cmd_validate,
        "replay": commands.cmd_replay,
        "status": commands.cmd_status,
        "update": write_commands.cmd_update,
        "ack": write_commands.cmd_ack,
        "unack": write_commands.cmd_unack,
        "snooze": write_commands.cmd_snooze,
        "unsnooze": write_commands.cmd_unsnooze,
        "outbox": commands.cmd_outbox,
        "export-ics": commands.cmd_export_ics,
        "show": _show,
        "agenda": _agenda,
        **commands.service_handlers(),
    }


def _show(args: argparse.Namespace) -> int:
    from deadlinewatch.show_command import cmd_show

    return cmd_show(args)


def _agenda(args: argparse.Namespace) -> int:
    from deadlinewatch.show_command import cmd_agenda

    return cmd_agenda(args)


def cmd_validate(args: argparse.Namespace) -> int:
    from deadlinewatch.config.loader import load_config

    result = load_config(bootstrap.config_path(args.config), os.environ)
    if result.errors or result.config is None:
        for error in result.errors:
            print(error)
        sys.stdout.flush()
        for warning in result.warnings:
            print(f"{warning} (warning)", file=sys.stderr)
        return EXIT_FAILURE
    for warning in result.warnings:
        print(f"{warning} (warning)", file=sys.stderr)
    problem = result.config.delivery_problem()
    if problem is not None:
        print(f"{bootstrap.config_path(args.config)}: {problem} (warning)", file=sys.stderr)
    print(result.config.summary())
    return EXIT_OK


def parse_day(text: str, option: str) -> datetime:
    """``YYYY-MM-DD`` as 00:00Z."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected a date such as 2016-03-24") from None
    return day.replace(tzinfo=UTC)


def dump_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)


ONE_DAY = timedelta(days=1)
