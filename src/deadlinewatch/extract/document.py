"""A whole text -> the commitments it states, each with its ``due``, parties, tags and source.

Pure: :func:`read_document` takes the text, the announcement date and the zone and returns an
:class:`Extraction`; the command prints it with :mod:`extract.fragment`.
"""

from __future__ import annotations

import re

from deadlinewatch.extract import countries
from deadlinewatch.extract.drafts import Draft, Index, assign_ids, split_by_deadline, split_draft
from deadlinewatch.extract.findings import Extraction, Finding, Source, finding_of
from deadlinewatch.extract.model import Context, FixedDue, Rank, Reading, Refusal
from deadlinewatch.extract.phrases import scan
from deadlinewatch.extract.sentences import (
    ANAPHORA,
    RELATION,
    Cue,
    Sentence,
    cue_of,
    object_after,
    split_sentences,
    title_from,
)

__all__ = ["Extraction", "Finding", "Source", "read_document"]

_TERMINAL = re.compile(r"[.!?][\"”’)\]]*\s*(?:[–—-]\s*[^.!?]{0,60})?$")
_WH = re.compile(r"^(?:what|how|whether|which|who|why|when)\b", re.I)


def read_document(
    text: str, ctx: Context, agreement_id: str, taken_ids: frozenset[str] = frozenset()
) -> Extraction:
    """The commitments ``text`` states, for the agreement ``agreement_id``; their ids avoid
    ``taken_ids`` (the ids of the config the fragment will join)."""
    sentences = split_sentences(text)
    drafts: list[Draft] = []
    relations: list[tuple[Sentence, int]] = []
    previous: Draft | None = None
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
            draft = Draft(
                sentence.start, sentence.end, "", sentence.text[m.start() :], sentence.text[: m.start()]
            )
            draft.obj = _without_phrases(obj, sentence.text, found)
        elif any(r.rank >= Rank.ASAP for r in readings) and not _past(readings, ctx):
            draft = Draft(sentence.start, sentence.end, "", sentence.text, "")
            draft.obj = _without_phrases(sentence.text, sentence.text, found)
        else:
            if relation := RELATION.search(sentence.text):
                relations.append((sentence, relation.start()))
            continue
        draft.readings = list(found)
        drafts.extend(split_draft(draft, sentence.text))
        previous = drafts[-1]
    drafts = [part for draft in drafts for part in split_by_deadline(draft, text[draft.start : draft.end])]
    for draft in drafts:
        if not draft.title:
            draft.title = title_from(draft.obj)
    index = Index(drafts)
    for sentence, relation_start in relations:
        target = index.referent(sentence.text[relation_start:], sentence.start, None)
        if target is None:
            continue
        subject = re.split(r"\s+(?:may|will|must|should|shall|are|is|to\s+be)\b", sentence.text, maxsplit=1)[
            0
        ]
        draft = Draft(sentence.start, sentence.end, "", sentence.text, "")
        named = re.search(r"\b(?:the|this|that|its)\s+((?:[\w-]+\s+){0,2}[\w-]+)\W*$", sentence.text)
        after = named.group(1) if named else target.title[:1].lower() + target.title[1:]
        draft.title = f"{title_from(subject)}, after the {after}"
        draft.readings = list(scan(sentence.text, ctx))
        draft.relation_to = target
        drafts.append(draft)
        index.add(draft)
    assign_ids(drafts, agreement_id, taken_ids)
    country_tags = [countries.tag_of(c) for c in countries.most_mentioned([d.scope for d in drafts])]
    ordered = sorted(drafts, key=lambda d: d.start)
    findings = tuple(finding_of(d, index, text, country_tags) for d in ordered)
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


def _heading(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())[:200]
    return "Extracted agreement"


def _agreement_parties(drafts: list[Draft]) -> list[str]:
    counts: dict[str, int] = {}
    subjects = {draft.start: draft.subject for draft in drafts}
    for subject in subjects.values():
        clause = re.split(r",|;|\bthat\b", subject)[-1]
        for name in countries.countries_in(clause):
            counts[name] = counts.get(name, 0) + 1
    floor = 2 if any(count >= 2 for count in counts.values()) else 1
    return [name for name, count in counts.items() if count >= floor]
