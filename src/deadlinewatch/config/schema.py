"""Pydantic models of the config files (SPEC §2). Every model forbids unknown keys.

Values are parsed here (dues, durations, dates, regular expressions, JMESPath, cron) so that their
errors carry the place they were written; cross-references are checked in :mod:`config.checks`.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from functools import lru_cache
from typing import Annotated, Any, Literal

import jmespath
import jmespath.exceptions
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainValidator,
    PrivateAttr,
    SecretStr,
    model_validator,
)

from deadlinewatch.domain.cron import parse_cron
from deadlinewatch.domain.dueforms import parse_due, parse_local_datetime
from deadlinewatch.domain.localtime import zone
from deadlinewatch.domain.model import DueSpec, EventKind, Status
from deadlinewatch.durations import Duration, parse_duration

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_TEXT = 10_000
MAX_NAME = 1_000
MAX_URL = 2_000


def _check_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise ValueError(
            f"{shown!r} is not a valid id: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


def _bounded(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"is {len(value)} characters long; at most {limit} are allowed")
        return value

    return AfterValidator(check)


def _zone(value: str) -> str:
    zone(value)
    return value


def _local_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected a date (2016-08-31) or date and time (2016-08-31T10:00), got {value!r}")
    return parse_local_datetime(value)


def _regex(value: object) -> re.Pattern[str]:
    if not isinstance(value, str):
        raise ValueError(f"expected a regular expression (a string), got {type(value).__name__}")
    if len(value) > MAX_NAME:
        raise ValueError(f"regular expression is {len(value)} characters long; at most {MAX_NAME} allowed")
    try:
        return re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None


def _clock(value: object) -> time:
    if isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        return time(int(value[:2]), int(value[3:]))
    raise ValueError(f'expected a time of day as "HH:MM" (00:00 to 23:59), got {str(value)[:40]!r}')


def _cron(value: str) -> str:
    parse_cron(value)
    return value


def _due(value: object) -> DueSpec:
    # Due forms are immutable and a large config repeats the same few thousand texts: parse each
    # text once (errors are not cached, so each place still gets its message).
    if type(value) is str:
        return _due_text(value)
    return parse_due(value)


@lru_cache(maxsize=16_384)
def _due_text(text: str) -> DueSpec:
    return parse_due(text)


def _escalate(value: object) -> Duration | None:
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return None
    return parse_duration(value)


Id = Annotated[str, AfterValidator(_check_id)]
Text = Annotated[str, _bounded(MAX_TEXT)]
Name = Annotated[str, _bounded(MAX_NAME)]
Url = Annotated[str, _bounded(MAX_URL)]
Zone = Annotated[str, AfterValidator(_zone)]
DurationValue = Annotated[Duration, PlainValidator(parse_duration)]
DueValue = Annotated[DueSpec, PlainValidator(_due)]
LocalDateTime = Annotated[datetime, PlainValidator(_local_datetime)]
Regex = Annotated[re.Pattern[str], PlainValidator(_regex)]
Clock = Annotated[time, PlainValidator(_clock)]
Cron = Annotated[str, AfterValidator(_cron)]


class FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


# --- commitments ---------------------------------------------------------------------------------


class HistoryEntry(FileModel):
    at: LocalDateTime
    status: Status
    note: Text | None = None
    url: Url | None = None
    origin: Name = "config"
    verified: bool = False


class AgreementModel(FileModel):
    id: Id
    title: Text
    announced: LocalDateTime | None = None
    parties: list[Name] = Field(default_factory=list)
    tags: list[Name] = Field(default_factory=list)
    references: list[Name] = Field(default_factory=list)
    source: Url | None = None
    timezone: Zone | None = None
    policy: Id | None = None


class SourceQuoteModel(FileModel):
    """Where a commitment was read from (``deadlinewatch extract`` writes it): the exact quote, its
    character offsets in the text, and the phrase its deadline was read from. Kept as provenance;
    nothing is computed from it."""

    quote: Text
    start: Annotated[int, Field(ge=0)]
    end: Annotated[int, Field(ge=0)]
    phrase: Text | None = None
    document: Text | None = None


class CommitmentModel(FileModel):
    id: Id
    title: Text
    due: DueValue
    agreement: Id | None = None
    parties: list[Name] = Field(default_factory=list)
    tags: list[Name] = Field(default_factory=list)
    timezone: Zone | None = None
    announced: LocalDateTime | None = None
    policy: Id | None = None
    overdue_at: Literal["opens", "closes"] = "closes"
    history: list[HistoryEntry] = Field(default_factory=list)
    description: Text | None = None
    url: Url | None = None
    source: SourceQuoteModel | None = None


class PolicyModel(FileModel):
    remind_before: list[DurationValue] | None = None
    grace: DurationValue | None = None
    repeat_overdue_every: DurationValue | None = None
    escalate_after: Annotated[Duration | None, PlainValidator(_escalate)] = None
    review_every: DurationValue | None = None


# --- channels and SMTP ---------------------------------------------------------------------------


class _Channel(FileModel):
    _configured: bool = PrivateAttr(default=True)

    @property
    def configured(self) -> bool:
        """Its credentials are present (a channel that is not configured is skipped by ``run``)."""
        return self._configured


class SlackChannel(_Channel):
    type: Literal["slack"]
    channel: Name
    token: SecretStr | None = None
    api_url: Url | None = None
    pace: DurationValue = parse_duration("1s")


class SlackWebhookChannel(_Channel):
    type: Literal["slack_webhook"]
    url: SecretStr


class EmailChannel(_Channel):
    type: Literal["email"]
    to: list[EmailStr] = Field(min_length=1)
    smtp: Id = "default"


class ConsoleChannel(_Channel):
    type: Literal["console"]


ChannelConfig = SlackChannel | SlackWebhookChannel | EmailChannel | ConsoleChannel
CHANNEL_TYPES: dict[str, type[ChannelConfig]] = {
    "slack": SlackChannel,
    "slack_webhook": SlackWebhookChannel,
    "email": EmailChannel,
    "console": ConsoleChannel,
}


class SmtpProfile(FileModel):
    host: Name = ""
    port: int | None = Field(default=None, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False
    username: SecretStr | None = None
    password: SecretStr | None = None
    from_address: EmailStr = Field(alias="from")
    timeout: DurationValue = parse_duration("30s")

    @model_validator(mode="after")
    def _one_tls(self) -> SmtpProfile:
        if self.starttls and self.ssl:
            raise ValueError("set either starttls or ssl, not both (ssl: true needs starttls: false)")
        return self

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return 465 if self.ssl else 587 if self.starttls else 25


# --- sources -------------------------------------------------------------------------------------


class FeedRule(FileModel):
    match: Regex
    commitments: list[Id] = Field(min_length=1)
    set_status: Status | None = None


class StatusExpression:
    """A JMESPath expression in which ``{id}`` stands for each commitment's id."""

    def __init__(self, text: str) -> None:
        self.text = text

    def compiled(self, commitment_id: str) -> Any:
        return _compile_jmespath(self.text.replace("{id}", commitment_id))

    def search(self, document: object, commitment_id: str) -> object:
        return self.compiled(commitment_id).search(document)

    def __repr__(self) -> str:
        return f"StatusExpression({self.text!r})"


@lru_cache(maxsize=4096)
def _compile_jmespath(text: str) -> Any:
    return jmespath.compile(text)


def _status_expression(value: object) -> StatusExpression:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a JMESPath expression, e.g. \"items[?id=='{id}'].status | [0]\"")
    if len(value) > MAX_NAME:
        raise ValueError(f"expression is {len(value)} characters long; at most {MAX_NAME} are allowed")
    try:
        _compile_jmespath(value.replace("{id}", "sample-id"))
    except jmespath.exceptions.JMESPathError as exc:
        raise ValueError(f"invalid JMESPath expression: {' '.join(str(exc).split())}") from None
    return StatusExpression(value)


def map_key(value: object) -> str:
    """The key a source value is looked up under in ``map`` (JSON spelling of scalars)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


MapKey = Annotated[str, PlainValidator(lambda value: map_key(value)[:MAX_NAME])]


class _Source(FileModel):
    id: Id
    every: DurationValue = parse_duration("30m")
    timeout: DurationValue = parse_duration("30s")


class FeedSource(_Source):
    type: Literal["feed"]
    url: Url
    rules: list[FeedRule] = Field(default_factory=list)


class HttpJsonSource(_Source):
    type: Literal["http_json"]
    url: Url
    headers: dict[Name, Text] = Field(default_factory=dict)
    status: Annotated[StatusExpression, PlainValidator(_status_expression)]
    commitments: list[Id] | None = None
    map: dict[MapKey, Status] | None = None

    model_config = ConfigDict(arbitrary_types_allowed=True)


class FileSource(_Source):
    type: Literal["file"]
    path: Name
    every: DurationValue = parse_duration("1m")


SourceConfig = FeedSource | HttpJsonSource | FileSource
SOURCE_TYPES: dict[str, type[SourceConfig]] = {
    "feed": FeedSource,
    "http_json": HttpJsonSource,
    "file": FileSource,
}


# --- subscriptions -------------------------------------------------------------------------------


class MatchModel(FileModel):
    agreements: list[Id] | None = None
    commitments: list[Id] | None = None
    tags: list[Name] | None = None
    parties: list[Name] | None = None


class QuietHoursModel(FileModel):
    start: Clock
    end: Clock
    timezone: Zone | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursModel:
        if self.start == self.end:
            raise ValueError("start and end are the same time: quiet hours would never end")
        return self


class DigestModel(FileModel):
    cron: Cron
    timezone: Zone | None = None
    horizon: DurationValue = parse_duration("30d")


class SubscriptionModel(FileModel):
    name: Id
    notify: list[Id] = Field(min_length=1)
    match: MatchModel | None = None
    events: list[EventKind] | None = None
    policy: Id | None = None
    quiet_hours: QuietHoursModel | None = None
    digest: DigestModel | None = None


# --- top-level scalars ---------------------------------------------------------------------------


class HttpModel(FileModel):
    listen: Annotated[str, AfterValidator(lambda v: _listen(v))] | None = None
    # Host names the service answers to (``*.example.org`` and ``*`` allowed); default: the
    # listen host and localhost. Any other Host header is a 400 (DNS rebinding).
    allowed_hosts: list[Annotated[str, AfterValidator(lambda v: _host_pattern(v))]] | None = None
    # The largest request body accepted on any endpoint (413 above it); default 64 KiB.
    max_body_bytes: int | None = Field(None, ge=1024, le=64 * 1024 * 1024)


_HOST_PATTERN = re.compile(r"^(\*|(\*\.)?[a-z0-9]([a-z0-9.-]{0,252})?|\[?[0-9a-f:.]+\]?)$", re.IGNORECASE)


def _host_pattern(value: str) -> str:
    if not _HOST_PATTERN.match(value.strip()):
        raise ValueError(
            f"expected a host name (example.org), '*.example.org', an IP address or '*', got {value[:60]!r}"
        )
    return value.strip()


def _listen(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:8080, got {value[:60]!r}")
    return value


TimezoneValue = Zone
DatabaseValue = Annotated[str, _bounded(MAX_URL)]
