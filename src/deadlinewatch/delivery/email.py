"""The email channel: one multipart/alternative (text + HTML) message per notification, over SMTP
with aiosmtplib.

TLS is explicit, never left to aiosmtplib's defaults (``start_tls=None`` would silently fall back to
plaintext when the server offers no STARTTLS):

- ``starttls=True``: connect in plaintext, then ``STARTTLS`` is *required* (``start_tls=True``);
- ``ssl=True``: implicit TLS from the first byte (``use_tls=True``, usually port 465);
- both false: plaintext, with ``start_tls=False`` — only for a local relay or a test server;
- both true: a configuration error (``ValueError``).

Certificates are always verified: the default SSL context (system CAs), or one built from
``ca_file``, or the given ``tls_context``.

Errors (:class:`DeliveryError`): connection refused, timeouts, disconnects and 4xx replies are
transient; 5xx replies (550 rejected recipient, 554 ...), authentication failure (535), a server
without STARTTLS when it is required, and a certificate that does not verify are permanent.
"""

from __future__ import annotations

import re
import ssl as tls_lib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formatdate

import aiosmtplib

from deadlinewatch.delivery.base import DeliveryError, Outgoing, SendReceipt
from deadlinewatch.delivery.email_rendering import render_email

MESSAGE_ID_DOMAIN = "deadlinewatch"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    ca_file: str | None = None
    tls_context: tls_lib.SSLContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.starttls and self.ssl:
            raise ValueError("smtp: choose one of starttls and ssl, not both")


def message_id(key: str) -> str:
    """``<KEY@deadlinewatch>`` (characters outside ``[A-Za-z0-9._-]`` dropped from the key)."""
    return f"<{re.sub(r'[^A-Za-z0-9._-]', '', key)}@{MESSAGE_ID_DOMAIN}>"


def build_message(
    message: Outgoing, *, sender: str, to: Sequence[str], date: datetime | None = None
) -> EmailMessage:
    """The MIME message for ``message``: multipart/alternative, text first then HTML. ``date``
    (aware) defaults to now."""
    content = render_email(message)
    mail = EmailMessage(policy=SMTP_POLICY)
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Subject"] = content.subject
    mail["Date"] = format_datetime(date.astimezone(UTC)) if date is not None else formatdate(usegmt=True)
    mail["Message-ID"] = message_id(message.key)
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Deadlinewatch-Key"] = message.key
    mail.set_content(content.text)
    mail.add_alternative(content.html, subtype="html")
    return mail


def _is_cert_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, tls_lib.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def smtp_error(exc: Exception, context: str) -> DeliveryError:
    """Map an aiosmtplib (or socket/TLS) failure to a :class:`DeliveryError`."""
    if _is_cert_failure(exc):
        return DeliveryError(f"{context}: server certificate did not verify: {exc}", permanent=True)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        permanent = any(code >= 500 for code in codes) or not codes
        return DeliveryError(f"{context}: recipients refused: {detail}", permanent=permanent)
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(exc, ConnectionError):
        what = "authentication failed" if isinstance(exc, aiosmtplib.SMTPAuthenticationError) else "refused"
        return DeliveryError(f"{context}: {what}: {exc.code} {exc.message}", permanent=exc.code >= 500)
    if isinstance(exc, aiosmtplib.SMTPNotSupported) or type(exc) is aiosmtplib.SMTPException:
        # aiosmtplib raises the bare class for capability mismatches (no STARTTLS, no AUTH method):
        # the server will not change its mind on a retry.
        return DeliveryError(f"{context}: server cannot do what the config asks: {exc}", permanent=True)
    return DeliveryError(f"{context}: cannot deliver ({type(exc).__name__}: {exc})", permanent=False)


class EmailChannel:
    """Sends each notification to ``to`` through the SMTP server of ``smtp`` (one connection per
    message). ``clock`` gives the ``Date`` header (aware datetime); default: the system time."""

    def __init__(
        self,
        *,
        name: str,
        to: Sequence[str],
        smtp: SmtpSettings,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not to:
            raise ValueError("email channel needs at least one recipient")
        self.name = name
        self.to = tuple(to)
        self.smtp = smtp
        self._clock = clock
        self._tls_context: tls_lib.SSLContext | None = None

    def _context(self) -> tls_lib.SSLContext:
        if self.smtp.tls_context is not None:
            return self.smtp.tls_context
        if self._tls_context is None:
            self._tls_context = tls_lib.create_default_context(cafile=self.smtp.ca_file)
        return self._tls_context

    def _client(self) -> aiosmtplib.SMTP:
        settings = self.smtp
        tls = settings.starttls or settings.ssl
        return aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            username=settings.username or None,
            password=settings.password if settings.username else None,
            timeout=settings.timeout,
            use_tls=settings.ssl,
            start_tls=settings.starttls,
            validate_certs=True,
            tls_context=self._context() if tls else None,
        )

    async def send(self, message: Outgoing) -> SendReceipt:
        context = f"email channel {self.name} via {self.smtp.host}:{self.smtp.port}"
        date = self._clock() if self._clock is not None else None
        mail = build_message(message, sender=self.smtp.sender, to=self.to, date=date)
        try:
            client = self._client()
            async with client:
                refused, _ = await client.send_message(mail)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise smtp_error(exc, context) from exc
        detail = None
        if refused:
            detail = "refused: " + "; ".join(f"{address}: {reply.code}" for address, reply in refused.items())
        return SendReceipt(channel=self.name, detail=detail)

    async def aclose(self) -> None:
        return None
