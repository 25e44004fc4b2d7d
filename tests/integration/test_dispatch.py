"""The dispatcher against real local servers (Slack Web API stand-in, aiosmtpd) on every backend.

Time is driven by an injected clock: retries become due by moving the clock, never by sleeping.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
from aiosmtpd.controller import Controller
from sqlalchemy import event

from deadlinewatch.delivery.base import Channel
from deadlinewatch.delivery.email import EmailChannel, SmtpSettings
from deadlinewatch.delivery.slack import SlackChannel
from deadlinewatch.domain.briefs import CommitmentBrief, LinkBrief
from deadlinewatch.domain.events import EventData, Overdue, Reminder
from deadlinewatch.domain.model import EventKind
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.services.backoff import Backoff
from deadlinewatch.services.dispatch import TERMINAL_AT_RELEASE, Dispatcher, failing_state_key
from deadlinewatch.storage import NotificationRecord, NotificationState, Store, new_notifications
from support.slack_api import SlackApiServer
from support.smtp import CollectingHandler, RunningSmtp, free_port

T = TypeVar("T")
START = datetime(2016, 9, 3, 6, 0, tzinfo=UTC)
HOSTILE = "Release <!channel> <@U123> <https://evil.example|click> & detainees"


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class FailingCalls:
    calls: list[tuple[str, str, datetime]] = field(default_factory=list)

    def __call__(self, channel: str, error: str, now: datetime) -> None:
        self.calls.append((channel, error, now))


def context(commitment_id: str, title: str = "Release of detainees") -> CommitmentBrief:
    return CommitmentBrief(
        id=commitment_id,
        title=title,
        status="not_started",
        deadline_words="by end of August 2016, Damascus time",
        agreement_title="US–Russia understanding on Syria",
        parties=("Syrian government", "<!here> opposition"),
        links=(LinkBrief("https://example.org/a?x=1&y=2", "agreement"),),
        due="2016-08-31T21:00:00Z",
        overdue_from="2016-08-31T21:00:00Z",
    )


def insert(
    store: Store,
    channels: Sequence[str],
    *,
    subject: str = "syria-detainee-releases",
    event: EventKind = EventKind.OVERDUE,
    occurred: datetime = START - timedelta(hours=1),
    title: str = "Release of detainees",
    data: EventData | None = None,
) -> None:
    notice = Notice(
        subscription="syria-desk",
        channels=tuple(channels),
        event=event,
        subject=subject,
        occurred=occurred,
        send_at=occurred,
        data=data if data is not None else Overdue("2016-08-31T21:00:00Z", 0),
    )
    assert store.insert_notifications(new_notifications(notice, context(subject, title))) == len(channels)


def slack(
    api: SlackApiServer, session: aiohttp.ClientSession, name: str = "slack", **kw: Any
) -> SlackChannel:
    options: dict[str, Any] = {"token": "xoxb-test", "channel": "#syria-watch", "pace": 0, **kw}
    return SlackChannel(name=name, session=session, api_url=api.api_url, **options)


def email(port: int, name: str = "mail") -> EmailChannel:
    settings = SmtpSettings(host="127.0.0.1", port=port, sender="deadlinewatch@example.org", timeout=5)
    return EmailChannel(name=name, to=["desk@example.org"], smtp=settings, clock=lambda: START)


def dispatcher(
    store: Store,
    channels: dict[str, Channel],
    clock: Callable[[], datetime],
    *,
    skipped: dict[str, str] | None = None,
    owner: str = "replica-1",
    failing: FailingCalls | None = None,
    is_relevant: Callable[[NotificationRecord, datetime], bool] = lambda record, now: True,
    **kw: Any,
) -> Dispatcher:
    return Dispatcher(
        store,
        channels,
        skipped or {},
        clock=clock,
        owner=owner,
        is_relevant=is_relevant,
        on_channel_failing=failing if failing is not None else FailingCalls(),
        **kw,
    )


def with_session(action: Callable[[aiohttp.ClientSession], Awaitable[T]]) -> T:
    async def main() -> T:
        async with aiohttp.ClientSession(trust_env=False) as session:
            return await action(session)

    return asyncio.run(main())


def states(store: Store) -> dict[str, int]:
    counts = store.counts_by_state()
    return {state.value: n for state, n in counts.items() if n}


def mrkdwn_texts(value: Any) -> list[str]:
    """Every mrkdwn text object in a Block Kit structure."""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        for item in value.values():
            found.extend(mrkdwn_texts(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(mrkdwn_texts(item))
    return found


def keys_posted(api: SlackApiServer) -> list[str]:
    return [body["metadata"]["event_payload"]["key"] for body in api.posted()]


# --- exactly once, escaped, text + HTML ------------------------------------------------------------


def test_due_rows_are_delivered_once_to_slack_and_email(
    store: Store, slack_api: SlackApiServer, smtp: RunningSmtp
) -> None:
    insert(store, ["slack", "mail"], title=HOSTILE)
    clock = Clock()

    async def action(session: aiohttp.ClientSession) -> tuple[int, int]:
        d = dispatcher(store, {"slack": slack(slack_api, session), "mail": email(smtp.port)}, clock)
        first = await d.deliver_once()
        clock.advance(hours=1)
        second = await d.deliver_once()
        return first, second

    assert with_session(action) == (2, 0)
    assert states(store) == {"sent": 2}
    [posted] = slack_api.posted()
    mrkdwn = [posted["text"], *mrkdwn_texts(posted["blocks"])]
    assert any("&lt;!channel&gt; &lt;@U123&gt;" in text for text in mrkdwn)
    for text in mrkdwn:  # mrkdwn is where Slack would ping or link; plain_text is never parsed
        assert "<!channel>" not in text and "<@U123>" not in text and "<!here>" not in text
        assert "<https://evil.example" not in text
    assert "days overdue" in json.dumps(posted)  # relative words computed at send time
    [mail] = smtp.handler.messages
    assert mail.message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in mail.message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    html = mail.message.get_body(("html",))
    assert html is not None and "<!channel>" not in html.get_content()
    for record in store.list_notifications():
        assert record.state is NotificationState.SENT and record.sent_at == START and record.attempts == 1


def test_rows_not_yet_due_wait(store: Store, slack_api: SlackApiServer) -> None:
    insert(store, ["slack"], occurred=START + timedelta(minutes=5))
    clock = Clock()

    async def action(session: aiohttp.ClientSession) -> list[int]:
        d = dispatcher(store, {"slack": slack(slack_api, session)}, clock)
        counts = [await d.deliver_once()]
        clock.advance(minutes=5)
        counts.append(await d.deliver_once())
        return counts

    assert with_session(action) == [0, 1]
    assert len(slack_api.posted()) == 1


# --- transient errors: 429 with Retry-After, then 5xx ----------------------------------------------


def test_rate_limit_then_server_errors_retry_until_delivered_once(
    store: Store, slack_api: SlackApiServer
) -> None:
    insert(store, ["slack"])
    slack_api.fail_next(429, retry_after=30)
    slack_api.fail_next(500, count=3)
    clock = Clock()
    seen: list[NotificationRecord] = []

    async def action(session: aiohttp.ClientSession) -> None:
        d = dispatcher(store, {"slack": slack(slack_api, session)}, clock)
        for _ in range(20):
            await d.deliver_once()
            [record] = store.list_notifications()
            seen.append(record)
            if record.state is NotificationState.SENT:
                return
            clock.advance(minutes=10)

    with_session(action)
    final = seen[-1]
    assert final.state is NotificationState.SENT and final.attempts == 5
    after_429 = seen[0]
    assert after_429.state is NotificationState.PENDING and "429" in (after_429.last_error or "")
    assert after_429.next_attempt_at >= START + timedelta(seconds=30)  # Retry-After is a floor
    assert "500" in (seen[1].last_error or "")
    assert len(slack_api.posted()) == 5
    assert len(set(keys_posted(slack_api))) == 1


def test_unexpected_channel_exception_is_transient(store: Store) -> None:
    class Broken:
        name = "broken"

        async def send(self, message: Any) -> Any:
            raise RuntimeError("boom")

        async def aclose(self) -> None:
            return None

    insert(store, ["broken"])
    clock = Clock()

    async def main() -> None:
        await dispatcher(store, {"broken": Broken()}, clock).deliver_once()

    asyncio.run(main())
    [record] = store.list_notifications()
    assert record.state is NotificationState.PENDING
    assert "RuntimeError('boom')" in (record.last_error or "")


def test_retries_give_up_after_the_backoff_window(store: Store, slack_api: SlackApiServer) -> None:
    insert(store, ["slack"])
    slack_api.fail_next(500, count=10)
    clock = Clock()
    backoff = Backoff(give_up_after=timedelta(hours=1), min_attempts=3)

    async def action(session: aiohttp.ClientSession) -> None:
        d = dispatcher(store, {"slack": slack(slack_api, session)}, clock, backoff=backoff)
        for _ in range(10):
            await d.deliver_once()
            clock.advance(minutes=30)

    with_session(action)
    [record] = store.list_notifications(failed_only=True)
    assert record.attempts == 3 and "gave up after 1 h" in (record.last_error or "")


# --- permanent errors: failed, listed, channel_failing once --------------------------------------


def test_invalid_auth_fails_rows_and_raises_channel_failing_once(
    store: Store, slack_api: SlackApiServer
) -> None:
    for i in range(30):
        insert(store, ["bad-slack"], subject=f"c{i}")
    clock = Clock()
    failing = FailingCalls()

    async def action(session: aiohttp.ClientSession) -> None:
        bad = slack(slack_api, session, name="bad-slack", token="xoxb-revoked")
        await dispatcher(store, {"bad-slack": bad}, clock, failing=failing).deliver_once()
        # A restarted dispatcher (fresh memory) finds the failing mark in the store.
        insert(store, ["bad-slack"], subject="later")
        clock.advance(minutes=1)
        await dispatcher(store, {"bad-slack": bad}, clock, failing=failing).deliver_once()

    with_session(action)
    failed = store.list_notifications(failed_only=True)
    assert len(failed) == 31
    assert all("invalid_auth" in (r.last_error or "") for r in failed)
    assert "xoxb-revoked" not in json.dumps([r.last_error for r in failed])
    assert [(c, now) for c, _, now in failing.calls] == [("bad-slack", START)]
    assert "invalid_auth" in failing.calls[0][1]
    assert store.get_state(failing_state_key("bad-slack"))["error"] == failing.calls[0][1]


def test_failing_mark_clears_on_success_and_a_later_failure_raises_again(
    store: Store, slack_api: SlackApiServer
) -> None:
    clock = Clock()
    failing = FailingCalls()

    async def action(session: aiohttp.ClientSession) -> None:
        channel = slack(slack_api, session, name="s")
        d = dispatcher(store, {"s": channel}, clock, failing=failing)
        for round, answer in enumerate(["invalid_auth", None, "channel_not_found"]):
            if answer is not None:
                slack_api.fail_next(200, error=answer)
            insert(store, ["s"], subject=f"c{round}")
            await d.deliver_once()
            clock.advance(minutes=1)
            if answer is None:
                assert store.get_state(failing_state_key("s")) is None

    with_session(action)
    assert [c for c, _, _ in failing.calls] == ["s", "s"]
    assert "channel_not_found" in failing.calls[1][1]


# --- SMTP outage -----------------------------------------------------------------------------------


def test_smtp_down_then_up_every_email_arrives_once(store: Store) -> None:
    port = free_port()
    for i in range(5):
        insert(store, ["mail"], subject=f"c{i}")
    clock = Clock()
    handler = CollectingHandler()

    async def main() -> None:
        d = dispatcher(store, {"mail": email(port)}, clock)
        await d.deliver_once()
        assert states(store) == {"pending": 5}
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            for _ in range(10):
                clock.advance(minutes=10)
                await d.deliver_once()
                if states(store) == {"sent": 5}:
                    break
        finally:
            controller.stop()

    asyncio.run(main())
    assert states(store) == {"sent": 5}
    ids = sorted(str(m.message["Message-ID"]) for m in handler.messages)
    assert len(ids) == 5 and len(set(ids)) == 5


# --- Slack threads ---------------------------------------------------------------------------------


def test_later_notifications_about_a_commitment_go_in_its_thread(
    store: Store, slack_api: SlackApiServer
) -> None:
    insert(store, ["slack"], event=EventKind.REMINDER, data=Reminder("2016-08-31T21:00:00Z", "7d"))
    clock = Clock()

    async def action(session: aiohttp.ClientSession) -> None:
        d = dispatcher(store, {"slack": slack(slack_api, session)}, clock)
        await d.deliver_once()
        insert(store, ["slack"], event=EventKind.OVERDUE, occurred=START)
        insert(store, ["slack"], subject="other", occurred=START, title="Other commitment")
        clock.advance(minutes=1)
        await d.deliver_once()

    with_session(action)
    first, *later = slack_api.posted()
    assert "thread_ts" not in first
    parent = store.slack_thread("slack", "syria-detainee-releases")
    assert parent is not None
    by_subject = {body["text"].count("Release of detainees") > 0: body for body in later}
    assert by_subject[True].get("thread_ts") == parent
    # An overdue in a thread is broadcast to the channel too, or nobody there would be alerted.
    assert by_subject[True].get("reply_broadcast") in (True, "true", "1")
    assert "thread_ts" not in by_subject[False]
    assert "reply_broadcast" not in first
    assert store.slack_thread("slack", "other") not in (None, parent)


# --- superseded rows -------------------------------------------------------------------------------


def test_rows_for_skipped_channels_and_irrelevant_rows_are_superseded(
    store: Store, slack_api: SlackApiServer
) -> None:
    insert(store, ["desk-email", "slack"], subject="keep")
    insert(store, ["slack"], subject="terminal")
    clock = Clock()

    async def action(session: aiohttp.ClientSession) -> None:
        d = dispatcher(
            store,
            {"slack": slack(slack_api, session)},
            clock,
            skipped={"desk-email": "smtp profile 'default' has no host"},
            is_relevant=lambda record, now: record.subject != "terminal",
        )
        await d.deliver_once()

    with_session(action)
    rows = {(r.channel, r.subject): r for r in store.list_notifications()}
    skipped = rows["desk-email", "keep"]
    assert skipped.state is NotificationState.SUPERSEDED
    assert skipped.last_error == "channel desk-email not configured: smtp profile 'default' has no host"
    terminal = rows["slack", "terminal"]
    assert terminal.state is NotificationState.SUPERSEDED and terminal.last_error == TERMINAL_AT_RELEASE
    assert rows["slack", "keep"].state is NotificationState.SENT
    assert len(slack_api.posted()) == 1


# --- leases, crashes, replicas ---------------------------------------------------------------------


def test_lease_of_a_crashed_dispatcher_expires_and_another_reclaims(
    store: Store, slack_api: SlackApiServer
) -> None:
    insert(store, ["slack"])
    [claimed] = store.claim_due(START, 10, 60, "crashed")  # claimed, then the process died
    clock = Clock(START + timedelta(seconds=30))

    async def action(session: aiohttp.ClientSession) -> list[int]:
        d = dispatcher(store, {"slack": slack(slack_api, session)}, clock, owner="replica-2")
        counts = [await d.deliver_once()]  # lease still held
        clock.advance(seconds=31)
        counts.append(await d.deliver_once())
        return counts

    assert with_session(action) == [0, 1]
    [record] = store.list_notifications()
    assert record.id == claimed.id and record.state is NotificationState.SENT and record.attempts == 2
    assert len(slack_api.posted()) == 1


def test_two_dispatchers_on_one_database_deliver_each_row_once(
    database_url: str, store: Store, slack_api: SlackApiServer
) -> None:
    from deadlinewatch.storage import create_db_engine

    for i in range(200):
        insert(store, [f"ch{i % 8}"], subject=f"c{i}")
    clock = Clock()
    errors: list[BaseException] = []

    def replica(owner: str) -> None:
        engine = create_db_engine(database_url)
        own_store = Store(engine)

        async def action(session: aiohttp.ClientSession) -> None:
            channels: dict[str, Channel] = {
                f"ch{i}": slack(slack_api, session, name=f"ch{i}", channel=f"#ch{i}") for i in range(8)
            }
            d = dispatcher(own_store, channels, clock, owner=owner, batch=20)
            while await d.deliver_once():
                pass

        try:
            with_session(action)
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=replica, args=(f"replica-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    keys = keys_posted(slack_api)
    assert len(keys) == 200 and len(set(keys)) == 200
    assert states(store) == {"sent": 200}


# --- the loop: wake, drain -------------------------------------------------------------------------


def test_run_forever_delivers_on_wake_and_drain_gives_back_queued_rows(
    store: Store, slack_api: SlackApiServer
) -> None:
    def wall() -> datetime:
        return datetime.now(UTC)

    async def wait_for(condition: Callable[[], bool], guard: float = 20.0) -> None:
        async with asyncio.timeout(guard):
            while not condition():
                await asyncio.sleep(0.02)

    async def action(session: aiohttp.ClientSession) -> None:
        # Paced at 1 s per message, so a drain comes while most rows are still queued.
        d = dispatcher(store, {"slack": slack(slack_api, session, pace=1)}, wall, poll_ceiling=30)
        loop = asyncio.create_task(d.run_forever())
        await asyncio.sleep(0)
        for i in range(6):
            insert(store, ["slack"], subject=f"c{i}", occurred=wall() - timedelta(seconds=1))
        d.wake()
        await wait_for(lambda: len(slack_api.posted()) >= 1)
        await d.drain(timeout=8)
        async with asyncio.timeout(10):
            await loop
        assert d.in_flight == 0
        rows = store.list_notifications()
        assert {r.state for r in rows} <= {NotificationState.SENT, NotificationState.PENDING}
        for r in rows:
            if r.state is NotificationState.PENDING:
                assert r.attempts == 0 and r.lease_owner is None
        # A restart delivers the rest; nothing twice.
        again = dispatcher(store, {"slack": slack(slack_api, session)}, wall, owner="restarted")
        while await again.deliver_once():
            pass

    with_session(action)
    keys = keys_posted(slack_api)
    assert len(keys) == 6 and len(set(keys)) == 6
    assert states(store) == {"sent": 6}


def test_outbox_lease_helpers_only_touch_the_owners_claims(store: Store) -> None:
    for i in range(3):
        insert(store, ["slack"], subject=f"c{i}")
    a, b, c = store.claim_due(START, 10, 60, "owner-a")
    later = START + timedelta(seconds=50)
    assert store.renew_leases([a.id, b.id, c.id], "owner-b", later + timedelta(seconds=60), later) == set()
    assert store.mark_sent(a.id, later, "owner-a")
    kept = store.renew_leases([a.id, b.id, c.id], "owner-a", later + timedelta(seconds=60), later)
    assert kept == {b.id, c.id}
    assert store.claim_due(START + timedelta(seconds=61), 10, 60, "owner-b") == []  # renewed
    assert store.release_claims([b.id], "owner-b", later) == 0
    assert store.release_claims([b.id], "owner-a", later) == 1
    released = store.get_notification(b.id)
    assert released is not None and released.state is NotificationState.PENDING and released.attempts == 0
    assert not store.mark_dropped(c.id, "gone", later, "owner-b")
    assert store.mark_dropped(c.id, "gone", later, "owner-a")
    dropped = store.get_notification(c.id)
    assert dropped is not None and dropped.state is NotificationState.SUPERSEDED
    assert dropped.last_error == "gone"
    assert not store.mark_dropped(a.id, "too late", later)  # sent rows stay sent


def test_database_errors_in_the_loop_are_retried(database_url: str, slack_api: SlackApiServer) -> None:
    from sqlalchemy.exc import OperationalError

    from deadlinewatch.storage import create_db_engine, migrate

    class FlakyStore(Store):
        """A database that is away for the first two claims (a restart), then back."""

        outages = 2

        def claim_due(self, now: datetime, limit: int, lease_seconds: float, owner: str) -> Any:
            if self.outages:
                self.outages -= 1
                raise OperationalError("SELECT", {}, Exception("server closed the connection"))
            return super().claim_due(now, limit, lease_seconds, owner)

    engine = create_db_engine(database_url)
    migrate(engine)
    flaky = FlakyStore(engine)
    insert(flaky, ["slack"])

    async def action(session: aiohttp.ClientSession) -> None:
        d = dispatcher(flaky, {"slack": slack(slack_api, session)}, Clock(), db_retry_delay=0.01)
        loop = asyncio.create_task(d.run_forever())
        async with asyncio.timeout(20):  # a failure guard only
            while not slack_api.posted():
                await asyncio.sleep(0.02)
        await d.drain(timeout=5)
        await loop

    try:
        with_session(action)
        assert flaky.outages == 0
        assert states(flaky) == {"sent": 1}
    finally:
        engine.dispose()


# --- batched outcomes ------------------------------------------------------------------------------


class StatementCounter:
    """Counts the SQL statements an engine really executes (a SQLAlchemy event listener)."""

    def __init__(self, store: Store) -> None:
        self.statements: list[str] = []
        self._engine = store.engine
        event.listen(self._engine, "after_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        self.statements.append(" ".join(statement.split()).upper())

    def count(self, prefix: str) -> int:
        return sum(1 for statement in self.statements if statement.startswith(prefix.upper()))

    def close(self) -> None:
        event.remove(self._engine, "after_cursor_execute", self._seen)


def test_a_burst_is_delivered_once_with_few_write_transactions(
    store: Store, slack_api: SlackApiServer
) -> None:
    # 1,000 rows over 10 channels, 100 commitments (each pair gets 10 messages: a parent, 9 replies).
    notices = [
        Notice(
            subscription="syria-desk",
            channels=(f"ch{i % 10}",),
            event=EventKind.OVERDUE,
            subject=f"c{i % 100}",
            occurred=START - timedelta(minutes=i),
            send_at=START - timedelta(minutes=i),
            data=Overdue("2016-08-31T21:00:00Z", i // 100),
        )
        for i in range(1000)
    ]
    rows = [row for n in notices for row in new_notifications(n, context(n.subject))]
    assert store.insert_notifications(rows) == 1000
    clock = Clock()
    counter = StatementCounter(store)

    async def action(session: aiohttp.ClientSession) -> list[int]:
        channels: dict[str, Channel] = {
            f"ch{i}": slack(slack_api, session, name=f"ch{i}", channel=f"#ch{i}") for i in range(10)
        }
        # Flushes by size only (the timer never fires first), so the count does not depend on speed.
        d = dispatcher(store, channels, clock, batch=500, flush_interval=3600.0, flush_rows=200)
        counts = []
        while claimed := await d.deliver_once():
            counts.append(claimed)
        assert d.in_flight == 0
        return counts

    try:
        assert with_session(action) == [500, 500]
    finally:
        counter.close()
    keys = keys_posted(slack_api)
    assert len(keys) == 1000 and len(set(keys)) == 1000
    assert states(store) == {"sent": 1000}
    # Batched, not per row: typically two claims plus flushes at 200, 400 and the rest per round
    # (8 UPDATEs) and one thread read per claimed batch plus a re-read after each bulk insert. How
    # sends complete relative to the flushes varies with load, so the bounds are "far below one per
    # row" (1,000 each before batching), not the typical counts.
    updates = counter.count("UPDATE notification")
    assert updates <= 50, counter.statements
    thread_reads = counter.count("SELECT slack_thread")
    assert thread_reads <= 50, counter.statements
    # Threads: per (channel, commitment) the first message is the parent, the other nine reply in it.
    pair_of_key = {row.key: (row.channel, row.subject) for row in rows}
    by_pair: dict[tuple[str, str], list[str | None]] = {}
    for body in slack_api.posted():
        pair = pair_of_key[body["metadata"]["event_payload"]["key"]]
        by_pair.setdefault(pair, []).append(body.get("thread_ts"))
    parents = store.slack_threads(by_pair)
    assert len(by_pair) == 100 and len(parents) == 100
    for pair, thread_ts in by_pair.items():
        assert thread_ts[0] is None and thread_ts[1:] == [parents[pair]] * 9


def test_drain_flushes_outcomes_accepted_but_not_yet_recorded(
    store: Store, slack_api: SlackApiServer
) -> None:
    for i in range(20):
        insert(store, [f"ch{i % 2}"], subject=f"c{i}")
    clock = Clock()

    async def action(session: aiohttp.ClientSession) -> None:
        channels: dict[str, Channel] = {
            f"ch{i}": slack(slack_api, session, name=f"ch{i}", channel=f"#ch{i}") for i in range(2)
        }
        # The timer never fires and 200 rows are never reached: only the drain writes the outcomes.
        d = dispatcher(store, channels, clock, flush_interval=3600.0, flush_rows=200, poll_ceiling=30)
        loop = asyncio.create_task(d.run_forever())
        async with asyncio.timeout(20):  # a failure guard only
            while len(slack_api.posted()) < 20:
                await asyncio.sleep(0.02)
        # Accepted by Slack, not recorded yet: still claimed (leased to us, counted in flight).
        assert d.in_flight == 20
        assert states(store) == {"sending": 20}
        assert {r.lease_owner for r in store.list_notifications()} == {"replica-1"}
        await d.drain(timeout=5)
        async with asyncio.timeout(10):
            await loop
        assert d.in_flight == 0

    with_session(action)
    assert states(store) == {"sent": 20}
    assert all(r.lease_owner is None and r.sent_at == START for r in store.list_notifications())
    assert len(set(keys_posted(slack_api))) == 20


def test_a_crash_before_the_flush_resends_only_the_unrecorded_rows(
    store: Store, slack_api: SlackApiServer
) -> None:
    for i in range(30):
        insert(store, ["slack"], subject=f"c{i}")
    clock = Clock()

    async def crashed(session: aiohttp.ClientSession) -> None:
        # Flushes at 20 rows: 20 recorded, 10 accepted but never recorded (the process "dies").
        d = dispatcher(
            store, {"slack": slack(slack_api, session)}, clock, flush_interval=3600.0, flush_rows=20
        )
        loop = asyncio.create_task(d.run_forever())
        async with asyncio.timeout(20):  # a failure guard only
            while len(slack_api.posted()) < 30 or states(store).get("sent", 0) < 20:
                await asyncio.sleep(0.02)
        loop.cancel()  # no drain: asyncio.run cancels the flusher too, as a kill would
        await asyncio.gather(loop, return_exceptions=True)

    with_session(crashed)
    assert states(store) == {"sent": 20, "sending": 10}

    async def restarted(session: aiohttp.ClientSession) -> None:
        clock.advance(seconds=61)  # the dead process's leases expire
        d = dispatcher(store, {"slack": slack(slack_api, session)}, clock, owner="restarted")
        assert await d.deliver_once() == 10

    with_session(restarted)
    assert states(store) == {"sent": 30}
    keys = keys_posted(slack_api)
    assert len(set(keys)) == 30 and len(keys) == 40  # duplicates: exactly the 10 unrecorded in flight


def test_buttons_are_added_to_commitment_messages_only_when_asked(
    store: Store, slack_api: SlackApiServer
) -> None:
    insert(store, ["slack"])
    insert(store, ["slack"], subject="syria-elections", occurred=START - timedelta(minutes=30))
    clock = Clock()

    async def action(session: aiohttp.ClientSession) -> None:
        await dispatcher(store, {"slack": slack(slack_api, session)}, clock, actions=True).deliver_once()

    with_session(action)
    posts = slack_api.posted()
    assert len(posts) == 2
    for post in posts:
        blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
        actions = [b for b in blocks if b.get("type") == "actions"]
        assert actions and actions[0]["block_id"] == "deadlinewatch.actions"
        assert {e["action_id"] for e in actions[0]["elements"]} == {
            "deadlinewatch.ack",
            "deadlinewatch.snooze_7d",
            "deadlinewatch.fulfilled",
            "deadlinewatch.unack",
            "deadlinewatch.unsnooze",
        }


def test_rows_in_flight_count_as_on_time_only_while_their_due_is_recent(store: Store) -> None:
    """HTTP reads yield to a burst sent at its instant, not to the tail of a backlog that is late
    anyway (service.delivering)."""

    class Held:
        name = "held"

        def __init__(self) -> None:
            self.sent = asyncio.Event()
            self.release = asyncio.Event()

        async def send(self, message: Any) -> Any:
            self.sent.set()
            await self.release.wait()
            raise RuntimeError("held back")  # a transient failure: the row stays pending

        async def aclose(self) -> None:
            return None

    insert(store, ["held"], occurred=START - timedelta(seconds=1))
    clock = Clock()
    late = timedelta(seconds=10)

    async def main() -> list[bool]:
        channel = Held()
        d = dispatcher(store, {"held": channel}, clock)
        seen = [d.on_time_in_flight(clock(), late)]  # nothing claimed yet
        delivering = asyncio.create_task(d.deliver_once())
        await asyncio.wait_for(channel.sent.wait(), 30)
        seen.append(d.on_time_in_flight(clock(), late))  # due a second ago: on time
        seen.append(d.on_time_in_flight(clock() + timedelta(seconds=30), late))  # a backlog by then
        channel.release.set()
        await asyncio.wait_for(delivering, 30)
        seen.append(d.on_time_in_flight(clock(), late))  # nothing in flight
        return seen

    assert asyncio.run(main()) == [False, True, False, False]
