"""The email channel against real local SMTP servers (aiosmtpd), plaintext and STARTTLS."""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deadlinewatch.delivery.base import CommitmentView, DeliveryError, Link, Outgoing, SendReceipt
from deadlinewatch.delivery.email import EmailChannel, SmtpSettings, message_id
from deadlinewatch.domain.events import Reminder
from deadlinewatch.domain.model import EventKind
from support.smtp import CollectingHandler, RunningSmtp, free_port, smtp_server

HOSTILE = 'Release <script>alert(1)</script> & "detainees" <!channel>'
AT = datetime(2016, 9, 3, 6, 0, tzinfo=UTC)
KEY = "0123456789abcdef0123456789abcdef01234567"


def outgoing() -> Outgoing:
    return Outgoing(
        key=KEY,
        event=EventKind.REMINDER,
        subscription="syria-desk",
        channel="desk-email",
        occurred=AT,
        send_at=AT,
        data=Reminder("2016-08-31T21:00:00Z", "7d"),
        commitment=CommitmentView(
            id="syria-detainee-releases",
            title=HOSTILE,
            status="not_started",
            deadline_words="by end of August 2016, Damascus time",
            relative_words="closes in 7 days",
            parties=("Syrian government",),
            links=(Link("https://example.org/a?x=1&y=2", "source <b>"), Link("javascript:alert(1)", "bad")),
        ),
    )


def settings(server: RunningSmtp, **kwargs: object) -> SmtpSettings:
    return SmtpSettings(host=server.host, port=server.port, sender="deadlinewatch@example.org", **kwargs)  # type: ignore[arg-type]


def send(smtp: SmtpSettings, to: tuple[str, ...] = ("desk@example.org",)) -> SendReceipt | DeliveryError:
    channel = EmailChannel(name="desk-email", to=to, smtp=smtp, clock=lambda: AT)

    async def main() -> SendReceipt | DeliveryError:
        try:
            return await channel.send(outgoing())
        except DeliveryError as exc:
            return exc

    return asyncio.run(main())


def test_multipart_message_with_headers_and_escaped_html(smtp: RunningSmtp) -> None:
    assert isinstance(send(settings(smtp)), SendReceipt)
    (received,) = smtp.handler.messages
    mail = received.message
    assert received.rcpt_tos == ["desk@example.org"]
    assert mail["Message-ID"] == f"<{KEY}@deadlinewatch>" == message_id(KEY)
    assert mail["Date"] == "Sat, 03 Sep 2016 06:00:00 +0000"
    assert mail["From"] == "deadlinewatch@example.org" and mail["To"] == "desk@example.org"
    assert mail["Subject"].startswith("[deadlinewatch] Reminder: 1 week left — Release <script>")
    assert mail.get_content_type() == "multipart/alternative"
    text_part = mail.get_body(preferencelist=("plain",))
    html_part = mail.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content(), html_part.get_content()
    assert HOSTILE in text  # plain text shows the title as written
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in html
    assert "&#34;detainees&#34;" in html or "&quot;detainees&quot;" in html
    assert 'href="https://example.org/a?x=1&amp;y=2"' in html and "source &lt;b&gt;" in html
    assert "javascript" not in html and "javascript" not in text
    assert "by end of August 2016, Damascus time — closes in 7 days" in text


def test_rejected_recipient_is_permanent() -> None:
    with smtp_server(CollectingHandler(reject={"gone@example.org"})) as server:
        error = send(settings(server), to=("gone@example.org",))
        assert isinstance(error, DeliveryError) and error.permanent
        assert "550" in str(error)
        # One refused among several: delivered to the others, the refusal recorded, no retry.
        receipt = send(settings(server), to=("gone@example.org", "desk@example.org"))
        assert isinstance(receipt, SendReceipt) and receipt.detail and "gone@example.org" in receipt.detail
        assert [m.rcpt_tos for m in server.handler.messages] == [["desk@example.org"]]


def test_server_down_is_transient() -> None:
    error = send(SmtpSettings(host="127.0.0.1", port=free_port(), sender="d@example.org", timeout=5))
    assert isinstance(error, DeliveryError) and not error.permanent


def test_starttls_required_but_not_offered_is_permanent(smtp: RunningSmtp) -> None:
    error = send(settings(smtp, starttls=True))
    assert isinstance(error, DeliveryError) and error.permanent
    assert smtp.handler.messages == []


def test_both_tls_modes_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        SmtpSettings(host="h", port=1, sender="s@example.org", starttls=True, ssl=True)


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    return context


def test_starttls_with_verified_certificate_and_login(tls_certificate: tuple[Path, Path]) -> None:
    cert, key = tls_certificate
    with smtp_server(
        tls_context=server_tls(cert, key), require_starttls=True, login=("analyst", "s3cret")
    ) as server:
        ok = send(settings(server, starttls=True, ca_file=str(cert), username="analyst", password="s3cret"))
        assert isinstance(ok, SendReceipt)
        assert len(server.handler.messages) == 1
        bad = send(settings(server, starttls=True, ca_file=str(cert), username="analyst", password="wrong"))
        assert isinstance(bad, DeliveryError) and bad.permanent and "535" in str(bad)
        assert "wrong" not in str(bad)
        # The default context (system CAs) does not trust a self-signed certificate.
        untrusted = send(settings(server, starttls=True))
        assert (
            isinstance(untrusted, DeliveryError) and untrusted.permanent and "certificate" in str(untrusted)
        )
        assert len(server.handler.messages) == 1
