"""Channels built from a real config, then used by the dispatcher against the local servers."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path

from deadlinewatch.config.loader import load_config
from deadlinewatch.delivery.console import ConsoleChannel
from deadlinewatch.delivery.email import EmailChannel
from deadlinewatch.delivery.factory import build_channels, client_session
from deadlinewatch.delivery.slack import SlackChannel
from deadlinewatch.domain.briefs import OperationalBrief
from deadlinewatch.domain.events import ChannelFailing
from deadlinewatch.domain.model import EventKind
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.services.dispatch import Dispatcher
from deadlinewatch.storage import NotificationState, Store, new_notifications
from support.slack_api import SlackApiServer
from support.smtp import RunningSmtp

AT = datetime(2016, 9, 3, 6, 0, tzinfo=UTC)

CONFIG = """\
channels:
  no-token:   {type: slack, channel: "#a"}
  with-token: {type: slack, channel: "#b", token: "${MY_TOKEN}", pace: 0s}
  paced:      {type: slack, channel: "#c", token: "${MY_TOKEN}"}
  hook:       {type: slack_webhook, url: "${HOOK_URL:-}"}
  mail-off:   {type: email, to: [desk@example.org], smtp: "off"}
  mail-on:    {type: email, to: [desk@example.org], smtp: "on"}
  console:    {type: console}
smtp:
  "off": {host: "", from: dw@example.org}
  "on":  {host: "127.0.0.1", port: "${SMTP_PORT}", starttls: false, from: dw@example.org}
"""


def test_configured_channels_are_built_and_the_rest_skipped_with_reasons(
    tmp_path: Path, store: Store, slack_api: SlackApiServer, smtp: RunningSmtp
) -> None:
    (tmp_path / "deadlinewatch.yaml").write_text(CONFIG)
    env = {"MY_TOKEN": "xoxb-test", "SLACK_API_URL": slack_api.api_url, "SMTP_PORT": str(smtp.port)}
    result = load_config(tmp_path, env)
    assert result.config is not None, result.errors
    out = io.StringIO()
    notice = Notice(
        subscription="ops",
        channels=("with-token", "mail-on", "console", "no-token", "hook", "mail-off"),
        event=EventKind.CHANNEL_FAILING,
        subject="desk-slack",
        occurred=AT,
        send_at=AT,
        data=ChannelFailing("desk-slack", "invalid_auth <!channel>"),
    )
    context = OperationalBrief("desk-slack", "invalid_auth <!channel>")
    store.insert_notifications(new_notifications(notice, context))

    async def main() -> dict[str, str]:
        async with client_session() as session:
            assert session.trust_env is False
            built = build_channels(result.config, session, stdout=out)  # type: ignore[arg-type]
            channels = built.channels
            assert sorted(channels) == ["console", "mail-on", "paced", "with-token"]
            assert isinstance(channels["with-token"], SlackChannel)
            assert channels["with-token"]._pacer.interval == 0
            assert isinstance(channels["paced"], SlackChannel) and channels["paced"]._pacer.interval == 1
            assert (
                isinstance(channels["mail-on"], EmailChannel) and channels["mail-on"].smtp.port == smtp.port
            )
            assert isinstance(channels["console"], ConsoleChannel)
            dispatcher = Dispatcher(
                store,
                channels,
                built.skipped,
                clock=lambda: AT,
                owner="factory-test",
                is_relevant=lambda record, now: True,
                on_channel_failing=lambda channel, error, now: None,
            )
            await dispatcher.deliver_once()
            await built.aclose()
            return dict(built.skipped)

    skipped = asyncio.run(main())
    assert skipped == {
        "no-token": "no Slack token (set SLACK_BOT_TOKEN or the channel's token)",
        "hook": "the webhook url is empty",
        "mail-off": "smtp profile 'off' has no host",
    }
    assert "xoxb-test" not in repr(skipped)
    rows = {r.channel: r for r in store.list_notifications()}
    for name in ("with-token", "mail-on", "console"):
        assert rows[name].state is NotificationState.SENT
    for name, reason in skipped.items():
        assert rows[name].state is NotificationState.SUPERSEDED
        assert rows[name].last_error == f"channel {name} not configured: {reason}"
    assert len(slack_api.posted()) == 1 and len(smtp.handler.messages) == 1
    assert "channel_failing" in out.getvalue() or "desk-slack" in out.getvalue()
