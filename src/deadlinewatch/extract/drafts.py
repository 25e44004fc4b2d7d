"""Commitments while a text is read (:class:`Draft`), split when one sentence names two ("a
framework ... and a draft constitution, both ... by August"), given ids, and indexed by the words
of their titles so that "after the withdrawal" finds the withdrawal."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import pairwise

from deadlinewatch.extract.model import Reading, Refusal, slugify
from deadlinewatch.extract.sentences import title_from


@dataclass
class Draft:
    """A commitment while the text is read (mutable only while :func:`document.read_document` runs)."""

    start: int
    end: int
    title: str
    scope: str  # the words that carry parties and tags
    subject: str
    readings: list[Reading | Refusal] = field(default_factory=list)
    obj: str = ""
    relation_to: Draft | None = None
    id: str = ""


_ID_SKIP = {"a", "an", "the", "of", "for", "to", "and", "in", "on", "between", "after"}
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


def split_draft(draft: Draft, sentence: str) -> list[Draft]:
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
        item = Draft(
            draft.start, draft.end, title_from(part), part, draft.subject, list(draft.readings), part
        )
        items.append(item)
    return items


def keywords(text: str) -> set[str]:
    return {w[:6] for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _STOPWORDS}


_CLAUSE = re.compile(
    r";|,\s+and\b|\s+and\s+further\b|,\s+(?:and\s+)?(?:further\s+)?(?:expresses|requests|calls|decides|urges|demands)\b",
    re.I,
)


def split_by_deadline(draft: Draft, quote: str) -> list[Draft]:
    """A sentence with several deadlines, one per clause ("... within six months, establishes
    governance ..., and further expresses its support for elections ... within 18 months"): one
    draft per clause, each with its own deadline. Unchanged when a clause break cannot be found
    between two deadlines (the finding is then left open with a warning)."""
    readings = sorted(
        (
            r
            for r in draft.readings
            if isinstance(r, Reading)
            and r.rank == max(x.rank for x in draft.readings if isinstance(x, Reading))
        ),
        key=lambda r: r.start,
    )
    if len(readings) < 2 or len({r.due for r in readings}) < 2:
        return [draft]
    bounds = [0]
    for left, right in pairwise(readings):
        breaks = list(_CLAUSE.finditer(quote, left.end, right.start))
        if not breaks:
            return [draft]
        bounds.append(breaks[-1].start())
    bounds.append(len(quote))
    parts = []
    for reading, start, end in zip(readings, bounds, bounds[1:], strict=False):
        segment = quote[start:end]
        obj = (segment[: reading.start - start] + " " + segment[reading.end - start :]).strip(" ,;")
        obj = re.sub(r"\s+", " ", obj)
        parts.append(Draft(draft.start, draft.end, "", segment, draft.subject, [reading], obj))
    return parts


class Index:
    """Drafts by the stems of their titles, to find the commitment a phrase refers to."""

    def __init__(self, drafts: list[Draft]) -> None:
        self.by_stem: dict[str, list[Draft]] = {}
        self.stems: dict[int, set[str]] = {}
        for draft in sorted(drafts, key=lambda d: d.start):
            stems = keywords(draft.title)
            self.stems[id(draft)] = stems
            for stem in stems:
                self.by_stem.setdefault(stem, []).append(draft)
        self.starts = {stem: [d.start for d in found] for stem, found in self.by_stem.items()}

    def add(self, draft: Draft) -> None:
        stems = keywords(draft.title)
        self.stems[id(draft)] = stems
        for stem in stems:
            starts = self.starts.setdefault(stem, [])
            position = bisect_right(starts, draft.start)
            starts.insert(position, draft.start)
            self.by_stem.setdefault(stem, []).insert(position, draft)

    def referent(self, words: str, at: int, exclude: Draft | None) -> Draft | None:
        """The draft sharing most title words with ``words``; among equals, the nearest one
        before ``at`` (else the first in the text)."""
        wanted = keywords(words)
        candidates: dict[int, Draft] = {}
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

        def rank(draft: Draft) -> tuple[int, int, int]:
            before = draft.start <= at
            return (
                len(wanted & self.stems[id(draft)]),
                1 if before else 0,
                draft.start if before else -draft.start,
            )

        return max(candidates.values(), key=rank)


def assign_ids(drafts: list[Draft], agreement_id: str, taken: frozenset[str] = frozenset()) -> None:
    seen: set[str] = set(taken)
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
