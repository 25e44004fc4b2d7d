"""``deadlinewatch show ID`` and ``deadlinewatch agenda``: read the config and (read-only) the
database, build the report, print it. Neither command creates, locks or migrates a database."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterable

from sqlalchemy.exc import SQLAlchemyError

from deadlinewatch import bootstrap
from deadlinewatch.cli import EXIT_OK, CommandFailed, UsageError, dump_json
from deadlinewatch.clock import utc_now
from deadlinewatch.config.loader import LoadedConfig
from deadlinewatch.report_output import agenda_text, jsonable, report_text
from deadlinewatch.services.agenda import build_agenda, waiting_notices
from deadlinewatch.services.commitment_report import build_commitment_report
from deadlinewatch.services.situation import situation_from_store
from deadlinewatch.storage import Store

__all__ = ["cmd_agenda", "cmd_show"]


def cmd_show(args: argparse.Namespace) -> int:
    config = _config(args)
    commitments = config.watchlist.commitments
    if args.id not in commitments:
        raise CommandFailed(f"unknown commitment id {args.id!r}{_suggestions(args.id, commitments)}")
    if args.next < 0:
        raise UsageError(f"--next {args.next}: expected 0 or more")
    url, store = _read_store(args, config)
    try:
        situation = situation_from_store(config.watchlist, store)[0]
        ledger = store.list_notifications(subject=args.id) if store is not None else []
    except SQLAlchemyError as exc:
        raise _unreadable(url, exc) from None
    report = build_commitment_report(
        situation,
        args.id,
        utc_now(),
        ledger=ledger,
        locate=config.locate,
        database=bootstrap.redact_url(url),
        database_found=store is not None,
        skipped_channels=_skipped_channels(config),
        next_count=args.next,
    )
    if args.format == "json":
        print(dump_json(jsonable(report)))
    else:
        sys.stdout.write(report_text(report))
    return EXIT_OK


def cmd_agenda(args: argparse.Namespace) -> int:
    if args.days < 1 or args.days > 3660:
        raise UsageError(f"--days {args.days}: expected a number of days from 1 to 3660")
    config = _config(args)
    names = [s.name for s in config.watchlist.subscriptions]
    if args.subscription is not None and args.subscription not in names:
        raise CommandFailed(
            f"unknown subscription {args.subscription!r}{_suggestions(args.subscription, names)}"
        )
    url, store = _read_store(args, config)
    try:
        situation = situation_from_store(config.watchlist, store)[0]
        waiting = waiting_notices(store) if store is not None else []
    except SQLAlchemyError as exc:
        raise _unreadable(url, exc) from None
    agenda = build_agenda(
        situation,
        utc_now(),
        args.days,
        subscription=args.subscription,
        waiting=waiting,
        skipped_channels=_skipped_channels(config),
    )
    if args.format == "json":
        print(dump_json(jsonable(agenda)))
    else:
        sys.stdout.write(agenda_text(agenda))
    return EXIT_OK


def _config(args: argparse.Namespace) -> LoadedConfig:
    config = bootstrap.load_or_report(bootstrap.config_path(args.config))
    if config is None:
        raise CommandFailed("the config is invalid (errors above); fix them and run again")
    return config


def _read_store(args: argparse.Namespace, config: LoadedConfig) -> tuple[str, Store | None]:
    """The database URL in use (resolved as for every command: see :func:`bootstrap.choose_database`)
    and a read-only store on it (``None``: it does not exist yet)."""
    try:
        choice = bootstrap.choose_database(
            getattr(args, "database", None), config, bootstrap.config_path(args.config)
        )
        if getattr(args, "verbose", False):
            print(f"database: {choice.shown()} ({choice.origin})", file=sys.stderr)
        return choice.url, bootstrap.open_store(choice.url, create=False)
    except bootstrap.DatabaseProblem as exc:
        raise CommandFailed(str(exc)) from None
    except (SQLAlchemyError, ImportError) as exc:
        raise _unreadable(choice.url, exc) from None


def _unreadable(url: str, exc: BaseException) -> CommandFailed:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return CommandFailed(
        f"cannot read database {bootstrap.redact_url(url)}: {reason} "
        "(is it a deadlinewatch database, reachable, and has `deadlinewatch run` created its schema?)"
    )


def _skipped_channels(config: LoadedConfig) -> list[str]:
    """Channels whose credentials are not set: ``run`` skips them."""
    return [name for name, channel in config.channels.items() if not channel.configured]


def _suggestions(wanted: str, known: Iterable[str]) -> str:
    names = list(known)
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    if close:
        return f": it is not in the config; did you mean {', '.join(close)}?"
    if not names:
        return ": the config has none"
    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    return f": it is not in the config (known: {shown})"
