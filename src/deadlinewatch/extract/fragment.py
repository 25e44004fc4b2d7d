"""An :class:`Extraction` as a draft config fragment, YAML or JSON. Both are valid config (JSON is
YAML): merged with a settings file, the fragment passes ``deadlinewatch validate`` as printed.

Each commitment carries a ``source`` block (the exact quote, its character offsets and the phrase
its deadline was read from; the config keeps it as provenance) and the quote as ``description``.
In YAML the precision and the reasoning follow as comments, and a deadline left ``open`` for want
of understanding carries a ``# WARNING:`` line; JSON has no comments (use YAML to review).
"""

from __future__ import annotations

import json
import re

from deadlinewatch.extract.findings import Extraction, Finding
from deadlinewatch.extract.model import AfterDue, FixedDue

_PLAIN = re.compile(r"^(?:\d{4}(?:-(?:\d{2}|Q[1-4]|W\d{2})(?:-\d{2})?)?|asap|immediate|open)$")


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _due_yaml(finding: Finding) -> str:
    due = finding.due
    if isinstance(due, AfterDue):
        return f"{{after: {finding.after_id or 'announced'}, within: {due.within}}}"
    return due.text if _PLAIN.match(due.text) else _quoted(due.text)


def _due_json(finding: Finding) -> object:
    due = finding.due
    if isinstance(due, AfterDue):
        return {"after": finding.after_id or "announced", "within": due.within}
    assert isinstance(due, FixedDue)
    return due.text


def to_yaml(extraction: Extraction, *, with_agreement: bool = True, origin: str = "") -> str:
    lines = [
        f"# Draft commitments read by `deadlinewatch extract`{f' from {origin}' if origin else ''}.",
        "# Check every title, party and due against the quote before using it.",
    ]
    if with_agreement:
        lines += [
            "agreements:",
            f"  - id: {extraction.agreement_id}",
            f"    title: {_quoted(extraction.agreement_title)}",
        ]
        lines.append(f"    announced: {extraction.announced.isoformat()}")
        if extraction.parties:
            lines.append(f"    parties: [{', '.join(_quoted(p) for p in extraction.parties)}]")
        if extraction.tags:
            lines.append(f"    tags: [{', '.join(extraction.tags)}]")
        if extraction.timezone:
            lines.append(f"    timezone: {extraction.timezone}")
        lines.append("")
    lines.append("commitments:" if extraction.findings else "commitments: []")
    for f in extraction.findings:
        lines.append(f"  - id: {f.id}")
        lines.append(f"    agreement: {extraction.agreement_id}")
        lines.append(f"    title: {_quoted(f.title)}")
        if not with_agreement:
            lines.append(f"    announced: {extraction.announced.isoformat()}")
            if extraction.timezone:
                lines.append(f"    timezone: {extraction.timezone}")
        if f.parties:
            lines.append(f"    parties: [{', '.join(_quoted(p) for p in f.parties)}]")
        if f.warning:
            lines.append(f"    # WARNING: {_one_line(f.warning)}")
        lines.append(f"    due: {_due_yaml(f)}")
        if f.tags:
            lines.append(f"    tags: [{', '.join(f.tags)}]")
        lines.append(f"    description: {_quoted(f.source.quote)}")
        lines.append("    source:")
        lines.append(f"      quote: {_quoted(f.source.quote)}")
        lines.append(f"      start: {f.source.start}")
        lines.append(f"      end: {f.source.end}")
        lines.append(f"      phrase: {_quoted(f.source.phrase) if f.source.phrase else 'null'}")
        lines.append(f"    #   precision: {f.precision.value}")
        lines.append(f"    #   reasoning: {_one_line(f.reasoning)}")
    return "\n".join(lines) + "\n"


def to_json(extraction: Extraction, *, with_agreement: bool = True) -> str:
    fragment: dict[str, object] = {}
    if with_agreement:
        agreement: dict[str, object] = {
            "id": extraction.agreement_id,
            "title": extraction.agreement_title,
            "announced": extraction.announced.isoformat(),
        }
        if extraction.parties:
            agreement["parties"] = list(extraction.parties)
        if extraction.tags:
            agreement["tags"] = list(extraction.tags)
        if extraction.timezone:
            agreement["timezone"] = extraction.timezone
        fragment["agreements"] = [agreement]
    commitments = []
    for f in extraction.findings:
        item: dict[str, object] = {"id": f.id, "agreement": extraction.agreement_id, "title": f.title}
        if not with_agreement:
            item["announced"] = extraction.announced.isoformat()
            if extraction.timezone:
                item["timezone"] = extraction.timezone
        if f.parties:
            item["parties"] = list(f.parties)
        item["due"] = _due_json(f)
        if f.tags:
            item["tags"] = list(f.tags)
        item["description"] = f.source.quote
        item["source"] = {
            "quote": f.source.quote,
            "start": f.source.start,
            "end": f.source.end,
            "phrase": f.source.phrase,
        }
        commitments.append(item)
    fragment["commitments"] = commitments
    return json.dumps(fragment, ensure_ascii=False, indent=2) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())
