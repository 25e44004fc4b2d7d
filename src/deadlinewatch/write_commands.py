"""``update``, ``ack``, ``unack``, ``snooze``, ``unsnooze``: an analyst's writes from the shell,
with the rules of :mod:`deadlinewatch.actions` (the same as the HTTP API and the Slack buttons),
recorded as the OS user. A running service sees them within its refresh interval (2 s)."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Callable

from deadlinewatch import actions
from deadlinewatch.actions import ActionRefused, ActionResult, Actor
from deadlinewatch.cli import EXIT_OK, CommandFailed
from deadlinewatch.clock import utc_now
from deadlinewatch.commands import _config, _store
from deadlinewatch.domain.planning import Planner
from deadlinewatch.services.situation import situation_from_store
from deadlinewatch.storage import Store

Act = Callable[[Planner, Store, Actor], ActionResult]


def os_user() -> str:
    """The analyst's name as the history shows it: the OS login (``DEADLINEWATCH_USER`` wins)."""
    override = os.environ.get("DEADLINEWATCH_USER", "").strip()
    if override:
        return override[:80]
    try:
        return getpass.getuser()[:80]
    except (KeyError, OSError):  # no passwd entry (a container with an arbitrary uid)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown user"


def _perform(args: argparse.Namespace, act: Act) -> int:
    config = _config(args)
    store = _store(args, config, create=True)
    assert store is not None
    planner = Planner(situation_from_store(config.watchlist, store)[0])
    try:
        result = act(planner, store, Actor(os_user(), "manual"))
    except ActionRefused as exc:
        raise CommandFailed(exc.message) from None
    print(result.message)
    return EXIT_OK


def cmd_update(args: argparse.Namespace) -> int:
    return _perform(
        args,
        lambda planner, store, who: actions.record_status(
            planner,
            store,
            utc_now(),
            who,
            args.id,
            args.status,
            at=args.at,
            note=args.note,
            url=args.url,
            verified=args.verified,
        ),
    )


def cmd_ack(args: argparse.Namespace) -> int:
    return _perform(
        args,
        lambda planner, store, who: actions.acknowledge(
            planner, store, utc_now(), who, args.id, note=args.note
        ),
    )


def cmd_unack(args: argparse.Namespace) -> int:
    return _perform(
        args,
        lambda planner, store, who: actions.unacknowledge(
            planner, store, utc_now(), who, args.id, note=args.note
        ),
    )


def cmd_snooze(args: argparse.Namespace) -> int:
    return _perform(
        args,
        lambda planner, store, who: actions.snooze(
            planner, store, utc_now(), who, args.id, until=args.until, duration=args.duration, note=args.note
        ),
    )


def cmd_unsnooze(args: argparse.Namespace) -> int:
    return _perform(
        args,
        lambda planner, store, who: actions.unsnooze(planner, store, utc_now(), who, args.id, note=args.note),
    )
