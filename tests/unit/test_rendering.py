"""Rendering (pure): hostile text stays inert, every string stays within Slack's limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from deadlinewatch.delivery.base import (
    CommitmentView,
    DigestEntry,
    DigestView,
    Link,
    OperationalView,
    Outgoing,
)
from deadlinewatch.delivery.email_rendering import MAX_SUBJECT, render_email
from deadlinewatch.delivery.rendering import (
    MAX_BLOCKS,
    MAX_HEADER,
    MAX_TEXT,
    event_label,
    fit,
    mrkdwn_escape,
    render_slack,
    render_text_line,
)
from deadlinewatch.domain.events import (
    ChannelFailing,
    ConfigError,
    DeadlineChanged,
    Digest,
    Escalation,
    EventData,
    Evidence,
    Overdue,
    Reminder,
    Review,
    SourceFailing,
    SourceRecovered,
    StatusChanged,
    WindowOpen,
    kind_of,
)
from deadlinewatch.domain.model import EventKind

AT = datetime(2016, 9, 1, tzinfo=UTC)
# Our own links are the only "<...>" allowed in mrkdwn: <http(s)://URL-without-brackets|label>.
OWN_LINK = re.compile(r"<https?://[^<>|\s]+\|[^<>]*>")
NASTY = st.sampled_from(
    ["<!channel>", "<@U123>", "<https://evil.example|click>", "&", "&amp;", "<", ">", "\n", "`*_~"]
)
text = st.lists(st.one_of(st.text(max_size=40), NASTY), max_size=8).map("".join)
long_text = st.one_of(text, st.text(min_size=2000, max_size=5000), st.just("&" * 3500), st.just("<" * 3100))
urls = st.one_of(
    text,
    st.just("https://example.org/a?x=1&y=2|z>"),
    st.just("javascript:alert(1)"),
    st.builds(lambda tail: f"https://example.org/{tail}", text),
)
links = st.lists(st.builds(Link, urls, long_text), max_size=5)
views = st.builds(
    CommitmentView,
    id=text,
    title=long_text,
    status=text,
    deadline_words=text,
    relative_words=st.none() | text,
    agreement_title=st.none() | long_text,
    parties=st.lists(long_text, max_size=4).map(tuple),
    links=links.map(tuple),
)
entries = st.lists(st.builds(DigestEntry, text, long_text, text), max_size=80).map(tuple)
digests = st.builds(DigestView, overdue=entries, closing=entries, horizon_words=st.none() | text)
operational = st.builds(OperationalView, subject=text, detail=long_text)
DUE = "2016-08-31T21:00:00Z"
events_by_kind: dict[EventKind, st.SearchStrategy[EventData]] = {
    EventKind.REMINDER: st.builds(Reminder, st.just(DUE), text),
    EventKind.WINDOW_OPEN: st.builds(WindowOpen, st.just(DUE), st.just(DUE)),
    EventKind.OVERDUE: st.builds(Overdue, st.just(DUE), st.integers(0, 100)),
    EventKind.ESCALATION: st.builds(Escalation, st.just(DUE)),
    EventKind.REVIEW: st.builds(Review, st.integers(1, 100)),
    EventKind.STATUS_CHANGED: st.builds(
        StatusChanged,
        previous=text,
        status=text,
        at=st.none() | text,
        note=st.none() | long_text,
        url=st.none() | urls,
        verified=st.booleans(),
        origin=text,
        actor=st.none() | long_text,
    ),
    EventKind.DEADLINE_CHANGED: st.builds(DeadlineChanged, st.none() | text, st.none() | text),
    EventKind.EVIDENCE: st.builds(Evidence, text, long_text, st.none() | urls),
    EventKind.SOURCE_FAILING: st.builds(SourceFailing, long_text),
    EventKind.SOURCE_RECOVERED: st.builds(SourceRecovered, st.none() | long_text),
    EventKind.CHANNEL_FAILING: st.builds(ChannelFailing, text, long_text),
    EventKind.CONFIG_ERROR: st.builds(
        ConfigError, text, st.integers(0, 10**6), st.integers(0, 999), long_text
    ),
    EventKind.DIGEST: st.builds(Digest, st.lists(text).map(tuple), st.lists(text).map(tuple)),
}


@st.composite
def messages(draw: st.DrawFn) -> Outgoing:
    kind = draw(st.sampled_from(list(EventKind)))
    return Outgoing(
        key=draw(text),
        event=kind,
        subscription=draw(text),
        channel=draw(text),
        occurred=AT,
        send_at=AT,
        data=draw(events_by_kind[kind]),
        commitment=draw(st.none() | views),
        digest=draw(digests) if kind is EventKind.DIGEST else None,
        operational=draw(operational) if kind.value.startswith(("source", "channel", "config")) else None,
        thread_ts=None,
        actions=draw(st.booleans()),
    )


def text_objects(node: Any) -> list[dict[str, Any]]:
    """Every text object ({"type": "plain_text"|"mrkdwn", "text": ...}) in a block tree."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") in {"plain_text", "mrkdwn"} and isinstance(node.get("text"), str):
            found.append(node)
        for value in node.values():
            found.extend(text_objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(text_objects(value))
    return found


def assert_inert(mrkdwn: str) -> None:
    rest = OWN_LINK.sub("", mrkdwn)
    assert "<" not in rest and ">" not in rest, mrkdwn
    assert re.search(r"&(?!amp;|lt;|gt;)", mrkdwn) is None, mrkdwn
    for link in OWN_LINK.findall(mrkdwn):
        assert re.search(r"&(?!amp;|lt;|gt;)", link) is None


@settings(max_examples=300, deadline=None)
@given(messages())
def test_slack_message_is_inert_and_within_limits(message: Outgoing) -> None:
    rendered = render_slack(message)
    assert len(rendered.blocks) <= MAX_BLOCKS
    assert_inert(rendered.text)
    assert len(rendered.text) <= MAX_TEXT
    for obj in text_objects(rendered.blocks):
        assert len(obj["text"]) <= MAX_TEXT
        if obj["type"] == "mrkdwn":
            assert_inert(obj["text"])
    for block in rendered.blocks:
        if block["type"] == "header":
            assert 0 < len(block["text"]["text"]) <= MAX_HEADER
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
        if block["type"] == "actions":
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= 75 and len(element["value"]) <= 2000
    line = render_text_line(message)
    assert "\n" not in line and "\r" not in line


@settings(max_examples=100, deadline=None)
@given(messages())
def test_email_is_escaped_and_subject_is_one_line(message: Outgoing) -> None:
    content = render_email(message)
    assert len(content.subject) <= MAX_SUBJECT
    assert "\n" not in content.subject and "\r" not in content.subject
    html = content.html
    assert "<!channel>" not in html and "<@U123>" not in html and "<script" not in html.lower()
    assert "evil.example|click>" not in html
    for href in re.findall(r'href="([^"]*)"', content.html):
        assert href.startswith(("http://", "https://"))


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_fit_never_leaves_half_an_escape(raw: str, limit: int) -> None:
    cut = fit(mrkdwn_escape(raw), limit)
    assert len(cut) <= limit
    assert re.search(r"&(?!amp;|lt;|gt;)", cut) is None


def overdue(repeat: int) -> Outgoing:
    return Outgoing("k", EventKind.OVERDUE, "s", "c", AT, AT, Overdue(DUE, repeat))


def test_event_labels() -> None:
    def label(data: EventData) -> str:
        return event_label(Outgoing("k", kind_of(data), "s", "c", AT, AT, data))

    assert label(Reminder(DUE, "7d")) == "Reminder: 1 week left"
    assert label(Reminder(DUE, "30d")) == "Reminder: 30 days left"
    assert event_label(overdue(0)) == "Overdue" and event_label(overdue(3)) == "Overdue (repeat 3)"
    assert label(Escalation(DUE)) == "Escalation"
    assert label(StatusChanged("not_started", "missed")) == "Status changed: not started → missed"
    assert label(DeadlineChanged(None, DUE)) == "Deadline changed"
    assert label(Review(4)) == "Review #4"
    assert label(Evidence("un", "Draft constitution\npublished")) == "Evidence: Draft constitution published"
    assert label(Digest(("a",), ("b", "c"))) == "Digest: 1 overdue, 2 closing"
    assert label(SourceFailing("HTTP 500")) == "Source failing"


def test_long_title_is_truncated_with_a_pointer_to_show() -> None:
    view = CommitmentView("syria-x", "T" * 5000, "missed", "by end of 2016, UTC")
    message = Outgoing("k", EventKind.ESCALATION, "s", "c", AT, AT, Escalation(DUE), commitment=view)
    blocks = render_slack(message).blocks
    assert blocks[0]["text"]["text"].endswith("…") and len(blocks[0]["text"]["text"]) == MAX_HEADER
    assert blocks[1]["text"]["text"].endswith("… (truncated, see deadlinewatch show syria-x)")


def test_large_digest_fits_in_fifty_blocks() -> None:
    many = tuple(DigestEntry(f"id-{i}", "x" * 400, "by end of 2016, UTC") for i in range(2000))
    ids = tuple(e.id for e in many)
    message = Outgoing(
        "k", EventKind.DIGEST, "s", "c", AT, AT, Digest(ids, ids), digest=DigestView(many, many, "30 days")
    )
    blocks = render_slack(message).blocks
    assert len(blocks) == MAX_BLOCKS
    assert "truncated" in str(blocks)


def test_buttons_only_when_asked() -> None:
    view = CommitmentView("syria-x", "T", "missed", "by end of 2016, UTC")
    with_buttons = render_slack(
        Outgoing("k", EventKind.OVERDUE, "s", "c", AT, AT, Overdue(DUE, 1), commitment=view, actions=True)
    )
    without = render_slack(
        Outgoing("k", EventKind.OVERDUE, "s", "c", AT, AT, Overdue(DUE, 1), commitment=view)
    )
    actions = [b for b in with_buttons.blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [
        "deadlinewatch.ack",
        "deadlinewatch.snooze_7d",
        "deadlinewatch.fulfilled",
        "deadlinewatch.unack",
        "deadlinewatch.unsnooze",
    ]
    assert all(e["value"] == "syria-x" for e in actions[0]["elements"])
    assert not [b for b in without.blocks if b["type"] == "actions"]


def test_a_late_reminder_or_overdue_says_it_is_late_instead_of_a_stale_countdown() -> None:
    later = AT + timedelta(days=22)
    reminder = Outgoing("k", EventKind.REMINDER, "s", "c", AT, later, Reminder(DUE, "30d"))
    assert event_label(reminder) == "Reminder (30d before the deadline, due 2016-09-01T00:00:00Z; sent late)"
    caught_up = Outgoing("k", EventKind.OVERDUE, "s", "c", AT, later, Overdue(DUE, 4))
    assert event_label(caught_up) == "Overdue (catch-up: repeat 4 fell due 2016-09-01T00:00:00Z; sent late)"
    on_time = Outgoing("k", EventKind.REMINDER, "s", "c", AT, AT + timedelta(seconds=1), Reminder(DUE, "30d"))
    assert event_label(on_time) == "Reminder: 30 days left"
