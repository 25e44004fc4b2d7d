"""Validated config models → domain objects (:mod:`deadlinewatch.domain.model`) and the loaded config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from deadlinewatch.config.checks import SLACK_TOKEN_ENV
from deadlinewatch.config.entries import Collected, Entry
from deadlinewatch.config.places import WrittenPlaces
from deadlinewatch.config.schema import (
    AgreementModel,
    ChannelConfig,
    CommitmentModel,
    EmailChannel,
    FileSource,
    PolicyModel,
    SlackChannel,
    SlackWebhookChannel,
    SmtpProfile,
    SourceConfig,
    SubscriptionModel,
)
from deadlinewatch.domain.localtime import to_instant
from deadlinewatch.domain.model import (
    Agreement,
    Commitment,
    Digest,
    Match,
    PolicySpec,
    QuietHours,
    StatusChange,
    Subscription,
)
from deadlinewatch.domain.watchlist import Watchlist

SLACK_API_URL_ENV = "SLACK_API_URL"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class LoadedConfig:
    watchlist: Watchlist
    channels: Mapping[str, ChannelConfig]
    smtp: Mapping[str, SmtpProfile]
    sources: tuple[SourceConfig, ...]
    database: str | None
    http_listen: str | None
    files: tuple[Path, ...]
    http_allowed_hosts: tuple[str, ...] | None = None
    http_max_body_bytes: int | None = None
    # Where each item was written (not the parsed documents: at 100,000 commitments keeping every
    # value's position and raw data costs hundreds of MB for the life of the process).
    _places: WrittenPlaces = field(default_factory=WrittenPlaces, repr=False, compare=False)

    def summary(self) -> str:
        """One line: what the config holds."""
        w = self.watchlist
        counts = [
            _count(len(w.agreements), "agreement"),
            _count(len(w.commitments), "commitment"),
            _count(len(w.subscriptions), "subscription"),
            _count(len(self.channels), "channel"),
            _count(len(self.sources), "source"),
        ]
        return f"config OK: {', '.join(counts)} (from {_count(len(self.files), 'file')})"

    def delivery_problem(self) -> str | None:
        """Why nothing can ever be sent, or None: no subscriptions, or none of them names a channel
        that is configured (credentials present)."""
        subscriptions = self.watchlist.subscriptions
        if not subscriptions:
            return "no subscriptions: nothing will ever be sent (add one under 'subscriptions:')"
        ready = {name for name, channel in self.channels.items() if channel.configured}
        if not any(ready.intersection(s.notify) for s in subscriptions):
            return (
                "no subscription notifies a configured channel (their channels lack credentials, or "
                "they name none): nothing will be sent until one is configured"
            )
        return None

    def locate(self, *path: str | int) -> str | None:
        """``FILE:LINE`` of an item, e.g. ``("commitments", "syria-elections")``, or of a
        commitment's ``due`` (``(..., "due")``, the field analysts look for); another longer path
        gives its item's place. ``None`` when unknown."""
        if len(path) < 2:
            return None
        section, ident, *sub = (str(part) for part in path)
        return self._places.locate(section, ident, tuple(sub))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def build_config(collected: Collected, env: Mapping[str, str]) -> LoadedConfig:
    """Convert a collection that passed every check (its commitments are already converted)."""
    scalars = {key: entry.model for key, entry in collected.scalars.items()}
    timezone: str = scalars.get("timezone") or "UTC"
    agreements = {e.model.id: build_agreement(e.model) for e in collected.lists["agreements"]}
    commitments: dict[str, Commitment] = {e.model.id: e.model for e in collected.lists["commitments"]}
    watchlist = Watchlist(
        timezone=timezone,
        policies={name: build_policy(e.model) for name, e in collected.maps["policies"].items()},
        agreements=agreements,
        commitments=commitments,
        subscriptions=tuple(build_subscription(e.model, timezone) for e in collected.lists["subscriptions"]),
    )
    smtp = {name: e.model for name, e in collected.maps["smtp"].items()}
    channels = {name: _channel(e.model, smtp, env) for name, e in collected.maps["channels"].items()}
    sources = tuple(_source(e) for e in collected.lists["sources"])
    http = scalars.get("http")
    places = WrittenPlaces()
    for section, items in collected.lists.items():
        with_due = section == "commitments"
        for e in items:
            if e.ident:
                due_line = e.marks.line((*e.path, "due")) if with_due else 0
                places.add(section, e.ident, e.marks.file, e.marks.line(e.path), due_line)
    for section, named in collected.maps.items():
        for name, e in named.items():
            places.add(section, name, e.marks.file, e.marks.line(e.path))
    return LoadedConfig(
        watchlist=watchlist,
        channels=channels,
        smtp=smtp,
        sources=sources,
        database=scalars.get("database"),
        http_listen=http.listen if http is not None else None,
        files=tuple(collected.files),
        http_allowed_hosts=tuple(http.allowed_hosts) if http is not None and http.allowed_hosts else None,
        http_max_body_bytes=http.max_body_bytes if http is not None else None,
        _places=places,
    )


def convert_commitment(
    model: CommitmentModel, agreements: Mapping[str, AgreementModel], timezone: str
) -> Commitment:
    """A validated commitment as a domain object, in its effective zone (its own, else its
    agreement's, else the config's ``timezone``). Done as each commitment is validated: at 100,000
    commitments, holding every model until the end would cost about 150 MB more."""
    agreement = agreements.get(model.agreement) if model.agreement else None
    zone = model.timezone or (agreement.timezone if agreement else None) or timezone
    return build_commitment(model, zone)


def build_agreement(model: AgreementModel) -> Agreement:
    return Agreement(
        id=model.id,
        title=model.title,
        announced=model.announced,
        parties=tuple(model.parties),
        tags=tuple(model.tags),
        references=tuple(model.references),
        source=model.source,
        timezone=model.timezone,
        policy=model.policy,
    )


def build_commitment(model: CommitmentModel, zone: str) -> Commitment:
    """``zone`` is the commitment's effective zone: date-only and naive history entries are nominal
    local times there."""
    history = [
        StatusChange(
            at=to_instant(entry.at, zone),
            status=entry.status,
            note=entry.note,
            url=entry.url,
            origin=entry.origin,
            verified=entry.verified,
        )
        for entry in model.history
    ]
    history.sort(key=lambda change: change.at)  # stable: same-`at` entries keep file order
    return Commitment(
        id=model.id,
        title=model.title,
        due=model.due,
        agreement=model.agreement,
        parties=tuple(model.parties),
        tags=tuple(model.tags),
        timezone=model.timezone,
        announced=model.announced,
        policy=model.policy,
        overdue_at_opens=model.overdue_at == "opens",
        history=tuple(history),
        description=model.description,
        url=model.url,
    )


def build_policy(model: PolicyModel) -> PolicySpec:
    return PolicySpec(
        remind_before=tuple(model.remind_before) if model.remind_before is not None else None,
        grace=model.grace,
        repeat_overdue_every=model.repeat_overdue_every,
        escalate_after=model.escalate_after,
        escalate_after_set="escalate_after" in model.model_fields_set,
        review_every=model.review_every,
    )


def build_subscription(model: SubscriptionModel, timezone: str) -> Subscription:
    match = model.match
    return Subscription(
        name=model.name,
        notify=tuple(model.notify),
        match=Match(
            agreements=_frozen(match.agreements) if match else None,
            commitments=_frozen(match.commitments) if match else None,
            tags=_frozen(match.tags) if match else None,
            parties=_frozen(match.parties) if match else None,
        ),
        events=frozenset(model.events) if model.events is not None else None,
        policy=model.policy,
        quiet_hours=(
            QuietHours(model.quiet_hours.start, model.quiet_hours.end, model.quiet_hours.timezone or timezone)
            if model.quiet_hours
            else None
        ),
        digest=(
            Digest(model.digest.cron, model.digest.timezone or timezone, model.digest.horizon)
            if model.digest
            else None
        ),
    )


def _frozen(values: list[str] | None) -> frozenset[str] | None:
    return frozenset(values) if values is not None else None


def _channel(model: ChannelConfig, smtp: Mapping[str, SmtpProfile], env: Mapping[str, str]) -> ChannelConfig:
    """Fill environment defaults and mark whether the channel's credentials are present."""
    configured = True
    if isinstance(model, SlackChannel):
        token = model.token.get_secret_value() if model.token is not None else ""
        token = token or env.get(SLACK_TOKEN_ENV, "")
        api_url = model.api_url or env.get(SLACK_API_URL_ENV) or DEFAULT_SLACK_API_URL
        model = model.model_copy(update={"token": SecretStr(token) if token else None, "api_url": api_url})
        configured = bool(token)
    elif isinstance(model, SlackWebhookChannel):
        configured = bool(model.url.get_secret_value())
    elif isinstance(model, EmailChannel):
        profile = smtp.get(model.smtp)
        configured = profile is not None and bool(profile.host)
    model._configured = configured
    return model


def _source(entry: Entry) -> SourceConfig:
    """A ``file`` source's relative path is relative to the config file that names it."""
    model: SourceConfig = entry.model
    if isinstance(model, FileSource):
        path = Path(model.path)
        if not path.is_absolute():
            path = Path(entry.marks.file).parent / path
        model = model.model_copy(update={"path": str(path)})
    return model
