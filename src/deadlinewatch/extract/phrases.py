"""Phrase -> ``due``: scan a text for time expressions, and read one deadline phrase exactly.

:func:`scan` finds every time expression in a text (used on each commitment sentence);
:func:`read_phrase` reads one phrase and raises :class:`NotUnderstood` unless every time word in
it was understood and they agree on one deadline. Pure: the announcement date and the default
zone come in a :class:`Context`; nothing reads the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deadlinewatch.extract import dates, periods, relative, urgency
from deadlinewatch.extract.dates import Handler
from deadlinewatch.extract.model import Context, Declined, NotUnderstood, Rank, Reading, Refusal, Understood
from deadlinewatch.extract.numbers import NUMBER, ORDINAL


@dataclass(frozen=True)
class _Rule:
    name: str
    order: int
    pattern: re.Pattern[str]
    handle: Handler


_RULES = [
    _Rule(name, order, re.compile(pattern, re.IGNORECASE), handle)
    for order, (name, pattern, handle) in enumerate(
        [*dates.RULES, *periods.RULES, *relative.RULES, *urgency.RULES]
    )
]

# Cheap gate: a text with none of these has no time expression any rule could read.
_GATE = re.compile(
    r"\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|day|week|month|year|hour|quarter|half|fortnight"
    r"|today|tomorrow|tonight|noon|midday|midnight|soon|shortly|immediate|forthwith|once|delay|earliest|early"
    r"|mid|late|end|spring|summer|autumn|winter|fiscal|financial|budget|monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday|expedit|prompt|urgent|swift|speed|haste|coming|near|continu|ongoing|permanent|henceforth"
    r"|now|duration|sustain|unhinder|all\s+times|any\s+time|upon|quick|rapid|possible|FY)",
    re.IGNORECASE,
)

_UNITS = r"(?:hours?|hrs?|days?|weeks?|fortnights?|months?|years?|minutes?|quarters?|decades?)"
_TEMPORAL = re.compile(
    rf"(?i:\b(?:19|20)\d\d\b|\b(?:{NUMBER})[\s-]+{_UNITS}\b|\b{ORDINAL}\b|\b\d{{1,2}}[:.]\d\d\b|\bD\s*\+"
    rf"|\b(?:jan(?:uary)?|feb(?:ruary)?|apr(?:il)?|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?"
    rf"|nov(?:ember)?|dec(?:ember)?)\b|\b{_UNITS}\b|\b(?:today|tomorrow|tonight|yesterday|noon|midday|midnight"
    rf"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|spring|summer|autumn|winter|mid|early|late[rs]?t?"
    rf"|before|after|prior\s+to|following|since|until|till|next|coming|previous|deadline|earliest|soon|within"
    rf"|the\s+(?:end|beginning|start|middle|close)\s+of|asap|time\s*frame|timeline|D-?Day)\b)"
    rf"|(?-i:\bMay\b|\bMarch\b|\bMar\b)"
)
_NOT_TEMPORAL = re.compile(
    r"(?i:\b(?:resolutions?|articles?|paragraphs?|para\.?|sections?|annex(?:es)?|chapters?|no\.|S/RES/)\s*"
    r"\d[\d/]*(?:\s*\(\s*\d{4}\s*\))?|\bwithin\s+the\s+(?:framework|scope|limits|territory|boundaries)\b)"
)


def scan(text: str, ctx: Context) -> list[Reading | Refusal]:
    """Every time expression in ``text``, left to right, overlaps resolved to the longest match."""
    if not _GATE.search(text):
        return []
    found: list[tuple[int, int, int, Understood | Declined]] = []
    for rule in _RULES:
        for m in rule.pattern.finditer(text):
            if m.end() == m.start():
                continue
            outcome = rule.handle(m, ctx)
            if outcome is None:
                continue
            end = outcome.end if isinstance(outcome, Understood) and outcome.end is not None else m.end()
            start = m.start()
            while start < end and text[start].isspace():
                start += 1
            found.append((start, end, rule.order, outcome))
    found.sort(key=lambda item: (item[0] - item[1], item[2], item[0]))
    taken: list[tuple[int, int]] = []
    chosen: list[Reading | Refusal] = []
    for start, end, _, outcome in found:
        if any(start < b and a < end for a, b in taken):
            continue
        taken.append((start, end))
        phrase = text[start:end]
        if isinstance(outcome, Declined):
            chosen.append(Refusal(outcome.reason, start, end, phrase))
        else:
            chosen.append(
                Reading(outcome.due, outcome.precision, outcome.reasoning, start, end, phrase, outcome.rank)
            )
    chosen.sort(key=lambda item: item.start)
    return chosen


def leftover_time_words(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """The time words of ``text`` outside ``spans`` (what a phrase says that was not read)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    rest = _NOT_TEMPORAL.sub(" ", "".join(chars))
    return [m.group(0) for m in _TEMPORAL.finditer(rest)]


def best(readings: list[Reading]) -> list[Reading]:
    """The readings that decide a deadline: the explicit ones if any, else the firmest word."""
    if not readings:
        return []
    top = max(r.rank for r in readings)
    return [r for r in readings if r.rank == top]


def read_phrase(text: str, ctx: Context) -> Reading:
    """The one deadline ``text`` states; :class:`NotUnderstood` when any time word in it was not
    read, when it was declined, or when it states two different deadlines."""
    phrase = " ".join(text.split())
    if not phrase:
        raise NotUnderstood("the phrase is empty")
    found = scan(phrase, ctx)
    for item in found:
        if isinstance(item, Refusal):
            raise NotUnderstood(item.reason)
    readings = [item for item in found if isinstance(item, Reading)]
    rest = leftover_time_words(phrase, [(r.start, r.end) for r in readings])
    if rest:
        words = ", ".join(repr(w) for w in dict.fromkeys(rest))
        raise NotUnderstood(f"not understood: {words} in {phrase!r}; nothing was guessed")
    chosen = best(readings)
    if not chosen:
        raise NotUnderstood(f"no deadline found in {phrase!r}")
    dues = {r.due for r in chosen}
    if len(dues) > 1:
        listed = "; ".join(f"{r.phrase!r}" for r in chosen)
        raise NotUnderstood(f"{phrase!r} states more than one deadline ({listed}); give one phrase at a time")
    if chosen[0].rank < Rank.EXPLICIT and any(r.rank > Rank.ONGOING for r in readings if r not in chosen):
        pass
    return chosen[0]
