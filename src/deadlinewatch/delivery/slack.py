"""The Slack channel: ``chat.postMessage`` through slack-sdk's ``AsyncWebClient``.

- One aiohttp session, owned by the caller (bootstrap), shared by every Slack channel; without one
  slack-sdk opens a session per request. ``aclose`` therefore closes nothing.
- Proxies: slack-sdk reads ``HTTPS_PROXY``/``HTTP_PROXY`` (and ignores ``NO_PROXY``) whenever
  ``proxy`` is empty, which would send a local test server's traffic to a proxy. We set the client's
  ``proxy`` after construction to exactly what we were given (``None`` = direct); the environment
  is never consulted. Pass the session with ``trust_env=False`` (aiohttp's default) for the same
  reason.
- Retries: by default none inside the client (``max_retries=0``): the dispatcher owns backoff and a
  429's ``Retry-After`` comes back as :attr:`DeliveryError.retry_after`. ``max_retries > 0`` adds
  slack-sdk's async rate-limit / server-error / connection-error handlers (they sleep in the event
  loop, honouring ``Retry-After``).
- No idempotency key exists in Slack: the notification key goes in the message ``metadata``.
- Text is escaped in :mod:`~deadlinewatch.delivery.rendering`; ``link_names``/``parse`` are never
  set, and link unfurling is off.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from deadlinewatch.delivery.base import DeliveryError, Outgoing, SendReceipt, retry_after_seconds
from deadlinewatch.delivery.pacing import Pacer
from deadlinewatch.delivery.rendering import render_slack
from deadlinewatch.domain.model import EventKind

METADATA_EVENT_TYPE = "deadlinewatch_notification"

# Errors a retry of the same request may get past; every other error code is permanent (a retry
# would send the same refused request again).
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# Named for the operator: these need a config fix (token, channel, invite the bot).
PERMANENT_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "missing_scope",
        "no_permission",
    }
)
_BAD_THREAD = frozenset({"thread_not_found", "invalid_thread_ts"})


def _default_api_url() -> str:
    return str(AsyncWebClient.BASE_URL)


def _retry_handlers(max_retries: int) -> list[AsyncRetryHandler]:
    if max_retries <= 0:
        return []
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries),
        AsyncServerErrorRetryHandler(max_retry_count=max_retries),
        AsyncConnectionErrorRetryHandler(max_retry_count=max_retries),
    ]


def slack_api_error(exc: SlackApiError, context: str) -> DeliveryError:
    """Map a Slack Web API failure: 429 → transient with ``Retry-After``; 5xx → transient; the
    codes in :data:`TRANSIENT_ERRORS` → transient; any other ``ok: false`` → permanent."""
    response: Any = exc.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None) or 0
    headers = getattr(response, "headers", None) or {}
    data = getattr(response, "data", None)
    code = str(data.get("error", "")) if isinstance(data, dict) else ""
    what = f"{context}: Slack answered HTTP {status}" + (f" {code}" if code else "")
    if status == 429 or code in {"ratelimited", "rate_limited"}:
        return DeliveryError(
            what, permanent=False, retry_after=retry_after_seconds(headers.get("Retry-After"))
        )
    if status >= 500 or code in TRANSIENT_ERRORS:
        return DeliveryError(what, permanent=False)
    if code in PERMANENT_ERRORS:
        return DeliveryError(
            f"{what} (check the token, the channel and the bot's membership)", permanent=True
        )
    return DeliveryError(what, permanent=True)


# Thread replies that are also shown in the channel (``reply_broadcast``): the ones that need action.
BROADCAST_EVENTS = frozenset(
    {EventKind.OVERDUE, EventKind.ESCALATION, EventKind.STATUS_CHANGED, EventKind.DEADLINE_CHANGED}
)


class SlackChannel:
    """Posts to one Slack channel (``channel``: ``#name`` or an id) as a bot."""

    def __init__(
        self,
        *,
        name: str,
        channel: str,
        token: str,
        session: aiohttp.ClientSession,
        api_url: str | None = None,
        pace: float = 1.0,
        pacer: Pacer | None = None,
        max_retries: int = 0,
        timeout: float = 30.0,
        proxy: str | None = None,
    ) -> None:
        self.name = name
        self.slack_channel = channel
        self._timeout = timeout
        self._pacer = pacer if pacer is not None else Pacer(pace)
        base_url = (api_url or _default_api_url()).rstrip("/") + "/"
        self._client = AsyncWebClient(
            token=token,
            base_url=base_url,
            session=session,
            timeout=int(max(1.0, timeout)),
            proxy=proxy,
            retry_handlers=_retry_handlers(max_retries),
        )
        # slack-sdk fell back to HTTP(S)_PROXY from the environment if proxy was empty: undo that.
        self._client.proxy = proxy

    def _arguments(self, message: Outgoing, thread_ts: str | None) -> dict[str, Any]:
        rendered = render_slack(message)
        arguments: dict[str, Any] = {
            "channel": self.slack_channel,
            "text": rendered.text,
            "blocks": rendered.blocks,
            "metadata": {
                "event_type": METADATA_EVENT_TYPE,
                "event_payload": {"key": message.key, "event": message.event.value},
            },
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if thread_ts:
            arguments["thread_ts"] = thread_ts
            if message.event in BROADCAST_EVENTS:
                # A reply alone alerts nobody in the channel: what needs action is broadcast too.
                arguments["reply_broadcast"] = True
        return arguments

    async def _post(self, arguments: dict[str, Any]) -> Any:
        context = f"slack channel {self.name}"
        try:
            async with asyncio.timeout(self._timeout * 2):
                return await self._client.chat_postMessage(**arguments)
        except SlackApiError as exc:
            raise slack_api_error(exc, context) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            kind = type(exc).__name__
            raise DeliveryError(f"{context}: cannot reach the Slack API ({kind})", permanent=False) from exc

    async def send(self, message: Outgoing) -> SendReceipt:
        """Post ``message`` (in ``message.thread_ts``'s thread when set; a parent that no longer
        exists is dropped and the message posted at top level). Returns the posted ``ts``."""
        await self._pacer.wait_turn(self.slack_channel)
        try:
            response = await self._post(self._arguments(message, message.thread_ts))
        except DeliveryError as exc:
            cause = exc.__cause__
            code = ""
            if isinstance(cause, SlackApiError) and isinstance(getattr(cause.response, "data", None), dict):
                code = str(cause.response.data.get("error", ""))
            if not (message.thread_ts and code in _BAD_THREAD):
                raise
            response = await self._post(self._arguments(message, None))
        ts = response.get("ts")
        posted_in = response.get("channel")
        return SendReceipt(
            channel=self.name,
            ts=str(ts) if ts is not None else None,
            slack_channel=str(posted_in) if posted_in is not None else self.slack_channel,
        )

    async def aclose(self) -> None:
        """Nothing to close: the aiohttp session belongs to whoever passed it in."""
        return None
