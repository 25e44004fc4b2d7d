"""Checks across items: references to unknown ids, cycles among relative deadlines, reminder
instants, announced dates that open forms need, and credential warnings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from deadlinewatch.config.entries import Collected, Entry
from deadlinewatch.config.issues import IssueLog
from deadlinewatch.config.schema import (
    EmailChannel,
    HttpJsonSource,
    SlackChannel,
    SlackWebhookChannel,
    SubscriptionModel,
)
from deadlinewatch.domain.model import (
    ANNOUNCED,
    Commitment,
    DerivedDue,
    DueSpec,
    EventKind,
    OpenDue,
    RelativeDue,
)
from deadlinewatch.domain.watchlist import DEFAULT_POLICY
from deadlinewatch.durations import Duration

SLACK_TOKEN_ENV = "SLACK_BOT_TOKEN"
# Due forms that refer to another commitment or to the announced date (or hold such forms).
_REFERRING = (RelativeDue, DerivedDue, OpenDue)


def check_all(collected: Collected, env: Mapping[str, str], log: IssueLog) -> None:
    _check_commitments(collected, log)
    _check_cycles(collected, log)
    _check_agreements(collected, log)
    _check_policies(collected, log)
    _check_channels(collected, env, log)
    _check_sources(collected, log)
    _check_subscriptions(collected, log)


def due_references(
    due: DueSpec, path: tuple[object, ...] = ()
) -> Iterator[tuple[DueSpec, tuple[object, ...]]]:
    """Every due form inside ``due`` (itself included) with its path below the ``due`` key."""
    yield due, path
    if isinstance(due, DerivedDue):
        for index, member in enumerate(due.members):
            yield from due_references(member, (*path, due.mode.value, index))


def _unknown(log: IssueLog, entry: Entry, sub: tuple[object, ...], kind: str, name: str) -> None:
    log.error(entry.place(*sub), entry.field(*sub), f"unknown {kind} {name!r}")


def _policy_names(collected: Collected) -> set[str]:
    return set(collected.maps["policies"]) | {DEFAULT_POLICY}


def _check_commitments(collected: Collected, log: IssueLog) -> None:
    commitments = collected.ids("commitments")
    agreement_ids = collected.ids("agreements")
    agreements = collected.by_id("agreements")
    policies = _policy_names(collected)
    for entry in collected.valid("commitments"):
        model: Commitment = entry.model  # converted as it was validated
        if model.agreement is not None and model.agreement not in agreement_ids:
            _unknown(log, entry, ("agreement",), "agreement", model.agreement)
        if model.policy is not None and model.policy not in policies:
            _unknown(log, entry, ("policy",), "policy", model.policy)
        if not isinstance(model.due, _REFERRING):
            continue  # a calendar date or an instant: nothing below refers to anything
        agreement = agreements.get(model.agreement) if model.agreement else None
        announced = model.announced or (agreement.model.announced if agreement is not None else None)
        for due, sub in due_references(model.due):
            where = ("due", *sub)
            if isinstance(due, RelativeDue) and due.after != ANNOUNCED and due.after not in commitments:
                _unknown(log, entry, (*where, "after"), "commitment", due.after)
            needs = isinstance(due, OpenDue) or (isinstance(due, RelativeDue) and due.after == ANNOUNCED)
            if needs and announced is None and (model.agreement is None or agreement is not None):
                form = due.kind.value if isinstance(due, OpenDue) else "after: announced"
                log.error(
                    entry.place(*where),
                    entry.field(*where),
                    f"'{form}' needs an 'announced' date on the commitment or its agreement",
                )


def _check_cycles(collected: Collected, log: IssueLog) -> None:
    entries = collected.by_id("commitments")
    # Only commitments whose due refers to another have edges (a leaf is missing from the graph).
    graph = {
        cid: [
            d.after
            for d, _ in due_references(e.model.due)
            if isinstance(d, RelativeDue) and d.after in entries
        ]
        for cid, e in entries.items()
        if isinstance(e.model.due, _REFERRING)
    }
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in graph:
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            node, index = stack[-1]
            edges = graph.get(node, ())
            if index < len(edges):
                stack[-1] = (node, index + 1)
                nxt = edges[index]
                if state.get(nxt) == 1:
                    cycle = [*path[path.index(nxt) :], nxt]
                    entry = entries[nxt]
                    log.error(
                        entry.place("due"),
                        entry.field("due"),
                        "relative deadlines form a cycle: " + " -> ".join(cycle),
                    )
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                state[node] = 2
                stack.pop()
                path.pop()


def _check_agreements(collected: Collected, log: IssueLog) -> None:
    policies = _policy_names(collected)
    for entry in collected.valid("agreements"):
        if entry.model.policy is not None and entry.model.policy not in policies:
            _unknown(log, entry, ("policy",), "policy", entry.model.policy)


def _check_policies(collected: Collected, log: IssueLog) -> None:
    for entry in collected.maps["policies"].values():
        if entry.model is None:
            continue
        seen: dict[tuple[int, int], Duration] = {}
        for index, value in enumerate(entry.model.remind_before or ()):
            sub = ("remind_before", index)
            # On a day without a daylight-saving change a calendar day is 24 elapsed hours, so 1d and
            # 24h (or 7d and 1w) give one instant there and would collapse into one notification.
            key = (value.months, value.days * 86400 + value.seconds)
            if value.is_zero:
                log.error(
                    entry.place(*sub),
                    entry.field(*sub),
                    f"{value.text} is not positive: reminders come before the due",
                )
            elif key in seen:
                same = seen[key]
                where = (
                    ""
                    if (same.days, same.seconds) == (value.days, value.seconds)
                    else " on any day without a daylight-saving change"
                )
                log.error(
                    entry.place(*sub),
                    entry.field(*sub),
                    f"{value.text} gives the same instant as {same.text}{where}: "
                    "each must differ; remove one of them",
                )
            else:
                seen[key] = value
        review = entry.model.review_every
        if review is not None and review.is_zero:
            log.error(entry.place("review_every"), entry.field("review_every"), "must be positive")


def _check_elapsed(entry: Entry, name: str, value: Duration, log: IssueLog, *, zero_ok: bool = False) -> None:
    if value.months:
        log.error(
            entry.place(name),
            entry.field(name),
            f"{value.text}: use s, m, h, d or w here, not months or years",
        )
    elif value.is_zero and not zero_ok:
        log.error(entry.place(name), entry.field(name), "must be positive")


def _check_channels(collected: Collected, env: Mapping[str, str], log: IssueLog) -> None:
    profiles = collected.maps["smtp"]
    for entry in collected.maps["channels"].values():
        channel = entry.model
        if isinstance(channel, SlackChannel):
            _check_elapsed(entry, "pace", channel.pace, log, zero_ok=True)
            token = channel.token.get_secret_value() if channel.token is not None else ""
            if not token and not env.get(SLACK_TOKEN_ENV):
                log.warning(
                    entry.place("type"),
                    entry.field("token"),
                    f"no Slack token (set 'token' or {SLACK_TOKEN_ENV}); run skips this channel",
                )
        elif isinstance(channel, SlackWebhookChannel):
            if not channel.url.get_secret_value():
                log.warning(entry.place("url"), entry.field("url"), "no webhook URL; run skips this channel")
        elif isinstance(channel, EmailChannel):
            profile = profiles.get(channel.smtp)
            if profile is None:
                _unknown(log, entry, ("smtp",), "smtp profile", channel.smtp)
            elif profile.model is not None and not profile.model.host:
                log.warning(
                    entry.place("smtp"),
                    entry.field("smtp"),
                    f"smtp profile {channel.smtp!r} has no host; run skips this channel",
                )
    for entry in profiles.values():
        if entry.model is not None:
            _check_elapsed(entry, "timeout", entry.model.timeout, log)


def _check_sources(collected: Collected, log: IssueLog) -> None:
    commitments = collected.ids("commitments")
    for entry in collected.valid("sources"):
        source = entry.model
        _check_elapsed(entry, "every", source.every, log)
        _check_elapsed(entry, "timeout", source.timeout, log)
        for index, rule in enumerate(getattr(source, "rules", ())):
            for position, cid in enumerate(rule.commitments):
                if cid not in commitments:
                    _unknown(log, entry, ("rules", index, "commitments", position), "commitment", cid)
        if isinstance(source, HttpJsonSource):
            for position, cid in enumerate(source.commitments or ()):
                if cid not in commitments:
                    _unknown(log, entry, ("commitments", position), "commitment", cid)


def _check_subscriptions(collected: Collected, log: IssueLog) -> None:
    commitments = collected.ids("commitments")
    agreements = collected.ids("agreements")
    channels = set(collected.maps["channels"])
    policies = _policy_names(collected)
    for entry in collected.valid("subscriptions"):
        model: SubscriptionModel = entry.model
        for position, name in enumerate(model.notify):
            if name not in channels:
                _unknown(log, entry, ("notify", position), "channel", name)
        if model.policy is not None and model.policy not in policies:
            _unknown(log, entry, ("policy",), "policy", model.policy)
        if model.match is not None:
            for position, cid in enumerate(model.match.commitments or ()):
                if cid not in commitments:
                    _unknown(log, entry, ("match", "commitments", position), "commitment", cid)
            for position, aid in enumerate(model.match.agreements or ()):
                if aid not in agreements:
                    _unknown(log, entry, ("match", "agreements", position), "agreement", aid)
        if model.events is not None and EventKind.DIGEST in model.events and model.digest is None:
            log.warning(
                entry.place("events"),
                entry.field("events"),
                "'digest' is listed but there is no digest block",
            )
