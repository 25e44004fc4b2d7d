"""Outbound HTTP through a proxy (a tiny local forward proxy): sources (httpx) and Slack and webhook
channels (aiohttp / slack-sdk) go through it, and NO_PROXY sends a host direct."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deadlinewatch.config.loader import load_config
from deadlinewatch.delivery.base import CommitmentView, Outgoing
from deadlinewatch.delivery.factory import build_channels, client_session
from deadlinewatch.domain.events import Review
from deadlinewatch.domain.model import EventKind
from deadlinewatch.proxies import ProxySettings
from deadlinewatch.sources.fetch import fetch, make_client
from support.forward_proxy import ForwardProxy
from support.http_server import LocalHttpServer
from support.slack_api import SlackApiServer

AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy() as running:
        yield running


def test_sources_fetch_through_the_proxy_unless_no_proxy_names_the_host(proxy: ForwardProxy) -> None:
    with LocalHttpServer() as server:
        server.serve("/feed", "items", content_type="text/plain")
        url = server.url("/feed")

        async def get(settings: ProxySettings) -> bytes:
            async with make_client(proxies=settings) as client:
                return (await fetch(client, url)).body

        assert asyncio.run(get(ProxySettings.from_env({"HTTP_PROXY": proxy.url}))) == b"items"
        assert proxy.forwarded() == [url]
        direct = ProxySettings.from_env({"HTTP_PROXY": proxy.url, "NO_PROXY": "127.0.0.1"})
        assert asyncio.run(get(direct)) == b"items"
        assert proxy.forwarded() == [url]  # the second fetch did not go through it


def test_slack_and_webhook_channels_post_through_the_proxy(
    tmp_path: Path, proxy: ForwardProxy, slack_api: SlackApiServer
) -> None:
    (tmp_path / "c.yaml").write_text(
        "channels:\n"
        f'  slack: {{type: slack, channel: "#desk", token: xoxb-test, api_url: "{slack_api.api_url}", pace: 0s}}\n'
        f'  hook: {{type: slack_webhook, url: "{slack_api.webhook_url}"}}\n'
    )
    result = load_config(tmp_path, {})
    assert result.config is not None, result.errors
    config = result.config

    def message(channel: str) -> Outgoing:
        return Outgoing(
            key=f"proxy-test-{channel}",
            event=EventKind.REVIEW,
            subscription="desk",
            channel=channel,
            occurred=AT,
            send_at=AT,
            data=Review(1),
            commitment=CommitmentView(
                id="c1", title="Through the proxy", status="not_started", deadline_words="open-ended"
            ),
        )

    async def send_all(settings: ProxySettings) -> None:
        async with client_session() as session:
            built = build_channels(config, session, proxies=settings)
            for name in ("slack", "hook"):
                await built.channels[name].send(message(name))
            await built.aclose()

    # slack-sdk reads HTTPS_PROXY itself but ignores NO_PROXY; ours decides for it.
    asyncio.run(send_all(ProxySettings.from_env({"HTTP_PROXY": proxy.url})))
    forwarded = proxy.forwarded()
    assert any(u.startswith(slack_api.api_url) and u.endswith("chat.postMessage") for u in forwarded), (
        forwarded
    )
    assert slack_api.webhook_url in forwarded, forwarded
    assert len(slack_api.requests) == 2

    asyncio.run(send_all(ProxySettings.from_env({"HTTP_PROXY": proxy.url, "NO_PROXY": "127.0.0.1"})))
    assert proxy.forwarded() == forwarded  # direct this time
    assert len(slack_api.requests) == 4
