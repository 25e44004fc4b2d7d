"""Periods counted from an event: "within six months" (from the announcement), "no later than 30
days from the date of signing", "the first 135 days", "no later than the fifth day after the
withdrawal" (from another commitment), "D+30", "immediately after ...", and the ones declined
(ranges, working days, "the 16th day of ...")."""

from __future__ import annotations

import re

from deadlinewatch.extract.dates import Handler
from deadlinewatch.extract.model import (
    AfterDue,
    Context,
    Declined,
    FixedDue,
    Outcome,
    Precision,
    Rank,
    Understood,
)
from deadlinewatch.extract.numbers import NUMBER, ORDINAL, cardinal, ordinal

UNIT = r"(?:hours?|hrs?|(?:calendar\s+)?days?|weeks?|fortnights?|months?|years?|minutes?)"
_RLEAD = (
    r"(?P<rlead>within|in|during|over|after|for|(?:no|not)\s+later\s+than|no\s+more\s+than|not\s+more\s+than"
    r"|up\s+to|at\s+the\s+(?:very\s+)?latest\s+(?:within|in)|before\s+the\s+(?:end|expiry|expiration|lapse)\s+of"
    r"|by\s+the\s+end\s+of|at\s+the\s+end\s+of|by|on)"
)
_MODIFIER = (
    r"(?:(?P<mod>next|coming|following|first|initial)\s+"
    r"|(?:a|the)\s+(?:target|period|maximum|time\s*frame|timeframe|deadline|total)\s+of\s+|a\s+maximum\s+of\s+"
    r"|(?:a\s+)?period\s+(?:not\s+exceeding|not\s+to\s+exceed|of\s+no\s+more\s+than|of\s+not\s+more\s+than)\s+)"
)
_HALF = (
    rf"(?:(?P<hnum>{NUMBER})\s+and\s+a\s+half\s+(?P<hunit>years?|days?|hours?)"
    rf"|(?:a|one)\s+(?P<hunit2>year|day|hour)\s+and\s+a\s+half|half\s+an?\s+(?P<hunit3>year|day|hour))"
)
_SUFFIX = r"(?P<sfx>\s+(?:period|timeframe|time\s*frame|deadline|window|timeline|limit))?"
_LINK = r"(?P<link>of|from|after|following|since|upon|counting\s+from|starting\s+from|as\s+from|as\s+of)"
_ANCHOR = r"(?P<anchor>[^,;:.()\[\]\"“”]{1,160})"

_ACT = (
    r"(?:signing|signature|adoption|announcement|entry\s+into\s+force|conclusion|publication|passage"
    r"|issuance|approval)"
)
_DOC = (
    r"(?:agreement|accord|resolution|decision|declaration|statement|document|memorandum|protocol|treaty"
    r"|arrangement|communiqu[ée]|text|understanding|deal|ceasefire|truce|plan|roadmap|framework|instrument)"
)
_ANNOUNCED = re.compile(
    rf"(?:(?:the|its)\s+)?(?:date\s+(?:of\s+)?(?:the\s+)?)?(?:{_ACT}(?!\s+(?:day|date)\b)"
    rf"(?:\s+(?:of|by\s+the\s+parties\s+(?:of|to))\s+(?:this|the\s+present|the|these)\s+(?:[\w-]+\s+){{0,3}}?{_DOC}s?\b"
    rf"|(?!\s+(?:of|by|to)\b))(?:\s+by\s+the\s+parties)?"
    rf"|(?:this|the\s+present)\s+(?:[\w-]+\s+){{0,2}}?{_DOC})\b|(?:today|now|the\s+date\s+hereof|this\s+date)\b"
    rf"|the\s+date\s+(?:on\s+which|when)\s+(?:this|the\s+present)\s+{_DOC}\s+(?:is|was|has\s+been|enters)\s+"
    rf"(?:signed|adopted|concluded|into\s+force)\b",
    re.IGNORECASE,
)
_STOP = {
    "and", "or", "but", "shall", "will", "would", "must", "should", "is", "are", "was", "were", "to",
    "by", "at", "in", "within", "with", "which", "that", "who", "when", "if", "unless", "as", "for",
    "on", "until", "has", "have", "had", "be", "been", "being", "may", "can", "could", "while",
    "where", "whereby", "including", "after", "before", "following", "not", "no", "respectively",
}  # fmt: skip
_WORD = re.compile(r"\S+")
_EVENT_NOUN = re.compile(r"^[a-z-]{3,}(?:tion|sion|ment|al|ance|ence|ure)$")


def _suffix(unit: str) -> tuple[str, int]:
    unit = unit.lower().split()[-1].rstrip("s")
    return {"hour": ("h", 1), "hr": ("h", 1), "minute": ("m", 1), "day": ("d", 1), "week": ("w", 1),
            "fortnight": ("d", 14), "month": ("mo", 1), "year": ("y", 1)}[unit]  # fmt: skip


def duration_text(count: int, unit: str) -> str:
    suffix, factor = _suffix(unit)
    return f"{count * factor}{suffix}"


def _half_duration(m: re.Match[str]) -> str | None:
    if m.group("hunit"):
        count = cardinal(m.group("hnum"))
        if count is None:
            return None
        unit = m.group("hunit").lower().rstrip("s")
    else:
        count, unit = (1, m.group("hunit2").lower()) if m.group("hunit2") else (0, m.group("hunit3").lower())
    return {"year": f"{count * 12 + 6}mo", "day": f"{count * 24 + 12}h", "hour": f"{count * 60 + 30}m"}[unit]


def anchor_of(m: re.Match[str], text: str) -> tuple[str | None, int] | None:
    """The anchor after the link word: ``(None, end)`` for the announcement (signing, adoption of
    this resolution...), ``(referent, end)`` for another event, or ``None`` when the words are no
    event at all."""
    start = m.start("anchor")
    anchor = m.group("anchor")
    if announced := _ANNOUNCED.match(anchor):
        return None, start + announced.end()
    words: list[re.Match[str]] = []
    for word in _WORD.finditer(anchor):
        token = word.group(0).lower().strip("'’")
        if token in _STOP or len(words) >= 10:
            break
        words.append(word)
    if not words:
        return None
    first = words[0].group(0)
    if (
        first.lower() not in ("the", "its", "their")
        and not first[0].isupper()
        and not _EVENT_NOUN.match(first)
    ):
        return None
    while words and words[-1].group(0).lower() in ("the", "of", "its", "their", "a", "an", "from", "into"):
        words.pop()
    if len(words) < 2 and words and words[0].group(0).lower() in ("the", "its", "their"):
        return None
    if len(words) == 2 and words[-1].group(0).strip("'’") in ("date", "day", "time", "moment", "period"):
        return None  # "the date (on which ...)": the event is in the words not read
    if not words:
        return None
    end = start + words[-1].end()
    return text[start:end], end


def _relative(within: str, anchor: tuple[str | None, int] | None, phrase: str) -> Understood:
    if anchor is None or anchor[0] is None:
        what = (
            "the announcement (signing/adoption)"
            if anchor
            else "the announcement (no other starting point named)"
        )
        return Understood(
            AfterDue(within),
            Precision.RELATIVE,
            f"{within} counted from {what}",
            end=anchor[1] if anchor else None,
        )
    referent, end = anchor
    return Understood(
        AfterDue(within, referent),
        Precision.RELATIVE,
        f"{within} counted from {referent!r}: another commitment, once it is fulfilled",
        end=end,
    )


def _period(m: re.Match[str], ctx: Context) -> Outcome:
    lead = " ".join((m.group("rlead") or "").lower().split())
    mod = (m.group("mod") or "").lower()
    if m.group("unit") is not None:
        if m.group("num") is None:
            singular = not m.group("unit").lower().endswith("s")
            article = (m.group("art") or "").lower() in ("a", "an") and not mod
            if not singular or not (article or mod in ("next", "coming", "following")):
                return None
            count: int | None = 1
        else:
            count = cardinal(m.group("num"))
        if count is None:
            return Declined(f"{m.group(0).strip()!r}: the number is not understood")
        if re.search(r"working|business", m.group(0), re.I):
            return Declined("working days depend on a calendar of holidays")
        within = duration_text(count, m.group("unit"))
    else:
        half = _half_duration(m)
        if half is None:
            return Declined(f"{m.group(0).strip()!r}: the number is not understood")
        within = half
    anchor = None
    if m.group("link"):
        anchor = anchor_of(m, m.string)
        if anchor is None:
            return None
    elif not lead and mod not in ("first", "initial") and not m.group("sfx"):
        return None
    if lead == "for":
        return Declined(f"{m.group(0).strip()!r}: a duration ('for ...') is not a deadline")
    if lead == "on" or (lead == "by" and not anchor):
        return None
    return _relative(within, anchor, m.group(0))


def _ordinal_day(m: re.Match[str], ctx: Context) -> Outcome:
    count = ordinal(m.group("ord"))
    if count is None:
        return Declined(f"{m.group(0).strip()!r}: the ordinal is not understood")
    if m.group("link").lower() == "of":
        return Declined(
            f"{m.group(0).strip()!r}: 'the Nth day (week, month) of' a period does not say whether "
            "its first day is day 0 or day 1"
        )
    anchor = anchor_of(m, m.string)
    if anchor is None:
        return None
    return _relative(duration_text(count, m.group("unit")), anchor, m.group(0))


def _d_plus(m: re.Match[str], ctx: Context) -> Outcome:
    days = int(m.group("dn"))
    return Understood(
        AfterDue(f"{days}d", "D-Day"),
        Precision.RELATIVE,
        f"{days} days after D-Day (the day the agreement defines as D)",
    )


def _upon(m: re.Match[str], ctx: Context) -> Outcome:
    anchor = anchor_of(m, m.string)
    if anchor is None:
        return None
    if anchor[0] is None:
        return Understood(
            FixedDue("immediate"),
            Precision.OPEN,
            "upon the announcement itself: immediate",
            Rank.IMMEDIATE,
            anchor[1],
        )
    days = 1 if m.group("nextday") else 0
    return _relative(f"{days}d", anchor, m.group(0))


def _range(m: re.Match[str], ctx: Context) -> Outcome:
    return Declined(f"{m.group(0).strip()!r}: a range of periods; write the one that is the deadline")


RULES: list[tuple[str, str, Handler]] = [
    (
        "period",
        rf"(?:{_RLEAD}\s+)?(?:(?P<art>the|an?)\s+)?(?:{_MODIFIER})?(?:(?:(?P<num>{NUMBER})(?:\s*-\s*|\s+))?(?P<unit>{UNIT}|working\s+days?|business\s+days?)"
        rf"|{_HALF})(?:'s|’s|'|’)?(?:\s+time)?{_SUFFIX}(?:,?\s+{_LINK}\s+{_ANCHOR})?",
        _period,
    ),
    (
        "ordinal-day",
        rf"(?:{_RLEAD}\s+)?(?:the\s+)?(?P<ord>{ORDINAL})\s+(?P<unit>day|week|month|year)\s+"
        rf"(?P<link>after|following|from|since|of)\s+{_ANCHOR}",
        _ordinal_day,
    ),
    ("d-plus", r"\bD\s*\+\s*(?P<dn>\d{1,3})\b", _d_plus),
    (
        "upon",
        r"(?:\b(?:immediately|directly|right)\s+(?:after|following|upon|on)\s+"
        r"|(?:on\s+)?the\s+(?P<nextday>day\s+(?:after|following))\s+|\bupon\s+|\bon\s+the\s+(?:day|date)\s+of\s+)"
        rf"{_ANCHOR}",
        _upon,
    ),
    (
        "range",
        rf"(?:{_RLEAD}\s+)?\b{NUMBER}(?:\s+(?:to|or)\s+|\s*[–—]\s*|(?<=\d)-(?=\d)){NUMBER}[\s-]+{UNIT}",
        _range,
    ),
]
