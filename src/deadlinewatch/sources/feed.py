"""``feed`` sources: RSS 0.9x/1.0/2.0 and Atom, parsed from bytes with feedparser.

Entity declarations are refused before parsing: feedparser falls back to a loose sgmllib parser
when expat gives up, and neither should ever see a "billion laughs" document. A well-formed feed
never needs its own entities, so a DOCTYPE that declares any is treated as invalid XML.

``bozo`` (feedparser's "this was not well-formed") is often harmless (a stray ``&``, a wrong
charset declaration): it fails a poll only when no entries came out, or when the document stops in
the middle. A well-formed document with no entries and no RSS/Atom root is "not a feed".

Items are identified by guid, else link, else a hash of title and date; rules match a regular
expression against the title and summary.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import xml.sax
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from deadlinewatch.config.schema import FeedRule
from deadlinewatch.domain.model import StatusChange
from deadlinewatch.sources.base import Evidence, ProposedChange, SourceError, shorten

__all__ = ["FeedItem", "match_rules", "parse_feed", "refuse_entity_declarations"]

MAX_KEY = 500
MAX_MATCH_TEXT = 20_000  # bounds the work one item can make a rule's regular expression do
MAX_TITLE = 1_000

# expat's words for a document that stops in the middle: whatever the loose parser salvaged from
# it may be cut short, so it fails the poll even when entries came out.
_TRUNCATED = frozenset({"unclosed token", "no element found"})
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)


@dataclass(frozen=True)
class FeedItem:
    key: str
    title: str
    summary: str
    link: str | None
    published: datetime | None


_ENCODINGS_BY_HEAD = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),  # EBCDIC "<?xm"
)


def _as_text(body: bytes) -> str:
    """Enough of a decoding to look for markup, whatever the (BOM or sniffed) encoding."""
    for head, encoding in _ENCODINGS_BY_HEAD:
        if body.startswith(head):
            return body.decode(encoding, errors="replace")
    return body.decode("latin-1")  # ASCII-compatible: every markup character survives


def refuse_entity_declarations(body: bytes) -> None:
    """Raise :class:`SourceError` if the document has a DOCTYPE declaring entities."""
    text = _as_text(body)
    if _DOCTYPE.search(text) and _ENTITY.search(text):
        raise SourceError(
            "invalid XML: the document declares its own entities in a DOCTYPE "
            "(refused: entity expansion can exhaust memory)"
        )


def parse_feed(body: bytes, content_type: str | None = None) -> list[FeedItem]:
    """The items of a feed document, in document order; raises :class:`SourceError`."""
    refuse_entity_declarations(body)
    headers = {"content-type": content_type} if content_type else {}
    try:
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    except Exception as exc:  # feedparser's loose parser can raise on pathological input
        raise SourceError(f"invalid XML: {type(exc).__name__}: {shorten(str(exc))}") from None
    entries = parsed.get("entries") or []
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(problem, xml.sax.SAXParseException) and (not entries or problem.getMessage() in _TRUNCATED):
        where = f" at line {problem.getLineNumber()}, column {problem.getColumnNumber()}"
        raise SourceError(f"invalid XML: {shorten(problem.getMessage())}{where}")
    if not entries and not parsed.get("version"):
        why = f" ({shorten(str(problem))})" if problem is not None else ""
        raise SourceError(f"not a feed: no RSS or Atom document found{why}")
    return [_item(entry) for entry in entries]


def _item(entry: Mapping[str, Any]) -> FeedItem:
    title = shorten(str(entry.get("title") or ""), MAX_TITLE)
    summary = str(entry.get("summary") or "")
    link = entry.get("link") or None
    published = _instant(entry.get("published_parsed") or entry.get("updated_parsed"))
    guid = entry.get("id") or None
    if guid:
        key = f"guid:{guid}"
    elif link:
        key = f"link:{link}"
    else:
        stamp = published.isoformat() if published else str(entry.get("published") or "")
        key = "hash:" + hashlib.sha256(f"{title}\x00{stamp}".encode()).hexdigest()
    if len(key) > MAX_KEY:
        key = key[:4] + "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return FeedItem(
        key=key, title=title, summary=summary, link=str(link) if link else None, published=published
    )


def _instant(parsed: Any) -> datetime | None:
    """feedparser's dates are UTC ``time.struct_time``s."""
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def match_rules(
    source_id: str, rules: Iterable[FeedRule], items: Iterable[FeedItem], now: datetime
) -> tuple[list[Evidence], list[ProposedChange]]:
    """Evidence and proposed status changes from ``items`` (the new ones), in item order.

    A change is dated by the item's publication (never later than ``now``), else ``now``."""
    evidence: list[Evidence] = []
    changes: list[ProposedChange] = []
    rules = list(rules)
    for item in items:
        text = f"{item.title}\n{item.summary}"[:MAX_MATCH_TEXT]
        for rule in rules:
            found = rule.match.search(text)
            if found is None:
                continue
            for commitment_id in rule.commitments:
                if rule.set_status is None:
                    evidence.append(
                        Evidence(
                            commitment_id=commitment_id,
                            title=item.title,
                            link=item.link,
                            published=item.published,
                            matched=shorten(found.group(0), 200),
                            item_key=item.key,
                        )
                    )
                    continue
                at = min(item.published, now) if item.published is not None else now
                change = StatusChange(
                    at=at,
                    status=rule.set_status,
                    note=item.title or None,
                    url=item.link,
                    origin=source_id,
                    recorded_at=now,
                )
                changes.append(ProposedChange(commitment_id, change))
    return evidence, changes
