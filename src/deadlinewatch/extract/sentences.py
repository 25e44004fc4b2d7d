"""Sentences with their offsets, and what a sentence says about a commitment: whether it commits
someone (its cue), the object committed to (the title), the parties it names, and tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "no", "nos", "art", "arts", "para", "paras", "e.g", "i.e", "etc", "vs",
    "gen", "sen", "rep", "gov", "lt", "col", "sgt", "capt", "prof", "inc", "ltd", "co", "cf", "pp", "p",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "res",
    "u.s", "u.n", "u.k", "e.u", "a.m", "p.m",
}  # fmt: skip
_LAST_WORD = re.compile(r"[\w.]+$")
_BOUNDARY = re.compile(r"[.!?]+[\"”’)\]]*(?=\s+[\"“‘(\[]?[A-Z0-9])|\n\s*\n")


def split_sentences(text: str) -> list[Sentence]:
    """Sentences in ``text`` with exact offsets (``text[start:end] == sentence.text``); blank lines
    end a sentence, abbreviations ("U.S.", "Feb.", "No.") do not."""
    sentences: list[Sentence] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group(0).startswith("."):
            word = _LAST_WORD.search(text, max(start, m.start() - 12), m.start())
            if word and (word.group(0).lower() in _ABBREVIATIONS or len(word.group(0)) == 1):
                continue
        _append(sentences, text, start, m.end())
        start = m.end()
    _append(sentences, text, start, len(text))
    return sentences


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        sentences.append(Sentence(start, end, text[start:end]))


class Cue(StrEnum):
    STRONG = "strong"  # "agreed to", "shall", "pledged to": a commitment whether or not it has a date
    WEAK = "weak"  # "will", "should", "must": a commitment only with a deadline in the sentence


_NEGATED = re.compile(r"\b(?:not|never|cannot|can't|can’t|failed|fail|to)\s+$", re.IGNORECASE)
STRONG = re.compile(
    r"\b(?:agree[sd]?|agreeing)\s+(?:\w+\s+){0,2}?(?:to|that|on|upon)\b"
    r"|\b(?:is|are|remain|remains)\s+(?:\w+\s+)?committed\s+to\b|\bcommit(?:s|ted)?\s+(?:themselves\s+|itself\s+)?to\b"
    r"|\bpledge[sd]?\s+to\b|\bundert(?:ake|akes|ook)\s+to\b|\bshall\b|\bdecides?\s+that\b|\bdemands?\s+that\b"
    r"|\bcalls?\s+(?:up)?on\b|\burges?\b|\brequests?\b|\bare\s+scheduled\b|\bis\s+scheduled\b|\bneeds?\s+to\b",
    re.IGNORECASE,
)
WEAK = re.compile(r"\b(?:will|should|must|is\s+to|are\s+to|has\s+to|have\s+to|to\s+be)\b", re.IGNORECASE)
ANAPHORA = re.compile(
    r"^(?:This|That|It|These|They|Such\s+\w+|The\s+(?:release|releases|process|withdrawal))\s+"
    r"(?:should|must|will|shall|is\s+to|are\s+to|has\s+to|have\s+to|needs?\s+to)\b"
)
RELATION = re.compile(
    r"\b(?:follow(?:s|ed|ing)?|after|once|based\s+on|upon\s+(?:the\s+)?(?:completion|adoption)\s+of)\b", re.I
)


_STRONG_WORDS: tuple[str, ...] = (
    "agree",
    "commit",
    "pledge",
    "undert",
    "shall",
    "decide",
    "demand",
    "call",
    "urge",
)
_STRONG_WORDS += ("request", "schedul", "need")


def cue_of(text: str) -> tuple[Cue, re.Match[str]] | None:
    lowered = text.lower()
    if any(word in lowered for word in _STRONG_WORDS):
        for strong in STRONG.finditer(text):
            if not _NEGATED.search(text, max(0, strong.start() - 8), strong.start()):
                return Cue.STRONG, strong
    if weak := WEAK.search(text):
        return Cue.WEAK, weak
    return None


class Urgency(StrEnum):
    """What a commitment with no time expression is: SPEC's seed reads "begin the talks" as asap,
    "reinforce the cessation of hostilities" as immediate, "push for access" as open."""

    ASAP = "asap"
    IMMEDIATE = "immediate"
    OPEN = "open"


_BEGIN = re.compile(
    r"^(?:\w+\s+){0,3}?(?:begin|begins|beginning|start|launch|commence|resume|convene|initiate)\b", re.I
)
_STANDING = re.compile(
    r"^(?:\w+\s+){0,2}?(?:reinforce|uphold|respect|observe|abide|comply|cease|halt|stop|refrain|strengthen|consolidate)\b",
    re.I,
)


def urgency_of(obj: str) -> Urgency:
    if _BEGIN.search(obj):
        return Urgency.ASAP
    if _STANDING.search(obj):
        return Urgency.IMMEDIATE
    return Urgency.OPEN


_SUBJECT_MODAL = re.compile(
    r"^(?:(?P<subject>.{0,80}?)\s)?(?:will|would|shall|should|must|needs?\s+to|is\s+to|are\s+to|has\s+to|have\s+to)\s+(?=\w)",
    re.I,
)
_SOFTENERS = re.compile(
    r"^(?:(?:try|seek|strive|work|aim|endeavou?r)\s+to\s+|(?:also|further|jointly)\s+)+", re.I
)
_CUT = re.compile(
    r",|;|:|\s[–—-]\s|\s+(?:which|who|whereby|in\s+order\s+to|so\s+as\s+to|so\s+that|to\s+fully|to\s+prevent"
    r"|as\s+well|including|and\s+(?:requests|calls|decides|urges|demands|expresses))\b",
    re.I,
)


def object_after(text: str, cue_start: int, cue_end: int) -> str:
    """The words committed to, after the cue: "... agreed that they would push for X" -> "push for X".
    A passive object ("the withdrawal ... shall be completed") is named by its subject instead."""
    obj = text[cue_end:].strip()
    if re.match(r"be\b|been\b", obj, re.I):
        return _subject_clause(text[:cue_start])
    addressed_form = _ADDRESSED.match(text[cue_start:cue_end]) and not re.match(r"that\b", obj, re.I)
    if addressed_form and (addressed := _ADDRESSEE_TO.match(obj)):
        return _SOFTENERS.sub("", addressed.group("what")).strip()
    obj = re.sub(r"^(?:to|that)\s+", "", obj, flags=re.I)
    if re.match(r"(?:the|they|we|both|all|it|each)\b", obj, re.I) and (m := _SUBJECT_MODAL.match(obj)):
        rest = obj[m.end() :]
        obj = m.group("subject") if re.match(r"be\b", rest, re.I) and m.group("subject") else rest
    return _SOFTENERS.sub("", obj).strip()


# "Requests the Secretary-General, through his good offices, to convene ...": the object is what
# the addressee is asked to do.
_ADDRESSED = re.compile(r"(?:calls?\s+(?:up)?on|urges?|requests?|demands?)$", re.I)
_ADDRESSEE_TO = re.compile(r"(?P<who>.{1,200}?)\s+to\s+(?P<what>(?!be\b)[a-z][\w-]*\b.*)$", re.S)


def _subject_clause(text: str) -> str:
    """The last clause of ``text`` (after the last comma or "that")."""
    return re.split(r",|;|\bthat\b", text)[-1].strip()


_BOILERPLATE = re.compile(
    r"^(?:\(?\d{1,3}[.)]\s+|\([a-z]{1,4}\)\s+)?(?:and\s+)?(?:further\s+)?(?:(?:expresses|reaffirms|reiterates)\s+its"
    r"\s+support,?(?:\s+in\s+this\s+regard,)?\s+for\s+)?",
    re.I,
)


def title_from(obj: str, limit: int = 100) -> str:
    """A short title: the object up to its first clause break, capitalised, at most ``limit``."""
    obj = _BOILERPLATE.sub("", obj.strip(" ,;"))
    cut = _CUT.search(obj, 12)
    title = obj[: cut.start()] if cut else obj
    title = re.sub(r"^(?:a|an|the)\s+", "", title.strip(" .,;:\"“”'’"), flags=re.I)
    title = " ".join(title.split())
    title = re.sub(r"(?:\s+(?:in|by|on|at|until|before|within|from|of|for|and|or))+$", "", title, flags=re.I)
    if len(title) > limit:
        title = title[:limit].rsplit(" ", 1)[0]
    return title[:1].upper() + title[1:]


_PARTY = re.compile(
    r"\b(?:(?:the\s+)?(?:[A-Z][\w'’-]+\s+){0,2}(?:government|regime|opposition(?:\s+groups)?|armed\s+groups|rebels"
    r"|authorities|militias?|Secretary-General|Security\s+Council)|all\s+(?:the\s+)?parties(?:\s+to\s+the\s+conflict)?"
    r"|(?:both|the\s+two)\s+sides)\b(?!\s+[Rr]esolution)"
)


def parties_in(text: str) -> list[str]:
    found: list[str] = []
    for m in _PARTY.finditer(text):
        name = re.sub(r"^the\s+", "", m.group(0), flags=re.I)
        name = re.sub(r"^(?:Both|The)\s+", "", name)
        if name and name.lower() not in {p.lower() for p in found}:
            found.append(name)
    return found


_TOPICS = [
    (re.compile(r"constitution"), "constitution"),
    (
        re.compile(r"transition|political\s+process|talks|negotiat|dialogue|constitution|elections?"),
        "political-process",
    ),
    (re.compile(r"\belections?\b|\bvot(?:e|ing)\b|\bballot"), "elections"),
    (re.compile(r"humanitarian|\baid\b|relief|access"), "humanitarian"),
    (re.compile(r"detainee|prisoner|hostage|abduct|detention"), "detainees"),
    (re.compile(r"cessation\s+of\s+hostilities|cease-?fire|truce|hostilities|armistice"), "ceasefire"),
    (re.compile(r"weapon|withdraw|troops|disarm|demobili|pull-?out"), "security"),
    (re.compile(r"sanction"), "sanctions"),
]


def topic_tags(text: str) -> list[str]:
    lowered = text.lower()
    return [tag for pattern, tag in _TOPICS if pattern.search(lowered)]
