"""Urgency words and ongoing obligations: ``asap`` ("as soon as possible", "without delay", "in the
coming weeks"), ``immediate`` ("immediately", "forthwith") and ``open`` ("at all times")."""

from __future__ import annotations

import re

from deadlinewatch.extract.dates import Handler
from deadlinewatch.extract.model import Context, FixedDue, Outcome, Precision, Rank, Understood

ASAP = (
    r"\bas\s+(?:soon|early|quickly|promptly|rapidly|swiftly)\s+as\s+(?:possible|practicable|feasible)\b"
    r"|\bat\s+(?:the\s+)?earliest\s+(?:possible\s+)?(?:date|time|opportunity|moment|stage)\b|\bat\s+an\s+early\s+date\b"
    r"|\bwithout\s+(?:any\s+)?(?:further\s+|undue\s+)?delay\b|\bexpeditiously\b|\bpromptly\b|\burgently\b"
    r"|\bswiftly\b|\bspeedily\b|\bwith\s+(?:all\s+)?(?:due\s+)?(?:speed|urgency|haste)\b"
    r"|\b(?:in|within|over)\s+the\s+(?:coming|next\s+few|upcoming)\s+(?:days|weeks|months)\b|\bin\s+the\s+(?:near|immediate)\s+future\b"
    r"|\bas\s+a\s+matter\s+of\s+(?:urgency|priority|the\s+highest\s+priority)\b"
    r"|\bsoon\b|\bshortly\b|\bwithout\s+preconditions\s+and\s+without\s+delay\b"
)
IMMEDIATE = (
    r"\bimmediate(?:ly)?\b|\bforthwith\b|\bat\s+once\b|\bwith\s+immediate\s+effect\b"
    r"|\beffective\s+immediately\b"
)
ONGOING = (
    r"\bat\s+all\s+times\b|\bon\s+an?\s+(?:ongoing|continuous|continuing|permanent|regular|sustained)\s+basis\b"
    r"|\bcontinu(?:e|es|ed|ing)\s+to\b|\bcontinuously\b|\bongoing\b|\bpermanent(?:ly)?\b|\bhenceforth\b"
    r"|\bfrom\s+now\s+on\b|\bfor\s+the\s+duration\s+of\b|\bsustained\b|\bunhindered\b|\bat\s+any\s+time\b"
)


def _fixed(kind: str, rank: Rank, why: str) -> Handler:
    def handle(m: re.Match[str], ctx: Context) -> Outcome:
        return Understood(FixedDue(kind), Precision.OPEN, f"{m.group(0).strip()!r}: {why}", rank)

    return handle


RULES: list[tuple[str, str, Handler]] = [
    ("asap", ASAP, _fixed("asap", Rank.ASAP, "as soon as possible, no date (asap)")),
    ("immediate", IMMEDIATE, _fixed("immediate", Rank.IMMEDIATE, "in force at once, no date (immediate)")),
    ("ongoing", ONGOING, _fixed("open", Rank.ONGOING, "an ongoing obligation, no date (open)")),
]
