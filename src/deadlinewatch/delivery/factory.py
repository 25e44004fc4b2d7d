"""Channel objects from the config: one :class:`Channel` per configured channel, and for each
channel without credentials the reason it is skipped (``run`` says it once at start; the
dispatcher records their notifications as superseded).

This is the only place secrets leave their ``SecretStr``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

import aiohttp

from deadlinewatch.config import schema
from deadlinewatch.config.build import LoadedConfig
from deadlinewatch.delivery.base import Channel
from deadlinewatch.delivery.console import ConsoleChannel
from deadlinewatch.delivery.email import EmailChannel, SmtpSettings
from deadlinewatch.delivery.slack import SlackChannel
from deadlinewatch.delivery.slack_webhook import SlackWebhookChannel
from deadlinewatch.durations import Duration
from deadlinewatch.proxies import ProxySettings

_DAY = 86_400.0
SLACK_API_URL = "https://slack.com/api/"  # slack-sdk's default base_url


@dataclass(frozen=True)
class ChannelSet:
    """``channels``: name → ready channel; ``skipped``: name → why it is not configured."""

    channels: Mapping[str, Channel] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)

    async def aclose(self) -> None:
        for channel in self.channels.values():
            await channel.aclose()


def client_session() -> aiohttp.ClientSession:
    """The one aiohttp session the Slack channels share. It reads no proxy from the environment
    itself: each channel is given the proxy :class:`ProxySettings` picks for its URL."""
    return aiohttp.ClientSession(trust_env=False)


def seconds(duration: Duration) -> float:
    """An elapsed length for a ``Duration`` used as an interval (a month counts as 30 days)."""
    return duration.seconds + (duration.days + 30 * duration.months) * _DAY


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if callable(getter) else ""


def skip_reason(name: str, model: schema.ChannelConfig, smtp: Mapping[str, schema.SmtpProfile]) -> str:
    """Why channel ``name`` is not configured (for the ``not configured`` message and ledger)."""
    if isinstance(model, schema.SlackChannel):
        return "no Slack token (set SLACK_BOT_TOKEN or the channel's token)"
    if isinstance(model, schema.SlackWebhookChannel):
        return "the webhook url is empty"
    if isinstance(model, schema.EmailChannel):
        profile = smtp.get(model.smtp)
        if profile is None:
            return f"smtp profile {model.smtp!r} is not defined"
        return f"smtp profile {model.smtp!r} has no host"
    return "not configured"


def smtp_settings(profile: schema.SmtpProfile) -> SmtpSettings:
    username = _secret(profile.username) if profile.username is not None else ""
    password = _secret(profile.password) if profile.password is not None else ""
    return SmtpSettings(
        host=profile.host,
        port=profile.effective_port,
        sender=str(profile.from_address),
        starttls=profile.starttls,
        ssl=profile.ssl,
        username=username or None,
        password=password or None,
        timeout=max(1.0, seconds(profile.timeout)),
    )


def build_channel(
    name: str,
    model: schema.ChannelConfig,
    smtp: Mapping[str, schema.SmtpProfile],
    session: aiohttp.ClientSession,
    *,
    stdout: TextIO | None = None,
    clock: Callable[[], datetime] | None = None,
    proxies: ProxySettings | None = None,
) -> Channel:
    """The channel for one configured (``model.configured``) channel config; ``proxies`` (None:
    direct) picks each HTTP channel's proxy from its URL."""
    proxies = proxies or ProxySettings()
    if isinstance(model, schema.SlackChannel):
        api_url = str(model.api_url) if model.api_url else None
        return SlackChannel(
            name=name,
            channel=model.channel,
            token=_secret(model.token),
            session=session,
            api_url=api_url,
            pace=seconds(model.pace),
            proxy=proxies.for_url(api_url or SLACK_API_URL),
        )
    if isinstance(model, schema.SlackWebhookChannel):
        url = _secret(model.url)
        return SlackWebhookChannel(name=name, url=url, session=session, proxy=proxies.for_url(url))
    if isinstance(model, schema.EmailChannel):
        return EmailChannel(
            name=name, to=[str(a) for a in model.to], smtp=smtp_settings(smtp[model.smtp]), clock=clock
        )
    return ConsoleChannel(name=name, stream=stdout)


def build_channels(
    config: LoadedConfig,
    session: aiohttp.ClientSession,
    *,
    stdout: TextIO | None = None,
    clock: Callable[[], datetime] | None = None,
    proxies: ProxySettings | None = None,
) -> ChannelSet:
    """A :class:`ChannelSet` for every channel of ``config``. ``session`` must not trust the
    environment (see :func:`client_session`); ``stdout`` is the console channels' stream;
    ``proxies`` the outbound proxies (None: every channel connects directly)."""
    channels: dict[str, Channel] = {}
    skipped: dict[str, str] = {}
    for name, model in sorted(config.channels.items()):
        if not model.configured:
            skipped[name] = skip_reason(name, model, config.smtp)
            continue
        try:
            channels[name] = build_channel(
                name, model, config.smtp, session, stdout=stdout, clock=clock, proxies=proxies
            )
        except (KeyError, ValueError) as exc:
            skipped[name] = f"cannot be built: {exc}"
    return ChannelSet(channels=channels, skipped=skipped)
