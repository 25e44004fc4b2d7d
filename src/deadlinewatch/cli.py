"""The command line (SPEC §8). Parses arguments and hands each command to its service; exit codes:
0 success, 1 a failure the command reports, 2 wrong usage."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def _config_path(value: str | None) -> Path:
    return Path(value or os.environ.get("DEADLINEWATCH_CONFIG") or "config")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deadlinewatch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--config", help="config folder or file (default $DEADLINEWATCH_CONFIG, else ./config)"
        )
        return sub

    run = command("run", "run the service")
    run.add_argument("--database", help="database URL (default from the config)")
    run.add_argument("--http", help="HOST:PORT to serve HTTP on")

    command("validate", "check the config and report every error")

    status = command("status", "show every commitment and its deadline")
    status.add_argument("--format", choices=["table", "json"], default="table")
    status.add_argument("--tag", action="append", default=[])
    status.add_argument("--overdue", action="store_true")
    status.add_argument("--database", help=argparse.SUPPRESS)

    replay = command("replay", "print what would be sent between two dates (nothing is sent)")
    replay.add_argument("--from", dest="start", required=True, metavar="DATE")
    replay.add_argument("--to", dest="end", required=True, metavar="DATE")
    replay.add_argument("--format", choices=["text", "jsonl"], default="text")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = _HANDLERS.get(args.command)
    if handler is None:
        parser.error(f"{args.command} is not available yet")
    return handler(args)


def cmd_validate(args: argparse.Namespace) -> int:
    from deadlinewatch.config.loader import load_config

    result = load_config(_config_path(args.config), os.environ)
    for warning in result.warnings:
        print(f"{warning} (warning)", file=sys.stderr)
    if result.errors or result.config is None:
        for error in result.errors:
            print(error)
        return 1
    print(result.config.summary())
    return 0


_HANDLERS = {"validate": cmd_validate}
