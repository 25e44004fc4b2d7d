"""``deadlinewatch extract``: read commitments and deadlines out of a statement (or one phrase)
and print a draft config fragment. Argument checks and printing only; the reading is the pure
:mod:`deadlinewatch.extract` package."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deadlinewatch.cli import EXIT_OK, CommandFailed, UsageError

if TYPE_CHECKING:
    from deadlinewatch.extract.model import Context, Reading

# The reader (deadlinewatch.extract) compiles its rules on import, a few hundred milliseconds:
# it is imported by the command itself, so that every other command (``run`` above all) starts
# without paying for it.

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def add_extract_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    help_text = "read commitments and deadlines out of a statement and print a draft config fragment"
    sub = commands.add_parser(
        "extract",
        help=help_text,
        description=help_text + "; or, with --phrase, normalise one deadline phrase to a `due`.",
    )
    sub.add_argument(
        "file", nargs="?", metavar="FILE|-", help="plain text or .html file to read; - reads standard input"
    )
    sub.add_argument(
        "--phrase", metavar="TEXT", help="normalise this one deadline phrase instead of reading a file"
    )
    sub.add_argument(
        "--announced",
        metavar="DATE",
        help="the date the statement was made (YYYY-MM-DD): day 0 of 'within six months', "
        "the year of 'by August'",
    )
    sub.add_argument(
        "--agreement",
        metavar="ID",
        help="agreement id for the fragment (default: the file name; 'extracted' for standard input)",
    )
    sub.add_argument(
        "--timezone",
        metavar="ZONE",
        help="IANA zone for times the text gives without one (default: the config's); "
        "'(Damascus time)' in the text overrides it",
    )
    sub.add_argument(
        "--config",
        metavar="PATH",
        help="the config the fragment will join: an agreement it already has is not printed again "
        "(the commitments then carry announced and timezone) and its ids are not reused",
    )
    sub.add_argument(
        "--format",
        choices=["yaml", "json", "text"],
        help="output: yaml (default) or json for a file; text (default, one line) or json for --phrase",
    )


def cmd_extract(args: argparse.Namespace) -> int:
    from deadlinewatch.extract.document import read_document
    from deadlinewatch.extract.fragment import to_json, to_yaml
    from deadlinewatch.extract.model import slugify
    from deadlinewatch.extract.plaintext import html_to_text, looks_like_html

    ctx = _context(args)
    if args.phrase is not None:
        if args.file is not None:
            raise UsageError("give either FILE or --phrase, not both")
        return _phrase(args.phrase, ctx, args.format or "text")
    if args.file is None:
        raise UsageError("give a FILE to read (- for standard input) or --phrase TEXT")
    out_format = args.format or "yaml"
    if out_format not in ("yaml", "json"):
        raise UsageError(f"--format {out_format} is for --phrase; a file is printed as yaml or json")
    name, text = _read(args.file)
    if looks_like_html(name, text):
        text = html_to_text(text)
    agreement = args.agreement or (slugify(Path(name).stem) if args.file != "-" else "extracted")
    if not _ID.match(agreement):
        raise UsageError(f"--agreement {agreement!r}: use 1-128 letters, digits, '.', '_' or '-'")
    existing_agreement, taken = _existing(args.config, agreement)
    extraction = read_document(text, ctx, agreement, taken)
    for finding in extraction.findings:
        if finding.warning:
            print(
                f"{name}:{_line_of(text, finding.source.start)}: {finding.warning} (warning)", file=sys.stderr
            )
    if not extraction.findings:
        print(f"{name}: no commitment found (nothing that commits someone to do something)", file=sys.stderr)
    if out_format == "json":
        sys.stdout.write(to_json(extraction, with_agreement=not existing_agreement))
    else:
        sys.stdout.write(to_yaml(extraction, with_agreement=not existing_agreement, origin=name))
    return EXIT_OK


def _existing(config: str | None, agreement: str) -> tuple[bool, frozenset[str]]:
    """Whether the config at ``config`` already has the agreement, and every id it uses."""
    if config is None:
        return False, frozenset()
    from deadlinewatch.bootstrap import load_or_report

    loaded = load_or_report(Path(config))
    if loaded is None:
        raise CommandFailed(
            f"--config {config}: the config is invalid (errors above); fix it or leave --config out"
        )
    watchlist = loaded.watchlist
    taken = frozenset(watchlist.commitments) | frozenset(watchlist.agreements)
    return agreement in watchlist.agreements, taken


def _context(args: argparse.Namespace) -> Context:
    from deadlinewatch.extract.model import Context

    if not args.announced:
        raise UsageError("--announced DATE is required (the date of the statement, e.g. 2016-03-24)")
    text = args.announced.strip()
    try:
        if not _DAY.match(text):
            raise ValueError
        announced = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--announced {args.announced!r}: expected a date such as 2016-03-24") from None
    zone = args.timezone
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(
                f"--timezone {zone!r}: not an IANA time zone (e.g. Asia/Damascus, UTC)"
            ) from None
    return Context(announced, zone)


def _phrase(phrase: str, ctx: Context, out_format: str) -> int:
    from deadlinewatch.extract.model import NotUnderstood, format_due
    from deadlinewatch.extract.phrases import read_phrase

    if out_format not in ("text", "json"):
        raise UsageError(f"--format {out_format} is for a file; --phrase prints text or json")
    try:
        reading = read_phrase(phrase, ctx)
    except NotUnderstood as exc:
        raise CommandFailed(f"phrase not understood: {exc}") from None
    if out_format == "json":
        print(json.dumps(_phrase_json(phrase, reading, ctx), ensure_ascii=False, indent=2))
    else:
        print(format_due(reading.due))
    return EXIT_OK


def _phrase_json(phrase: str, reading: Reading, ctx: Context) -> dict[str, object]:
    from deadlinewatch.extract.model import AfterDue

    due: object = (
        reading.due.text
        if not isinstance(reading.due, AfterDue)
        else {
            "after": reading.due.slug,
            "within": reading.due.within,
        }
    )
    result: dict[str, object] = {
        "phrase": phrase,
        "due": due,
        "precision": reading.precision.value,
        "reasoning": reading.reasoning,
        "read_from": reading.phrase,
        "announced": ctx.announced.isoformat(),
    }
    if isinstance(reading.due, AfterDue) and reading.due.referent is not None:
        result["after_refers_to"] = reading.due.referent
    return result


def _read(path: str) -> tuple[str, str]:
    if path == "-":
        return "<stdin>", sys.stdin.read()
    try:
        return path, Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandFailed(f"{path}: not UTF-8 text (byte {exc.start}); convert it to UTF-8 first") from None
    except OSError as exc:
        raise CommandFailed(f"cannot read {path}: {exc.strerror or exc}") from None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
