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
from deadlinewatch.storage import Store


def _config(args: argparse.Namespace) -> LoadedConfig:
    config = bootstrap.load_or_report(bootstrap.config_path(args.config))
    if config is None:
        raise CommandFailed("the config is invalid (errors above); fix them and run again")
    return config


def _store(args: argparse.Namespace, config: LoadedConfig, *, create: bool) -> Store | None:
    url = bootstrap.database_url(getattr(args, "database", None), config)
    try:
        return bootstrap.open_store(url, create=create)
    except Exception as exc:  # any driver error: say which database and why
        raise CommandFailed(f"cannot open database {bootstrap.redact_url(url)}: {exc}") from exc


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
    store = _store(args, config, create=False)
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
    print(f"\n{len(states)} commitments as of {format_utc(now)}")
    return EXIT_OK


def cmd_outbox(args: argparse.Namespace) -> int:
    config = _config(args)
    store = _store(args, config, create=False)
    records = [] if store is None else store.list_notifications(failed_only=args.failed, limit=args.limit)
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
    print("SEND AT (UTC)         EVENT             SUBJECT                       TO                 STATE")
    for r in records:
        to = f"{r.subscription}/{r.channel}"
        line = f"{format_utc(r.send_at)}  {r.event.value:<16}  {r.subject[:28]:<28}  {to[:18]:<18}"
        line += f" {r.state.value}"
        if r.attempts:
            line += f" ({r.attempts} attempts)"
        if r.last_error:
            line += f": {json.dumps(r.last_error[:300])}"
        print(line)
    print(f"{len(records)} notifications")
    return EXIT_OK


def cmd_export_ics(args: argparse.Namespace) -> int:
    from deadlinewatch.web.calendar import render_ics

    config = _config(args)
    store = _store(args, config, create=False)
    text = render_ics(Planner(situation_from_store(config.watchlist, store)[0]), utc_now())
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8", newline="")
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
