"""The Slack channels against a real local Slack Web API server (no mocks of our code)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import aiohttp
import pytest

from deadlinewatch.delivery.base import CommitmentView, DeliveryError, Link, Outgoing, SendReceipt
from deadlinewatch.delivery.slack import METADATA_EVENT_TYPE, SlackChannel
from deadlinewatch.delivery.slack_webhook import SlackWebhookChannel
from deadlinewatch.domain.events import Overdue
from deadlinewatch.domain.model import EventKind
from support.slack_api import SlackApiServer

T = TypeVar("T")
HOSTILE = "Release <!channel> <@U123> <https://evil.example|click> & detainees"
AT = datetime(2016, 9, 3, 6, 0, tzinfo=UTC)


def outgoing(title: str = HOSTILE, thread_ts: str | None = None, key: str = "k" * 40) -> Outgoing:
    return Outgoing(
        key=key,
        event=EventKind.OVERDUE,
        subscription="syria-desk",
        channel="syria-slack",
        occurred=AT,
        send_at=AT,
        data=Overdue("2016-08-31T21:00:00Z", 0),
        commitment=CommitmentView(
            id="syria-detainee-releases",
            title=title,
            status="not_started",
            deadline_words="by end of August 2016, Damascus time",
            relative_words="3 days overdue",
            agreement_title="US–Russia understanding on Syria",
            parties=("Syrian government", "<!here> opposition"),
            links=(Link("https://example.org/article?a=1&b=2", "source"), Link("javascript:alert(1)", "x")),
        ),
        thread_ts=thread_ts,
    )


def run_with_channel(
    api: SlackApiServer,
    action: Callable[[SlackChannel], Awaitable[T]],
    token: str = "xoxb-test",
    **kwargs: object,
) -> T:
    async def main() -> T:
        async with aiohttp.ClientSession() as session:
            channel = SlackChannel(
                name="syria-slack", channel="#syria-watch", token=token, session=session,
                api_url=api.api_url, pace=0, **kwargs,  # type: ignore[arg-type]
            )  # fmt: skip
            try:
                return await action(channel)
            finally:
                await channel.aclose()

    return asyncio.run(main())


def failure(api: SlackApiServer, message: Outgoing, token: str = "xoxb-test") -> DeliveryError:
    async def action(channel: SlackChannel) -> DeliveryError:
        with pytest.raises(DeliveryError) as caught:
            await channel.send(message)
        return caught.value

    return run_with_channel(api, action, token)


def test_message_arrives_escaped_with_metadata_and_thread(
    slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # slack-sdk would route through HTTPS_PROXY from the environment; the channel must not.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")

    async def action(channel: SlackChannel) -> tuple[SendReceipt, SendReceipt]:
        first = await channel.send(outgoing())
        second = await channel.send(outgoing(thread_ts=first.ts, key="b" * 40))
        return first, second

    first, second = run_with_channel(slack_api, action)
    assert first.ts and second.ts and first.ts != second.ts
    assert first.slack_channel
    parent, reply = slack_api.posted()
    request = slack_api.requests[0]
    assert request.token == "xoxb-test" and request.headers["Authorization"] == "Bearer xoxb-test"
    assert parent["channel"] == "#syria-watch"
    assert parent["metadata"] == {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {"key": "k" * 40, "event": "overdue"},
    }
    assert parent["unfurl_links"] is False
    assert "link_names" not in parent and "parse" not in parent
    assert "thread_ts" not in parent and reply["thread_ts"] == first.ts
    section = parent["blocks"][1]["text"]["text"]
    assert "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; &amp; detainees" in section
    assert "&lt;!here&gt; opposition" in section
    mrkdwn = [e["text"] for b in parent["blocks"] for e in b.get("elements", []) if isinstance(e, dict)]
    assert any("<https://example.org/article?a=1&amp;b=2|source>" in text for text in mrkdwn)
    assert "javascript" not in str(parent)
    for text in [parent["text"], section, *mrkdwn]:
        without_links = re.sub(r"<https?://[^<>|\s]+\|[^<>]*>", "", text)
        assert "<" not in without_links and ">" not in without_links


def test_auth_test_answers(slack_api: SlackApiServer) -> None:
    async def action(channel: SlackChannel) -> object:
        return (await channel._client.auth_test()).get("bot_id")

    assert run_with_channel(slack_api, action) == "BBOT"


def test_rate_limited_surfaces_retry_after(slack_api: SlackApiServer) -> None:
    slack_api.fail_next(429, retry_after=7)
    error = failure(slack_api, outgoing())
    assert error.permanent is False
    assert error.retry_after == 7


def test_rate_limited_retried_inside_client_when_asked(slack_api: SlackApiServer) -> None:
    slack_api.fail_next(429, retry_after=0, count=2)

    async def action(channel: SlackChannel) -> SendReceipt:
        return await channel.send(outgoing())

    receipt = run_with_channel(slack_api, action, max_retries=2)
    assert receipt.ts is not None
    assert len(slack_api.posted()) == 3


def test_server_error_is_transient(slack_api: SlackApiServer) -> None:
    slack_api.fail_next(500)
    error = failure(slack_api, outgoing())
    assert error.permanent is False and error.retry_after is None
    slack_api.fail_next(503, error="service_unavailable")
    assert failure(slack_api, outgoing()).permanent is False


def test_invalid_auth_is_permanent_and_never_shows_the_token(slack_api: SlackApiServer) -> None:
    error = failure(slack_api, outgoing(), token="xoxb-wrong-secret")
    assert error.permanent is True
    assert "invalid_auth" in str(error)
    assert "xoxb-wrong-secret" not in str(error) and "xoxb-wrong-secret" not in repr(error)


def test_revoked_and_unknown_channel_are_permanent() -> None:
    with SlackApiServer(channels={"#elsewhere"}) as api:
        error = failure(api, outgoing())
        assert error.permanent is True and "channel_not_found" in str(error)
        api.revoke("xoxb-test")
        assert failure(api, outgoing()).permanent is True


def test_gone_thread_parent_falls_back_to_top_level(slack_api: SlackApiServer) -> None:
    slack_api.fail_next(200, error="thread_not_found")

    async def action(channel: SlackChannel) -> SendReceipt:
        return await channel.send(outgoing(thread_ts="1.000001"))

    receipt = run_with_channel(slack_api, action)
    assert receipt.ts is not None
    first, second = slack_api.posted()
    assert first["thread_ts"] == "1.000001" and "thread_ts" not in second


def test_server_down_is_transient() -> None:
    with SlackApiServer() as api:
        url = api.api_url

    async def action() -> DeliveryError:
        async with aiohttp.ClientSession() as session:
            channel = SlackChannel(
                name="s", channel="#c", token="xoxb-test", session=session, api_url=url, pace=0
            )
            with pytest.raises(DeliveryError) as caught:
                await channel.send(outgoing())
            return caught.value

    assert asyncio.run(action()).permanent is False


def webhook_failure(api: SlackApiServer) -> DeliveryError | SendReceipt:
    async def main() -> DeliveryError | SendReceipt:
        async with aiohttp.ClientSession() as session:
            channel = SlackWebhookChannel(name="hook", url=api.webhook_url, session=session, pace=0)
            try:
                return await channel.send(outgoing())
            except DeliveryError as exc:
                return exc

    return asyncio.run(main())


def test_webhook_posts_blocks_and_maps_errors(slack_api: SlackApiServer) -> None:
    assert isinstance(webhook_failure(slack_api), SendReceipt)
    body = slack_api.requests[-1].body
    assert body["unfurl_links"] is False and "&lt;!channel&gt;" in body["text"]
    slack_api.fail_next(429, retry_after=3)
    limited = webhook_failure(slack_api)
    assert isinstance(limited, DeliveryError) and not limited.permanent and limited.retry_after == 3
    slack_api.fail_next(500)
    broken = webhook_failure(slack_api)
    assert isinstance(broken, DeliveryError) and not broken.permanent
    slack_api.fail_next(404, error="channel_not_found")
    gone = webhook_failure(slack_api)
    assert isinstance(gone, DeliveryError) and gone.permanent and "channel_not_found" in str(gone)
    assert slack_api.webhook_url not in str(gone)
