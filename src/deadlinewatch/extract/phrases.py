"""Phrase -> ``due``: scan a text for time expressions, and read one deadline phrase exactly.

:func:`scan` finds every time expression in a text (used on each commitment sentence);
:func:`read_phrase` reads one phrase and raises :class:`NotUnderstood` unless every time word in
it was understood and they agree on one deadline. Pure: the announcement date and the default
zone come in a :class:`Context`; nothing reads the clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from deadlinewatch.extract import dates, periods, relative, urgency
from deadlinewatch.extract.dates import Handler
from deadlinewatch.extract.model import Context, Declined, NotUnderstood, Reading, Refusal, Understood
from deadlinewatch.extract.numbers import NUMBER, ORDINAL


@dataclass(frozen=True)
class _Rule:
    name: str
    order: int
    pattern: re.Pattern[str]
    handle: Handler
    words: frozenset[str]
    anchor: re.Pattern[str]
    anchor_lower: re.Pattern[str]

    def matches(self, text: str, lowered: str) -> Iterator[re.Match[str]]:
        """The rule's matches, leftmost first, without overlap (as ``finditer``), found by trying
        the pattern only at the word starts shortly before each gate word: every match holds one,
        and trying a dozen places is far cheaper than every position of the text."""
        pos = 0
        # lower() keeps offsets for nearly all text; where it does not, search case-blind instead
        anchors = (
            self.anchor_lower.finditer(lowered) if len(lowered) == len(text) else self.anchor.finditer(text)
        )
        for anchor in anchors:
            if anchor.start() < pos:
                continue
            for start in _WORD_START.finditer(text, max(pos, anchor.start() - _REACH), anchor.start() + 1):
                m = self.pattern.match(text, start.start())
                if m is not None and m.end() > anchor.start():
                    yield m
                    pos = m.end()
                    break


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_UNIT = r"(?:hours?|hrs?|days?|weeks?|fortnights?|months?|years?|minutes?)"
_CLOCK = r"\d[:.]\d\d|\d\s*[ap]\.?m|noon|midday|midnight|\d{4}\s*(?:hours|hrs|h|\(?gmt|\(?utc)"
# A pattern every match of the rule contains (its anchor): the rule is tried only around it.
_GATES: dict[str, str] = {
    "instant-time-first": _CLOCK,
    "instant-date-first": _CLOCK,
    "date": _MONTH,
    "iso-date": r"\d{4}-\d",
    "numeric-date": r"\d[/.]\d",
    "part-of-month": _MONTH,
    "month": _MONTH,
    "year": r"(?:19|20)\d\d",
    "quarter": r"quarter",
    "quarter-short": r"q[1-4]",
    "half": r"half",
    "relative-calendar": r"(?:this|current|present|next|end of(?: the)?)\s+(?:year|month|week)"
    r"|year.?end|end.?year|end.of.the.year|month.?end",
    "day-word": r"today|tomorrow|tonight|end of (?:the )?day",
    "weekday": r"(?:mon|tues|wednes|thurs|fri|satur|sun)day",
    "week-of": r"week\s+(?:of|beginning|starting|commencing)",
    "iso-week": r"\d{4}-w",
    "iso-month": r"\d{4}-\d",
    "part-of-year": r"(?:early|mid|late|beginning|start|middle)",
    "season": r"spring|summer|autumn|winter",
    "fiscal-year": r"fiscal|financial|budget|fy",
    "period": _UNIT,
    "ordinal-day": r"(?:day|week|month|year)\s+(?:after|following|from|since|of)",
    "d-plus": r"d\s*\+",
    "upon": r"upon|(?:immediately|directly|right)\s+(?:after|following|upon|on)|day\s+(?:after|following|of)"
    r"|date\s+of",
    "range": r"(?:\s(?:to|or)\s+|\s*[–—]\s*)[\w()-]+(?:\s*\(\d+\))?[\s-]+" + _UNIT,
    "asap": r"soon|early|quick|prompt|rapid|swift|earliest|delay|expedit|urgen|priority|speed|haste|coming"
    r"|next few|near|shortly",
    "immediate": r"immediate|forthwith|at once",
    "ongoing": r"all times|ongoing|continu|permanent|henceforth|from now on|duration|sustained|unhindered"
    r"|any time|basis",
}

_MONTH_WORDS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_UNIT_WORDS = ("hour", "hr", "day", "week", "fortnight", "month", "year", "minute")
_DIGIT_DASH = ("-0", "-1")  # an ISO date or month: 2016-08, 2016-10-01
_CLOCK_WORDS: tuple[str, ...] = (
    ":",
    "a.m",
    "p.m",
    "am",
    "pm",
    "noon",
    "midday",
    "midnight",
    "hours",
    "hrs",
    "gmt",
    "utc",
)
_CLOCK_WORDS += ("time", ".0", ".1", ".2", ".3", ".4", ".5")
# Substrings one of which the anchor needs: a rule whose words are all absent is not tried.
_WORDS: dict[str, tuple[str, ...]] = {
    "instant-time-first": _CLOCK_WORDS,
    "instant-date-first": _CLOCK_WORDS,
    "date": _MONTH_WORDS,
    "iso-date": _DIGIT_DASH,
    "numeric-date": ("/", ".19", ".20"),
    "part-of-month": _MONTH_WORDS,
    "month": _MONTH_WORDS,
    "year": ("19", "20"),
    "quarter": ("quarter",),
    "quarter-short": ("q1", "q2", "q3", "q4"),
    "half": ("half",),
    "relative-calendar": ("this", "current", "present", "next", "end"),
    "day-word": ("today", "tomorrow", "tonight", "end of"),
    "weekday": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "week-of": ("week",),
    "iso-week": ("-w",),
    "iso-month": _DIGIT_DASH,
    "part-of-year": ("early", "mid", "late", "beginning", "start", "middle"),
    "season": ("spring", "summer", "autumn", "winter"),
    "fiscal-year": ("fiscal", "financial", "budget", "fy"),
    "period": _UNIT_WORDS,
    "ordinal-day": ("day ", "week ", "month ", "year "),
    "d-plus": ("d+", "d +"),
    "upon": ("upon", "immediately", "directly", "right", "day after", "day following", "day of", "date of"),
    "range": (" to ", " or ", "–", "—"),
    "asap": ("soon", "early", "quick", "prompt", "rapid", "swift", "earliest", "delay", "expedit", "urgen",
             "priority", "speed", "haste", "coming", "next few", "near", "shortly"),
    "immediate": ("immediate", "forthwith", "at once"),
    "ongoing": ("all times", "ongoing", "continu", "permanent", "henceforth", "from now on", "duration",
                "sustained", "unhindered", "any time", "basis"),
}  # fmt: skip

_RULES = [
    _Rule(
        name,
        order,
        re.compile(pattern, re.IGNORECASE),
        handle,
        frozenset(_WORDS[name]),
        re.compile(_GATES[name], re.IGNORECASE),
        re.compile(_GATES[name]),
    )
    for order, (name, pattern, handle) in enumerate(
        [*dates.RULES, *periods.RULES, *relative.RULES, *urgency.RULES]
    )
]

_UNITS = r"(?:hours?|hrs?|days?|weeks?|fortnights?|months?|years?|minutes?|quarters?|decades?)"
_TEMPORAL = re.compile(
    rf"(?i:\b\d{{1,2}}\s*[ap]\.?m\b|\b[ap]\.m\b|\b(?:GMT|UTC|Zulu|CEST|CET|EEST|EET|MSK)\b|\blocal\s+time\b"
    rf"|\(\s*[a-z'’-]+(?:\s+[a-z'’-]+)?\s+time\s*\)|\b(?:19|20)\d\d\b|\b(?:{NUMBER})[\s-]+{_UNITS}\b|\b{ORDINAL}\b|\b\d{{1,2}}[:.]\d\d\b|\bD\s*\+"
    rf"|\b(?:jan(?:uary)?|feb(?:ruary)?|apr(?:il)?|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?"
    rf"|nov(?:ember)?|dec(?:ember)?)\b|\b{_UNITS}\b|\b(?:today|tomorrow|tonight|yesterday|noon|midday|midnight"
    rf"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|spring|summer|autumn|winter|mid|early|late[rs]?t?"
    rf"|before|after|prior\s+to|following|since|until|till|next|coming|previous|deadline|earliest|soon|within"
    rf"|the\s+(?:end|beginning|start|middle|close)\s+of|asap|time\s*frame|timeline|D-?Day)\b)"
    rf"|(?-i:\bMay\b|\bMarch\b|\bMar\b)"
)
_NOT_TEMPORAL = re.compile(
    r"(?i:\b(?:resolutions?|articles?|paragraphs?|para\.?|sections?|annex(?:es)?|chapters?|no\.|S/RES/)\s*"
    r"\d[\d/]*(?:\s*\(\s*\d{4}\s*\))?|\bwithin\s+the\s+(?:framework|scope|limits|territory|boundaries)\b"
    r"|,?\s*at\s+the\s+(?:very\s+)?latest\s*$)"
)


_WORD_START = re.compile(r"(?<![\w'’])[\w(]")
_REACH = 80  # characters a match may start before its gate word ("no later than one hundred and ...")
_ALL_WORDS = tuple(sorted({word for words in _WORDS.values() for word in words}))


def scan(text: str, ctx: Context) -> list[Reading | Refusal]:
    """Every time expression in ``text``, left to right, overlaps resolved to the longest match."""
    lowered = text.lower()
    present = {word for word in _ALL_WORDS if word in lowered}
    found: list[tuple[int, int, int, Understood | Declined]] = []
    for rule in _RULES:
        if rule.words.isdisjoint(present):
            continue
        for m in rule.matches(text, lowered):
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
    return chosen[0]
