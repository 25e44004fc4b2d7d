"""What ``extract`` found (:class:`Finding`, :class:`Extraction`) and how a draft's ``due`` is
decided from the time expressions of its sentence: an explicit date or period first, then the
urgency words, then the kind of commitment; a deadline that would be a guess is left ``open`` with
a warning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from deadlinewatch.extract.drafts import Draft, Index
from deadlinewatch.extract.model import AfterDue, Due, FixedDue, Precision, Rank, Reading, Refusal
from deadlinewatch.extract.references import known_period
from deadlinewatch.extract.sentences import parties_in, topic_tags, urgency_of


@dataclass(frozen=True)
class Source:
    """Where a commitment was read: the exact quote, its offsets in the text (``text[start:end]``),
    and the phrase its deadline was read from (``None`` when no time expression was found)."""

    quote: str
    start: int
    end: int
    phrase: str | None


@dataclass(frozen=True)
class Finding:
    id: str
    title: str
    parties: tuple[str, ...]
    tags: tuple[str, ...]
    due: Due
    after_id: str | None
    precision: Precision
    reasoning: str
    source: Source
    warning: str | None = None


@dataclass(frozen=True)
class Extraction:
    agreement_id: str
    agreement_title: str
    announced: date
    timezone: str | None
    parties: tuple[str, ...]
    tags: tuple[str, ...]
    findings: tuple[Finding, ...]


def finding_of(draft: Draft, index: Index, text: str, country_tags: list[str]) -> Finding:
    readings = [r for r in draft.readings if isinstance(r, Reading)]
    refusals = [r for r in draft.readings if isinstance(r, Refusal)]
    quote = text[draft.start : draft.end]
    tags = tuple(
        dict.fromkeys(
            [*country_tags, *topic_tags(draft.title + " " + draft.scope if not draft.obj else draft.obj)]
        )
    )
    parties = tuple(parties_in(draft.scope))

    def done(
        due: Due,
        precision: Precision,
        why: str,
        phrase: str | None,
        after_id: str | None = None,
        warning: str | None = None,
    ) -> Finding:
        return Finding(
            draft.id,
            draft.title,
            parties,
            tags,
            due,
            after_id,
            precision,
            why,
            Source(quote, draft.start, draft.end, phrase),
            warning,
        )

    explicit = [r for r in readings if r.rank == Rank.EXPLICIT]
    if draft.relation_to is not None:
        target = draft.relation_to
        periods = [r for r in explicit if isinstance(r.due, AfterDue)]
        if len(periods) == 1:
            reading = periods[0]
            assert isinstance(reading.due, AfterDue)
            return done(
                AfterDue(reading.due.within, target.title),
                Precision.RELATIVE,
                f"{reading.due.within} after {target.id}",
                reading.phrase,
                target.id,
            )
        known = known_period(text, quote)
        if known is not None:
            return done(
                AfterDue(known.within, target.title),
                Precision.RELATIVE,
                f"follows {target.id}; the text states no period, it names {known.citation}",
                None,
                target.id,
            )
        return done(
            FixedDue("open"),
            Precision.OPEN,
            f"follows {target.id}",
            None,
            warning=f"{draft.id}: follows {target.id} but states no period; "
            f"set due: {{after: {target.id}, within: ...}}",
        )
    if explicit:
        dues = list(dict.fromkeys(r.due for r in explicit))
        if len(dues) > 1:
            phrases = "; ".join(repr(r.phrase) for r in explicit)
            return done(
                FixedDue("open"),
                Precision.OPEN,
                "several deadlines in one sentence",
                phrases,
                warning=f"{draft.id}: several deadlines ({phrases}); left as open, choose one",
            )
        reading = explicit[0]
        if isinstance(reading.due, AfterDue) and reading.due.referent is not None:
            referred = index.referent(reading.due.referent, draft.start, draft)
            if referred is None:
                return done(
                    FixedDue("open"),
                    Precision.OPEN,
                    reading.reasoning,
                    reading.phrase,
                    warning=f"{draft.id}: {reading.phrase!r} counts from {reading.due.referent!r}, which no "
                    "commitment in this text stands for; left as open",
                )
            return done(
                reading.due,
                Precision.RELATIVE,
                f"{reading.reasoning} -> {referred.id}",
                reading.phrase,
                referred.id,
            )
        return done(reading.due, reading.precision, reading.reasoning, reading.phrase)
    if refusals:
        refusal = refusals[0]
        return done(
            FixedDue("open"),
            Precision.OPEN,
            refusal.reason,
            refusal.phrase,
            warning=f"{draft.id}: {refusal.phrase!r} not understood ({refusal.reason}); left as open",
        )
    if readings:
        reading = max(readings, key=lambda r: r.rank)
        return done(reading.due, reading.precision, reading.reasoning, reading.phrase)
    urgency = urgency_of(draft.obj or draft.title)
    why = {
        "asap": "no time expression; a commitment to begin something is read as as soon as possible (asap)",
        "immediate": "no time expression; upholding or reinforcing what is already agreed binds at once "
        "(immediate)",
        "open": "no time expression: an open-ended commitment (open)",
    }[urgency.value]
    return done(FixedDue(urgency.value), Precision.OPEN, why, None)
