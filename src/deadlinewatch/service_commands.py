"""The service commands, ``run`` and ``notify-test``: load the config, open the database, and hand
over to :class:`deadlinewatch.service.Service` (or send one test message)."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import time

from deadlinewatch import bootstrap
from deadlinewatch.cli import EXIT_PORT_IN_USE
from deadlinewatch.clock import utc_now
from deadlinewatch.config.loader import LoadedConfig
from deadlinewatch.delivery.base import CommitmentView, DeliveryError, Outgoing
from deadlinewatch.delivery.factory import build_channels, client_session
from deadlinewatch.domain.events import Review
from deadlinewatch.domain.model import EventKind
from deadlinewatch.logs import setup_logging
from deadlinewatch.proxies import ProxySettings
from deadlinewatch.service import Service, log
from deadlinewatch.web.listener import ListenFailed, bind_listener


def cmd_run(args: argparse.Namespace) -> int:
    """Exit codes: 0 stopped cleanly, 1 invalid config / unusable database / a component failed,
    3 the HTTP address could not be bound (checked first, before the database is touched)."""
    setup_logging()
    path = bootstrap.config_path(args.config)
    started = time.monotonic()
    config = bootstrap.load_or_report(path)
    if config is None:
        print("deadlinewatch run: the config is invalid (errors above); nothing started", file=sys.stderr)
        return 1
    log.info(
        "config loaded: %d commitments in %.1f s",
        len(config.watchlist.commitments),
        time.monotonic() - started,
    )
    try:
        choice = bootstrap.choose_database(args.database, config, path)
    except bootstrap.DatabaseProblem as exc:
        print(f"deadlinewatch run: {exc}", file=sys.stderr)
        return 1
    listen = args.http or config.http_listen
    sock: socket.socket | None = None
    if listen:
        try:
            sock = bind_listener(listen)
        except ListenFailed as exc:
            print(f"deadlinewatch run: {exc}; nothing started (exit {EXIT_PORT_IN_USE})", file=sys.stderr)
            return EXIT_PORT_IN_USE
    try:
        store = bootstrap.open_store(choice.url)
    except Exception as exc:
        if sock is not None:
            sock.close()
        reason = (
            str(exc)
            if isinstance(exc, bootstrap.DatabaseProblem)
            else f"cannot open database {choice.shown()}: {exc}"
        )
        print(f"deadlinewatch run: {reason}", file=sys.stderr)
        return 1
    assert store is not None
    log.info("database %s (%s); http %s", choice.shown(), choice.origin, listen or "off")
    service = Service(path, config, store, listen, http_socket=sock, database=choice.shown())
    return asyncio.run(service.run())


def cmd_notify_test(args: argparse.Namespace) -> int:
    config = bootstrap.load_or_report(bootstrap.config_path(args.config))
    if config is None:
        return 1
    if args.channel not in config.channels:
        known = ", ".join(sorted(config.channels)) or "none"
        print(
            f"deadlinewatch notify-test: unknown channel {args.channel!r} (channels: {known})",
            file=sys.stderr,
        )
        return 1
    return asyncio.run(_notify_test(config, args.channel))


async def _notify_test(config: LoadedConfig, name: str) -> int:
    session = client_session()
    try:
        channel_set = build_channels(config, session, proxies=ProxySettings.from_env(os.environ))
        if name in channel_set.skipped:
            print(
                f"deadlinewatch notify-test: {name} is not configured: {channel_set.skipped[name]}",
                file=sys.stderr,
            )
            return 1
        now = utc_now()
        message = Outgoing(
            key=f"notify-test-{int(now.timestamp())}",
            event=EventKind.REVIEW,
            subscription="notify-test",
            channel=name,
            occurred=now,
            send_at=now,
            data=Review(0),
            commitment=CommitmentView(
                id="notify-test",
                title="deadlinewatch test message",
                status="not_started",
                deadline_words="this is a test of the channel; no action needed",
            ),
        )
        try:
            await channel_set.channels[name].send(message)
        except DeliveryError as exc:
            kind = "permanent" if exc.permanent else "transient"
            print(f"deadlinewatch notify-test: {name} failed ({kind}): {exc.message}", file=sys.stderr)
            return 1
        finally:
            await channel_set.aclose()
        print(f"{name}: test message accepted")
        return 0
    finally:
        await session.close()
