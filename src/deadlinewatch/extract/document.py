"""A whole text -> the commitments it states, each with its ``due``, parties, tags and source.

Pure: :func:`read_document` takes the text, the announcement date and the zone and returns an
:class:`Extraction`; the command prints it with :mod:`extract.fragment`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date

from deadlinewatch.extract import countries
from deadlinewatch.extract.model import (
    AfterDue,
    Context,
    Due,
    FixedDue,
    Precision,
    Rank,
    Reading,
    Refusal,
    slugify,
)
from deadlinewatch.extract.phrases import scan
from deadlinewatch.extract.references import known_period
from deadlinewatch.extract.sentences import (
    ANAPHORA,
    RELATION,
    Cue,
    Sentence,
    cue_of,
    object_after,
    parties_in,
    split_sentences,
    title_from,
    topic_tags,
    urgency_of,
)


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


@dataclass
class _Draft:
    """A commitment while the text is read (mutable only inside :func:`read_document`)."""

    start: int
    end: int
    title: str
    scope: str  # the words that carry parties and tags
    subject: str
    readings: list[Reading | Refusal] = field(default_factory=list)
    obj: str = ""
    relation_to: _Draft | None = None
    id: str = ""


_TERMINAL = re.compile(r"[.!?][\"”’)\]]*\s*(?:[–—-]\s*[^.!?]{0,60})?$")
_ID_SKIP = {"a", "an", "the", "of", "for", "to", "and", "in", "on", "between", "after"}
_WH = re.compile(r"^(?:what|how|whether|which|who|why|when)\b", re.I)
_SPLIT = re.compile(
    r",?\s+both\s+(?:are|were|to\s+be|scheduled|due|by)\b|\b(?:both|each)\s+by\b|\brespectively\b", re.I
)
_STOPWORDS = {
    "the",
    "this",
    "that",
    "which",
    "must",
    "based",
    "after",
    "with",
    "from",
    "their",
    "shall",
    "should",
    "will",
    "would",
    "completion",
    "start",
    "beginning",
    "end",
    "adoption",
    "new",
    "these",
    "those",
}


def read_document(text: str, ctx: Context, agreement_id: str) -> Extraction:
    sentences = split_sentences(text)
    drafts: list[_Draft] = []
    relations: list[tuple[Sentence, int]] = []
    previous: _Draft | None = None
    for sentence in sentences:
        cue = cue_of(sentence.text)
        if cue is None:  # every anaphora ("This should be done ...") has a modal, so a cue
            previous = None
            continue
        found = scan(sentence.text, ctx)
        readings = [r for r in found if isinstance(r, Reading)]
        if previous is not None and found and ANAPHORA.match(sentence.text):
            previous.end = sentence.end
            previous.readings.extend(_shifted(found, sentence.start - previous.start))
            continue
        previous = None
        kind, m = cue
        if not _TERMINAL.search(sentence.text):
            continue  # a heading or a caption, not a sentence
        if kind is Cue.STRONG:
            obj = object_after(sentence.text, m.start(), m.end())
            if not obj or _WH.match(obj):
                continue
            draft = _Draft(
                sentence.start, sentence.end, "", sentence.text[m.start() :], sentence.text[: m.start()]
            )
            draft.obj = _without_phrases(obj, sentence.text, found)
        elif any(r.rank >= Rank.ASAP for r in readings) and not _past(readings, ctx):
            draft = _Draft(sentence.start, sentence.end, "", sentence.text, "")
            draft.obj = _without_phrases(sentence.text, sentence.text, found)
        else:
            if relation := RELATION.search(sentence.text):
                relations.append((sentence, relation.start()))
            continue
        draft.readings = list(found)
        drafts.extend(_split(draft, sentence.text))
        previous = drafts[-1]
    for draft in drafts:
        if not draft.title:
            draft.title = title_from(draft.obj)
    index = _Index(drafts)
    for sentence, relation_start in relations:
        target = index.referent(sentence.text[relation_start:], sentence.start, None)
        if target is None:
            continue
        subject = re.split(r"\s+(?:may|will|must|should|shall|are|is|to\s+be)\b", sentence.text, maxsplit=1)[
            0
        ]
        draft = _Draft(sentence.start, sentence.end, "", sentence.text, "")
        named = re.search(r"\b(?:the|this|that|its)\s+((?:[\w-]+\s+){0,2}[\w-]+)\W*$", sentence.text)
        after = named.group(1) if named else target.title[:1].lower() + target.title[1:]
        draft.title = f"{title_from(subject)}, after the {after}"
        draft.readings = list(scan(sentence.text, ctx))
        draft.relation_to = target
        drafts.append(draft)
    _assign_ids(drafts, agreement_id)
    country_tags = [countries.tag_of(c) for c in countries.most_mentioned([d.scope for d in drafts])]
    ordered = sorted(drafts, key=lambda d: d.start)
    index = _Index(drafts)
    findings = tuple(_finding(d, index, text, country_tags) for d in ordered)
    return Extraction(
        agreement_id,
        _heading(text),
        ctx.announced,
        ctx.zone,
        tuple(_agreement_parties(drafts)),
        tuple(country_tags),
        findings,
    )


def _shifted(found: list[Reading | Refusal], offset: int) -> list[Reading | Refusal]:
    from dataclasses import replace

    return [replace(item, start=item.start + offset, end=item.end + offset) for item in found]


def _without_phrases(obj: str, sentence: str, found: list[Reading | Refusal]) -> str:
    for item in found:
        obj = obj.replace(sentence[item.start : item.end], " ")
    obj = re.sub(r"\s+", " ", obj)
    return re.sub(r"\s+([,.;:])", r"\1", obj).strip(" ,")


def _past(readings: list[Reading], ctx: Context) -> bool:
    """A weak-cue sentence whose dates all lie in years before the announcement tells history."""
    years = [
        int(m.group(0))
        for r in readings
        if isinstance(r.due, FixedDue)
        for m in [re.match(r"\d{4}", r.due.text)]
        if m
    ]
    return bool(years) and max(years) < ctx.announced.year


def _split(draft: _Draft, sentence: str) -> list[_Draft]:
    """ "a framework for X and a draft constitution, both are scheduled by August" -> two drafts."""
    cut = _SPLIT.search(draft.obj)
    if cut is None:
        return [draft]
    head = draft.obj[: cut.start()]
    m = re.search(r"^(.*?)\s+and\s+(?:(?:a|an|the)\s+)?(.+)$", head)
    if m is None:
        return [draft]
    first, second = m.group(1), m.group(2)
    gerund = list(re.finditer(r"\b\w+ing\s+", first))
    if gerund:
        first = first[gerund[-1].end() :]
    items = []
    for part in (first, second):
        item = _Draft(
            draft.start, draft.end, title_from(part), part, draft.subject, list(draft.readings), part
        )
        items.append(item)
    return items


def _keywords(text: str) -> set[str]:
    return {w[:6] for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _STOPWORDS}


class _Index:
    """Drafts by the stems of their titles, to find the commitment a phrase refers to."""

    def __init__(self, drafts: list[_Draft]) -> None:
        self.by_stem: dict[str, list[_Draft]] = {}
        self.stems: dict[int, set[str]] = {}
        for draft in sorted(drafts, key=lambda d: d.start):
            stems = _keywords(draft.title)
            self.stems[id(draft)] = stems
            for stem in stems:
                self.by_stem.setdefault(stem, []).append(draft)
        self.starts = {stem: [d.start for d in found] for stem, found in self.by_stem.items()}

    def referent(self, words: str, at: int, exclude: _Draft | None) -> _Draft | None:
        """The draft sharing most title words with ``words``; among equals, the nearest one
        before ``at`` (else the first in the text)."""
        wanted = _keywords(words)
        candidates: dict[int, _Draft] = {}
        for stem in wanted:
            found = self.by_stem.get(stem)
            if not found:
                continue
            position = bisect_right(self.starts[stem], at)
            for draft in (
                found[position - 1] if position else None,
                found[0],
                found[min(position, len(found) - 1)],
            ):
                if draft is not None and draft is not exclude:
                    candidates[id(draft)] = draft
        if not candidates:
            return None

        def rank(draft: _Draft) -> tuple[int, int, int]:
            before = draft.start <= at
            return (
                len(wanted & self.stems[id(draft)]),
                1 if before else 0,
                draft.start if before else -draft.start,
            )

        return max(candidates.values(), key=rank)


def _assign_ids(drafts: list[_Draft], agreement_id: str) -> None:
    seen: set[str] = set()
    last: dict[str, int] = {}
    for draft in drafts:
        words = [w for w in re.findall(r"[a-z0-9]+", draft.title.lower()) if w not in _ID_SKIP]
        base = f"{agreement_id}-{slugify(' '.join(words), words=4)}"[:120]
        candidate, n = base, last.get(base, 1)
        while candidate in seen:
            n += 1
            candidate = f"{base}-{n}"
        last[base] = n
        seen.add(candidate)
        draft.id = candidate


def _finding(draft: _Draft, index: _Index, text: str, country_tags: list[str]) -> Finding:
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


def _heading(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())[:200]
    return "Extracted agreement"


def _agreement_parties(drafts: list[_Draft]) -> list[str]:
    counts: dict[str, int] = {}
    subjects = {draft.start: draft.subject for draft in drafts}
    for subject in subjects.values():
        clause = re.split(r",|;|\bthat\b", subject)[-1]
        for name in countries.countries_in(clause):
            counts[name] = counts.get(name, 0) + 1
    floor = 2 if any(count >= 2 for count in counts.values()) else 1
    return [name for name, count in counts.items() if count >= floor]
