"""Feed parsing and rules (pure: bytes in, items and findings out)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deadlinewatch.config.schema import FeedRule
from deadlinewatch.domain.model import Status
from deadlinewatch.sources.base import SourceError
from deadlinewatch.sources.feed import match_rules, parse_feed, refuse_entity_declarations

NOW = datetime(2016, 9, 1, tzinfo=UTC)

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>UN</title>
<item><guid>g-1</guid><title>Draft constitution tabled</title><link>https://example.org/1</link>
  <pubDate>Mon, 01 Aug 2016 09:00:00 GMT</pubDate><description>Talks in Geneva</description></item>
<item><title>Only a link</title><link>https://example.org/2</link></item>
<item><title>Nothing to identify</title><pubDate>Tue, 02 Aug 2016 09:00:00 GMT</pubDate></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Tracker</title><id>urn:t</id>
<updated>2016-08-01T00:00:00Z</updated>
<entry><id>urn:e1</id><title>Detainees released</title><link href="https://example.org/a"/>
<updated>2016-08-03T10:00:00Z</updated><summary>A first group of detainees</summary></entry>
</feed>"""


def test_rss_items_are_identified_by_guid_then_link_then_a_hash() -> None:
    items = parse_feed(RSS)
    assert [i.key.split(":")[0] for i in items] == ["guid", "link", "hash"]
    assert items[0].key == "guid:g-1"
    assert items[1].key == "link:https://example.org/2"
    assert items[0].published == datetime(2016, 8, 1, 9, tzinfo=UTC)
    assert items[0].summary == "Talks in Geneva"
    assert parse_feed(RSS)[2].key == items[2].key  # stable


def test_atom_entries() -> None:
    [item] = parse_feed(ATOM)
    assert item.key == "guid:urn:e1"
    assert item.link == "https://example.org/a"
    assert item.published == datetime(2016, 8, 3, 10, tzinfo=UTC)


def test_harmless_bozo_with_entries_is_accepted() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>a & b</title></item></channel></rss>'
    )
    [item] = parse_feed(body)
    assert "a" in item.title


def test_empty_but_valid_feed_has_no_items() -> None:
    assert (
        parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>') == []
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<rss><<<", "invalid XML: not well-formed"),
        (b"<rss><channel><item><title>cut</chan", "invalid XML: unclosed token"),
        (b"<html><body>hello</body></html>", "not a feed"),
        (b"", "not a feed"),
    ],
)
def test_unusable_documents_fail_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_feed(body)
    assert caught.value.reason.startswith(reason)


def _bomb(encoding: str = "utf-8") -> bytes:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?><!DOCTYPE rss [{entities}]>'
        '<rss version="2.0"><channel><item><title>&j;</title></item></channel></rss>'
    )
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "utf-32"])
def test_entity_bombs_are_refused_before_parsing(encoding: str) -> None:
    body = _bomb(encoding)
    if encoding == "utf-16-le":
        assert not body.startswith(b"\xff\xfe")  # no BOM: sniffed from the "<\x00" start
    with pytest.raises(SourceError) as caught:
        parse_feed(body)
    assert "declares its own entities" in caught.value.reason


def test_a_doctype_without_entities_is_fine() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss>'
        b'<rss version="2.0"><channel><item><title>x</title></item></channel></rss>'
    )
    refuse_entity_declarations(body)
    assert len(parse_feed(body)) == 1


def test_rules_give_evidence_or_changes_for_each_commitment() -> None:
    items = parse_feed(RSS)
    evidence_rule = FeedRule.model_validate({"match": "(?i)draft constitution", "commitments": ["a", "b"]})
    status_rule = FeedRule.model_validate(
        {"match": "Geneva", "commitments": ["talks"], "set_status": "in_progress"}
    )
    evidence, changes = match_rules("un", [evidence_rule, status_rule], items, NOW)
    assert [(e.commitment_id, e.matched, e.link) for e in evidence] == [
        ("a", "Draft constitution", "https://example.org/1"),
        ("b", "Draft constitution", "https://example.org/1"),
    ]
    [change] = changes
    assert change.commitment_id == "talks"  # matched in the summary
    assert change.change.status is Status.IN_PROGRESS and change.change.origin == "un"
    assert change.change.at == datetime(2016, 8, 1, 9, tzinfo=UTC)
    assert change.change.recorded_at == NOW
    assert change.change.note == "Draft constitution tabled"
    assert change.change.url == "https://example.org/1"


def test_an_undated_item_changes_status_now() -> None:
    items = parse_feed(RSS)[1:2]
    rule = FeedRule.model_validate({"match": "link", "commitments": ["x"], "set_status": "fulfilled"})
    _, [change] = match_rules("un", [rule], items, NOW)
    assert change.change.at == NOW
