"""The commands of ``deadlinewatch`` other than ``validate``: each loads what it needs through
:mod:`bootstrap`, calls a service, and prints."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from deadlinewatch import bootstrap
from deadlinewatch.cli import (
    EXIT_OK,
    ONE_DAY,
    CommandFailed,
    UsageError,
    dump_json,
    parse_day,
)
from deadlinewatch.clock import utc_now
from deadlinewatch.config.loader import LoadedConfig
from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.planning import Planner, Situation
from deadlinewatch.services.replay import format_jsonl, format_text, replay
from deadlinewatch.services.report import commitment_states
from deadlinewatch.services.situation import situation_from_store
from deadlinewatch.storage import NotificationState, Store


def _config(args: argparse.Namespace) -> LoadedConfig:
    config = bootstrap.load_or_report(bootstrap.config_path(args.config))
    if config is None:
        raise CommandFailed("the config is invalid (errors above); fix them and run again")
    return config


def _store(args: argparse.Namespace, config: LoadedConfig, *, create: bool) -> Store | None:
    return _open(args, config, create=create)[0]


def _open(
    args: argparse.Namespace, config: LoadedConfig, *, create: bool
) -> tuple[Store | None, bootstrap.DatabaseChoice]:
    """The store a command uses and which database it is (``--verbose`` says it on stderr).
    Read-only commands (``create`` False) get None for a database that does not exist yet."""
    try:
        choice = bootstrap.choose_database(
            getattr(args, "database", None), config, bootstrap.config_path(args.config)
        )
    except bootstrap.DatabaseProblem as exc:
        raise CommandFailed(str(exc)) from None
    if getattr(args, "verbose", False):
        print(f"database: {choice.shown()} ({choice.origin})", file=sys.stderr)
    try:
        store = bootstrap.open_store(choice.url, create=create)
    except bootstrap.DatabaseProblem as exc:
        raise CommandFailed(str(exc)) from None
    except Exception as exc:  # any driver error: say which database and why
        raise CommandFailed(f"cannot open database {choice.shown()}: {exc}") from exc
    return store, choice


def _database_footer(store: Store | None, choice: bootstrap.DatabaseChoice) -> str:
    return f"database {choice.shown()}" + (
        "" if store is not None else " (not created yet: nothing recorded)"
    )


def cmd_replay(args: argparse.Namespace) -> int:
    start = parse_day(args.start, "--from")
    end = parse_day(args.end, "--to") + ONE_DAY
    if end <= start:
        raise UsageError("--to must not be before --from")
    config = _config(args)
    ledger = bootstrap.open_store(bootstrap.MEMORY_DATABASE_URL)
    planner_situation = Situation(config.watchlist)
    out = sys.stdout
    if args.format == "jsonl":
        for notice in replay(planner_situation, start, end, ledger=ledger):
            out.write(format_jsonl(notice) + "\n")
    else:
        describer = Planner(planner_situation)
        for notice in replay(planner_situation, start, end, ledger=ledger):
            out.write(format_text(describer, notice) + "\n")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    config = _config(args)
    store, choice = _open(args, config, create=False)
    planner = Planner(situation_from_store(config.watchlist, store)[0])
    now = utc_now()
    states = commitment_states(planner, now)
    if args.tag:
        wanted = set(args.tag)
        states = [s for s in states if wanted & set(s.tags)]
    if args.overdue:
        states = [s for s in states if s.overdue]
    if args.format == "json":
        print(dump_json([s.as_json() for s in states]))
        return EXIT_OK
    rows = [("ID", "STATUS", "DEADLINE", "DUE (UTC)", "NOW")]
    for s in states:
        flag = s.relative or ("pending" if s.pending else "")
        status = s.status + (f" ({s.status_origin})" if s.status_origin not in (None, "config") else "")
        if s.overdue and "overdue" not in flag:
            flag = f"overdue {flag}".strip()
        rows.append((s.id, status, s.deadline, s.due or "-", flag.upper() if s.overdue else flag))
    widths = [min(max(len(r[i]) for r in rows), 60) for i in range(4)]
    for row in rows:
        print("  ".join(cell[:60].ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[4])
    print(f"\n{len(states)} commitments as of {format_utc(now)}; {_database_footer(store, choice)}")
    return EXIT_OK


# What ``outbox`` lists by default: the deliveries still to do (``--all``: the whole ledger).
OUTBOX_STATES = (NotificationState.PENDING, NotificationState.SENDING, NotificationState.FAILED)


def cmd_outbox(args: argparse.Namespace) -> int:
    config = _config(args)
    store, choice = _open(args, config, create=False)
    if args.failed:
        states: tuple[NotificationState, ...] | None = (NotificationState.FAILED,)
    else:
        states = None if args.all else OUTBOX_STATES
    records = [] if store is None else store.list_notifications(states=states, limit=args.limit)
    if args.format == "json":
        print(
            dump_json(
                [
                    {
                        "id": r.id,
                        "key": r.key,
                        "send_at": format_utc(r.send_at),
                        "occurred": format_utc(r.occurred),
                        "event": r.event.value,
                        "subject": r.subject,
                        "subscription": r.subscription,
                        "channel": r.channel,
                        "state": r.state.value,
                        "attempts": r.attempts,
                        "error": r.last_error,
                        "sent_at": format_utc(r.sent_at) if r.sent_at else None,
                    }
                    for r in records
                ]
            )
        )
        return EXIT_OK
    rows = [("SEND AT (UTC)", "EVENT", "SUBJECT", "TO", "STATE")]
    errors: list[str | None] = [None]
    for r in records:
        state = r.state.value
        if r.attempts:
            state += f" ({r.attempts} attempt{'' if r.attempts == 1 else 's'})"
        rows.append(
            (format_utc(r.send_at), r.event.value, r.subject or "-", f"{r.subscription}/{r.channel}", state)
        )
        errors.append(r.last_error)
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row, error in zip(rows if records else [], errors, strict=False):
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4]
        if error:
            line += f": {json.dumps(error[:300], ensure_ascii=False)}"
        print(line)
    if args.all:
        what = "in the ledger"
    elif args.failed:
        what = "failed"
    else:
        what = "pending, in flight or failed (--all for the whole ledger)"
    shown = f"{len(records)} notification{'' if len(records) == 1 else 's'}"
    limited = f"; showing the newest {args.limit}" if len(records) == args.limit else ""
    print(f"{shown} {what}{limited}; {_database_footer(store, choice)}")
    return EXIT_OK


def cmd_export_ics(args: argparse.Namespace) -> int:
    from deadlinewatch.web.calendar import calendar_identity, render_ics

    config = _config(args)
    store = _store(args, config, create=False)
    text = render_ics(
        Planner(situation_from_store(config.watchlist, store)[0]),
        utc_now(),
        calendar_identity(store) if store is not None else None,
    )
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CommandFailed(
                f"cannot write --out {args.out}: {reason}; choose a file in a folder that exists"
            ) from None
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def service_handlers() -> dict[str, Callable[[argparse.Namespace], int]]:
    """``run`` and ``notify-test``, imported only when asked for (they pull in the whole service)."""

    def run(args: argparse.Namespace) -> int:
        from deadlinewatch.service_commands import cmd_run

        return cmd_run(args)

    def notify_test(args: argparse.Namespace) -> int:
        from deadlinewatch.service_commands import cmd_notify_test

        return cmd_notify_test(args)

    return {"run": run, "notify-test": notify_test}
