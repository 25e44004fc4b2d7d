"""The Slack incoming-webhook channel: POST the rendered message as JSON to the webhook URL.

The URL is a secret (it carries the token): it never appears in an error message. The aiohttp
session belongs to the caller; ``proxy`` is passed explicitly, so no proxy variable is read (keep
the session's ``trust_env`` False, aiohttp's default). Errors: 429 → transient with
``Retry-After``; 5xx and connection failures → transient; any other non-2xx → permanent
(``invalid_payload``, ``no_service``, ``channel_not_found``, ``channel_is_archived``...).
"""

from __future__ import annotations

import asyncio

import aiohttp

from deadlinewatch.delivery.base import DeliveryError, Outgoing, SendReceipt, retry_after_seconds
from deadlinewatch.delivery.pacing import Pacer
from deadlinewatch.delivery.rendering import one_line, render_slack


class SlackWebhookChannel:
    def __init__(
        self,
        *,
        name: str,
        url: str,
        session: aiohttp.ClientSession,
        pace: float = 1.0,
        pacer: Pacer | None = None,
        timeout: float = 30.0,
        proxy: str | None = None,
    ) -> None:
        self.name = name
        self._url = url
        self._session = session
        self._pacer = pacer if pacer is not None else Pacer(pace)
        self._timeout = timeout
        self._proxy = proxy

    async def send(self, message: Outgoing) -> SendReceipt:
        rendered = render_slack(message)
        payload = {
            "text": rendered.text,
            "blocks": rendered.blocks,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        context = f"slack webhook {self.name}"
        await self._pacer.wait_turn()
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.post(self._url, json=payload, proxy=self._proxy) as response:
                    body = (await response.text(errors="replace"))[:200]
                    status = response.status
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            kind = type(exc).__name__
            raise DeliveryError(f"{context}: cannot reach the webhook ({kind})", permanent=False) from exc
        if 200 <= status < 300:
            return SendReceipt(channel=self.name)
        what = f"{context}: HTTP {status} {one_line(body)}".rstrip()
        if status == 429:
            raise DeliveryError(what, permanent=False, retry_after=retry_after)
        raise DeliveryError(what, permanent=status < 500 and status != 408)

    async def aclose(self) -> None:
        """Nothing to close: the aiohttp session belongs to whoever passed it in."""
        return None
