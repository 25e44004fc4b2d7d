"""The reader's typed results: a deadline as the config writes it (:data:`Due`), one reading of a
phrase (:class:`Reading`), and a commitment found in a text (:class:`Finding`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import IntEnum, StrEnum


class Precision(StrEnum):
    INSTANT = "instant"
    DAY = "day"
    WEEK = "week"
    PART_OF_MONTH = "part_of_month"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    OPEN = "open"
    RELATIVE = "relative"


class Rank(IntEnum):
    """How firm a time expression is; an explicit date or period beats an urgency word."""

    ONGOING = 0
    ASAP = 1
    IMMEDIATE = 2
    EXPLICIT = 3


@dataclass(frozen=True)
class FixedDue:
    """A ``due`` written as one scalar: ``2016-08``, ``2016-02-26T12:00+02:00``, ``asap``."""

    text: str


@dataclass(frozen=True)
class AfterDue:
    """``{after: ..., within: ...}``. ``referent`` is ``None`` for ``after: announced``, else the
    words naming the event it counts from ("the withdrawal"), resolved to a commitment id later."""

    within: str
    referent: str | None = None

    @property
    def slug(self) -> str:
        """The placeholder id for the referent when no commitment stands for it."""
        if self.referent is None:
            return "announced"
        event = re.sub(r"^(?:the\s+)?date\s+of\s+", "", self.referent, flags=re.IGNORECASE)
        return slugify(event, drop_articles=True)


Due = FixedDue | AfterDue


@dataclass(frozen=True)
class Reading:
    """One time expression understood: its ``due``, how precise, why, and where it was read."""

    due: Due
    precision: Precision
    reasoning: str
    start: int
    end: int
    phrase: str
    rank: Rank = Rank.EXPLICIT


@dataclass(frozen=True)
class Refusal:
    """A time expression recognised but not normalised (it would be a guess)."""

    reason: str
    start: int
    end: int
    phrase: str


@dataclass(frozen=True)
class Context:
    """What a phrase is read against: the announcement date and the default time zone (``None``:
    the config's)."""

    announced: date
    zone: str | None = None


class NotUnderstood(ValueError):
    """The phrase was not understood; the message says which part and why."""


_ARTICLES = {"the", "a", "an", "this", "these", "that", "its", "their"}


def slugify(text: str, *, drop_articles: bool = False, words: int = 8) -> str:
    """Lower-case letters and digits joined by ``-`` (an id the config accepts)."""
    tokens = re.findall(r"[a-z0-9]+", text.lower().replace("’", "'").replace("'s", ""))
    if drop_articles:
        tokens = [t for t in tokens if t not in _ARTICLES] or tokens
    return "-".join(tokens[:words]) or "item"


def format_due(due: Due, after_id: str | None = None) -> str:
    """One line in the config's own syntax: ``2016-08`` or ``{after: ID, within: 5d}``."""
    if isinstance(due, FixedDue):
        return due.text
    return f"{{after: {after_id or due.slug}, within: {due.within}}}"


@dataclass(frozen=True)
class Understood:
    """What a rule made of its match (the scanner adds the span). ``end`` shortens the span when
    the rule matched more words than it used (a referent cut at a verb)."""

    due: Due
    precision: Precision
    reasoning: str
    rank: Rank = Rank.EXPLICIT
    end: int | None = None


@dataclass(frozen=True)
class Declined:
    """A rule recognised its match as a time expression it must not normalise."""

    reason: str


Outcome = Understood | Declined | None
