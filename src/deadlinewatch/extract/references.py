"""Periods that a named instrument sets, used only when the text names the instrument and states
no period itself: "free elections ... after the new constitution" in a text that names UNSCR 2254
takes the 18 months of UNSCR 2254 (2015) §4. Each entry cites its source in the reasoning."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownPeriod:
    instrument: re.Pattern[str]
    subject: re.Pattern[str]
    within: str
    citation: str


KNOWN_PERIODS = (
    KnownPeriod(
        re.compile(r"\b(?:resolution|UNSCR|S/RES/)\s*2254\b", re.I),
        re.compile(r"\belections?\b", re.I),
        "18mo",
        "UNSCR 2254 (2015) §4: free and fair elections, pursuant to the new constitution, to be held "
        "within 18 months",
    ),
)


def known_period(document: str, sentence: str) -> KnownPeriod | None:
    for entry in KNOWN_PERIODS:
        if entry.subject.search(sentence) and entry.instrument.search(document):
            return entry
    return None
