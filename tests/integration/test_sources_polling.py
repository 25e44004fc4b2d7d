"""SourcePoller end to end: real local HTTP servers, a real store (SQLite; PostgreSQL when set)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deadlinewatch.config.schema import FeedSource, FileSource, HttpJsonSource, SourceConfig
from deadlinewatch.domain.events import EventData, Evidence, SourceFailing, kind_of
from deadlinewatch.domain.model import EventKind, Status
from deadlinewatch.services.polling import PollOutcome, PollReport, SourcePoller
from deadlinewatch.sources.fetch import make_client
from deadlinewatch.storage import Store
from support.http_server import LocalHttpServer

COMMITMENTS = ("syria-draft-constitution", "syria-detainee-releases", "syria-elections")
START = datetime(2016, 3, 25, 12, 0, tzinfo=UTC)


@dataclass
class Emitted:
    kind: EventKind
    subject: str
    occurred: datetime
    data: EventData
    detail: str | None


@dataclass
class Harness:
    """Everything the wiring would give a poller, recorded for assertions."""

    store: Store
    now: datetime = START
    events: list[Emitted] = field(default_factory=list)
    status_callbacks: int = 0

    def emit(self, subject: str, occurred: datetime, data: EventData, detail: str | None) -> None:
        self.events.append(Emitted(kind_of(data), subject, occurred, data, detail))

    def current_status(self, commitment_id: str) -> Status:
        changes = self.store.status_changes(commitment_id)
        return changes[-1].status if changes else Status.NOT_STARTED

    def on_status_change(self) -> None:
        self.status_callbacks += 1

    def of(self, kind: EventKind) -> list[Emitted]:
        return [e for e in self.events if e.kind is kind]

    def poll(self, source: SourceConfig, **kwargs: Any) -> PollReport:
        """A fresh client and poller each time, as after a restart (state is only in the store)."""

        async def run() -> PollReport:
            async with make_client() as client:
                poller = SourcePoller(
                    self.store,
                    client,
                    clock=lambda: self.now,
                    current_status=self.current_status,
                    commitment_ids=lambda: COMMITMENTS,
                    emit=self.emit,
                    on_status_change=self.on_status_change,
                    **kwargs,
                )
                return await poller.poll(source)

        report = asyncio.run(run())
        self.now += timedelta(minutes=30)
        return report


@pytest.fixture
def harness(store: Store) -> Harness:
    return Harness(store)


@pytest.fixture
def server() -> Iterator[LocalHttpServer]:
    with LocalHttpServer() as running:
        yield running


def rss(*items: tuple[str, str, str]) -> str:
    """An RSS 2.0 document of (guid, title, link) items."""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>{link}</link>"
        f"<pubDate>Mon, 01 Aug 2016 09:00:00 GMT</pubDate><description>{title}</description></item>"
        for guid, title, link in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>UN</title>{body}</channel></rss>'


def feed_source(url: str, *, timeout: str = "5s", set_status: str | None = None) -> FeedSource:
    rule: dict[str, object] = {"match": "(?i)draft constitution", "commitments": ["syria-draft-constitution"]}
    if set_status:
        rule["set_status"] = set_status
    return FeedSource.model_validate(
        {"id": "un-news", "type": "feed", "url": url, "timeout": timeout, "rules": [rule]}
    )


def json_source(url: str, **extra: object) -> HttpJsonSource:
    return HttpJsonSource.model_validate(
        {
            "id": "tracker",
            "type": "http_json",
            "url": url,
            "timeout": "5s",
            "status": "items[?id=='{id}'].state | [0]",
            "map": {"done": "fulfilled", "working": "in_progress", "none": "not_started"},
            **extra,
        }
    )


OLD = ("un-1", "Security Council meets", "https://example.org/1")
MATCH = ("un-2", "Parties exchange a Draft Constitution text", "https://example.org/2")


# --- feeds ---------------------------------------------------------------------------------------


def test_feed_first_poll_is_a_baseline_then_a_new_matching_item_is_one_evidence(
    harness: Harness, server: LocalHttpServer
) -> None:
    source = feed_source(server.url("/feed.xml"))
    server.serve("/feed.xml", rss(OLD, ("un-0", "An old draft constitution story", "https://example.org/0")))
    first = harness.poll(source)
    assert first.outcome is PollOutcome.UPDATED and first.baseline
    assert harness.events == []

    server.serve("/feed.xml", rss(MATCH, OLD))
    second = harness.poll(source)
    assert second.ok and second.evidence == 1 and second.new_items == 1
    [evidence] = harness.of(EventKind.EVIDENCE)
    assert evidence.subject == "syria-draft-constitution"
    assert isinstance(evidence.data, Evidence)
    assert evidence.data.link == "https://example.org/2"
    assert evidence.data.title == MATCH[1]
    assert evidence.data.matched == "Draft Constitution"
    assert evidence.data.published == "2016-08-01T09:00:00Z"

    # A restart: a new client and poller on the same store. Nothing is new.
    again = harness.poll(source)
    assert again.ok and again.evidence == 0 and again.new_items == 0
    assert len(harness.of(EventKind.EVIDENCE)) == 1


def test_feed_rule_with_set_status_records_one_change_dated_by_the_item(
    harness: Harness, server: LocalHttpServer
) -> None:
    source = feed_source(server.url("/feed.xml"), set_status="in_progress")
    server.serve("/feed.xml", rss(OLD))
    harness.poll(source)
    server.serve("/feed.xml", rss(MATCH, OLD))
    report = harness.poll(source)
    assert report.status_changes == 1 and harness.status_callbacks == 1
    [change] = harness.store.status_changes("syria-draft-constitution")
    assert change.status is Status.IN_PROGRESS
    assert change.origin == "un-news"
    assert change.url == "https://example.org/2"
    assert change.note == MATCH[1]
    assert change.at == datetime(2016, 3, 25, 12, 30, tzinfo=UTC)  # published later than now: clamped
    assert harness.of(EventKind.EVIDENCE) == []


def test_etag_304_skips_parsing(harness: Harness, server: LocalHttpServer) -> None:
    source = feed_source(server.url("/feed.xml"))
    server.serve("/feed.xml", rss(OLD), etag='"v1"', last_modified="Mon, 01 Aug 2016 09:00:00 GMT")
    assert harness.poll(source).outcome is PollOutcome.UPDATED
    state = harness.store.source_state("un-news")
    assert state is not None and state.etag == '"v1"'

    report = harness.poll(source)
    assert report.outcome is PollOutcome.NOT_MODIFIED
    assert server.answered("/feed.xml", 304) == 1
    last = server.requests[-1]
    assert last.headers.get("If-None-Match") == '"v1"'
    assert last.headers.get("If-Modified-Since") == "Mon, 01 Aug 2016 09:00:00 GMT"

    # An unparseable body behind the same ETag is never read: proof that a 304 skips parsing.
    server.serve("/feed.xml", "<rss><<<", etag='"v1"')
    assert harness.poll(source).outcome is PollOutcome.NOT_MODIFIED


# --- JSON endpoints ------------------------------------------------------------------------------


def tracker(**states: str) -> str:
    import json

    return json.dumps({"items": [{"id": cid, "state": state} for cid, state in states.items()]})


def test_json_endpoint_flipping_to_fulfilled_records_one_change(
    harness: Harness, server: LocalHttpServer
) -> None:
    source = json_source(server.url("/status.json"))
    server.serve("/status.json", tracker(**{"syria-elections": "none"}), content_type="application/json")
    assert harness.poll(source).status_changes == 0

    server.serve("/status.json", tracker(**{"syria-elections": "done"}), content_type="application/json")
    report = harness.poll(source)
    assert report.ok and report.status_changes == 1 and harness.status_callbacks == 1
    [change] = harness.store.status_changes("syria-elections")
    assert change.status is Status.FULFILLED
    assert change.origin == "tracker"
    assert change.url == server.url("/status.json")

    again = harness.poll(source)
    assert again.ok and again.status_changes == 0
    assert len(harness.store.status_changes("syria-elections")) == 1
    assert harness.status_callbacks == 1


def test_json_headers_are_sent(harness: Harness, server: LocalHttpServer) -> None:
    source = json_source(server.url("/status.json"), headers={"Authorization": "Bearer abc"})
    server.serve("/status.json", tracker(**{"syria-elections": "working"}), content_type="application/json")
    assert harness.poll(source).status_changes == 1
    assert server.requests[-1].headers.get("Authorization") == "Bearer abc"
    assert server.requests[-1].headers.get("User-Agent", "").startswith("deadlinewatch/")


def test_json_value_missing_from_map_fails_naming_it_and_applies_the_others(
    harness: Harness, server: LocalHttpServer
) -> None:
    source = json_source(server.url("/status.json"))
    body = tracker(**{"syria-elections": "done", "syria-detainee-releases": "postponed-indefinitely"})
    server.serve("/status.json", body, content_type="application/json")
    report = harness.poll(source)
    assert report.outcome is PollOutcome.FAILED
    assert (
        report.reason is not None and "'postponed-indefinitely'" in report.reason and "map" in report.reason
    )
    assert "syria-detainee-releases" in report.reason
    assert [c.status for c in harness.store.status_changes("syria-elections")] == [Status.FULFILLED]
    state = harness.store.source_state("tracker")
    assert state is not None and state.consecutive_failures == 1 and state.last_error == report.reason


# --- hostile sources -----------------------------------------------------------------------------

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + ']><rss version="2.0"><channel><item><title>&lol9;</title></item></channel></rss>'
)


@pytest.mark.parametrize(
    ("name", "script", "expected"),
    [
        ("50 MB body", lambda s: s.serve_huge("/x", 50 * 1024 * 1024), "body larger than 5 MB"),
        (
            "50 MB body, declared",
            lambda s: s.serve_huge("/x", 50 * 1024 * 1024, declare_length=True),
            "body larger than 5 MB",
        ),
        ("never-ending body", lambda s: s.serve_slow_forever("/x"), "timed out after 1 s"),
        ("invalid XML", lambda s: s.serve("/x", "<rss><<<"), "invalid XML: not well-formed"),
        ("truncated XML", lambda s: s.serve("/x", "<rss><channel><item><title>oops</chan"), "invalid XML"),
        ("garbage", lambda s: s.serve("/x", "\x00\xff\xfe garbage"), "invalid XML"),
        (
            "XML entity bomb",
            lambda s: s.serve("/x", BOMB),
            "invalid XML: the document declares its own entities",
        ),
        (
            "an HTML page",
            lambda s: s.serve("/x", "<html><body>hi</body></html>", content_type="text/html"),
            "not a feed",
        ),
        ("redirect loop", lambda s: s.redirect("/x", "/x"), "redirect loop"),
        ("HTTP 500", lambda s: s.serve("/x", "boom", status=500), "HTTP 500"),
    ],
)
def test_hostile_feed_fails_with_a_clear_reason(
    harness: Harness,
    server: LocalHttpServer,
    name: str,
    script: Callable[[LocalHttpServer], None],
    expected: str,
) -> None:
    script(server)
    report = harness.poll(feed_source(server.url("/x"), timeout="1s"))
    assert report.outcome is PollOutcome.FAILED, name
    assert report.reason is not None and report.reason.startswith(expected), report.reason
    state = harness.store.source_state("un-news")
    assert state is not None and state.consecutive_failures == 1 and state.last_error == report.reason


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '{"something": ["else"]}',
            "JSON of the wrong shape: the response is not the shape the expression expects",
        ),
        ("[1, 2, 3]", "JSON of the wrong shape"),
        ("{not json", "invalid JSON"),
        ('{"items": [{"id": "syria-elections", "state": {"nested": 1}}]}', "JSON of the wrong shape"),
    ],
)
def test_hostile_json_fails_with_a_clear_reason(
    harness: Harness, server: LocalHttpServer, body: str, expected: str
) -> None:
    server.serve("/status.json", body, content_type="application/json")
    report = harness.poll(json_source(server.url("/status.json")))
    assert report.outcome is PollOutcome.FAILED
    assert report.reason is not None and report.reason.startswith(expected), report.reason
    assert harness.store.status_changes() == []


def test_a_hostile_source_does_not_stop_the_next_poll(harness: Harness, server: LocalHttpServer) -> None:
    server.serve_slow_forever("/slow")
    server.serve("/status.json", tracker(**{"syria-elections": "done"}), content_type="application/json")

    async def both() -> list[PollReport]:
        async with make_client() as client:
            poller = SourcePoller(
                harness.store,
                client,
                clock=lambda: harness.now,
                current_status=harness.current_status,
                commitment_ids=lambda: COMMITMENTS,
                emit=harness.emit,
                on_status_change=harness.on_status_change,
            )
            return await asyncio.gather(
                poller.poll(feed_source(server.url("/slow"), timeout="1s")),
                poller.poll(json_source(server.url("/status.json"))),
            )

    slow, good = asyncio.run(both())
    assert slow.outcome is PollOutcome.FAILED and good.status_changes == 1


# --- health --------------------------------------------------------------------------------------


def test_three_failures_raise_one_source_failing_and_a_success_one_source_recovered(
    harness: Harness, server: LocalHttpServer
) -> None:
    source = feed_source(server.url("/feed.xml"))
    server.serve("/feed.xml", "", status=503)
    for _ in range(5):
        assert harness.poll(source).outcome is PollOutcome.FAILED
    [failing] = harness.of(EventKind.SOURCE_FAILING)
    assert failing.subject == "un-news"
    assert failing.detail == "HTTP 503 Service Unavailable"
    assert failing.data == SourceFailing("HTTP 503 Service Unavailable")
    state = harness.store.source_state("un-news")
    assert state is not None and state.failing and state.consecutive_failures == 5

    server.serve("/feed.xml", rss(OLD))
    report = harness.poll(source)
    assert report.ok and report.events == (EventKind.SOURCE_RECOVERED,)
    [recovered] = harness.of(EventKind.SOURCE_RECOVERED)
    assert recovered.subject == "un-news" and recovered.detail is not None
    assert harness.poll(source).events == ()
    assert len(harness.of(EventKind.SOURCE_RECOVERED)) == 1
    state = harness.store.source_state("un-news")
    assert state is not None and not state.failing and state.consecutive_failures == 0


def test_health_survives_a_restart(harness: Harness, server: LocalHttpServer) -> None:
    source = feed_source(server.url("/feed.xml"))
    server.serve("/feed.xml", "", status=500)
    harness.poll(source)
    harness.poll(source)  # each poll uses a new poller and client: only the store remembers
    assert harness.of(EventKind.SOURCE_FAILING) == []
    report = harness.poll(source)
    assert report.events == (EventKind.SOURCE_FAILING,)


def test_a_failed_poll_keeps_the_old_validators(harness: Harness, server: LocalHttpServer) -> None:
    source = feed_source(server.url("/feed.xml"))
    server.serve("/feed.xml", rss(OLD), etag='"good"')
    harness.poll(source)
    server.serve("/feed.xml", "<rss><broken", etag='"bad"')
    assert harness.poll(source).outcome is PollOutcome.FAILED
    state = harness.store.source_state("un-news")
    assert state is not None and state.etag == '"good"'
    # The server still has the broken document: it is fetched (not a 304) and fails again.
    assert harness.poll(source).outcome is PollOutcome.FAILED


# --- files ---------------------------------------------------------------------------------------


def test_file_source_applies_good_rows_and_reports_bad_ones_with_their_line(
    harness: Harness, tmp_path: Path
) -> None:
    harness.now = datetime(2016, 6, 1, tzinfo=UTC)
    path = tmp_path / "statuses.csv"
    path.write_text(
        "id,status,at,note,url\n"
        "syria-elections,in_progress,2016-04-01,campaign opened,https://example.org/e\n"
        "no-such-commitment,fulfilled,,,\n"
        "syria-detainee-releases,sort-of,,,\n"
        "syria-detainee-releases,partial,2016-04-02T10:00:00Z,,\n"
    )
    source = FileSource.model_validate({"id": "desk-file", "type": "file", "path": str(path)})
    report = harness.poll(source)
    assert report.ok and report.status_changes == 2
    assert [p.split(":")[0] for p in report.problems] == ["line 3", "line 4"]
    assert "unknown commitment 'no-such-commitment'" in report.problems[0]
    assert "unknown status 'sort-of'" in report.problems[1]
    [election] = harness.store.status_changes("syria-elections")
    assert election.status is Status.IN_PROGRESS and election.origin == "desk-file"
    assert election.at == datetime(2016, 4, 1, tzinfo=UTC) and election.note == "campaign opened"
    state = harness.store.source_state("desk-file")
    assert state is not None and state.last_error is not None and "line 3" in state.last_error

    unchanged = harness.poll(source)
    assert unchanged.outcome is PollOutcome.NOT_MODIFIED and unchanged.status_changes == 0
    state = harness.store.source_state("desk-file")
    assert state is not None and state.last_error is not None and "line 4" in state.last_error

    path.write_text(path.read_text() + "syria-elections,fulfilled,2016-05-01,,\n")
    changed = harness.poll(source)
    assert changed.status_changes == 1
    assert [c.status for c in harness.store.status_changes("syria-elections")] == [
        Status.IN_PROGRESS,
        Status.FULFILLED,
    ]


def test_yaml_file_source_and_a_missing_file(harness: Harness, tmp_path: Path) -> None:
    path = tmp_path / "statuses.yaml"
    path.write_text(
        "- {id: syria-elections, status: fulfilled, at: 2016-06-01}\n"
        "- {id: syria-elections, status: nope}\n"
        "- {id: syria-draft-constitution, status: contested, colour: red}\n"
    )
    source = FileSource.model_validate({"id": "desk-yaml", "type": "file", "path": str(path)})
    report = harness.poll(source)
    assert report.status_changes == 1
    assert [p.split(":")[0] for p in report.problems] == ["line 2", "line 3"]

    missing = FileSource.model_validate({"id": "gone", "type": "file", "path": str(tmp_path / "nope.csv")})
    failed = harness.poll(missing)
    assert failed.outcome is PollOutcome.FAILED and failed.reason is not None
    assert failed.reason.startswith("cannot read")
