"""The whole set of commitments a config describes, and the rules that resolve inherited values
(time zone, announced date, policy)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from deadlinewatch.domain.localtime import to_local
from deadlinewatch.domain.model import (
    Agreement,
    Commitment,
    OpenDue,
    OpenKind,
    Policy,
    PolicySpec,
    Subscription,
)
from deadlinewatch.durations import Duration, parse_duration

BUILTIN_POLICY = PolicySpec(
    remind_before=(parse_duration("30d"), parse_duration("7d"), parse_duration("1d")),
    grace=parse_duration("0d"),
    repeat_overdue_every=parse_duration("7d"),
    escalate_after=None,
    escalate_after_set=True,
    review_every=None,
)
_BUILTIN_REVIEW = {
    OpenKind.IMMEDIATE: parse_duration("7d"),
    OpenKind.ASAP: parse_duration("14d"),
    OpenKind.OPEN: parse_duration("14d"),
}
DEFAULT_POLICY = "default"


@dataclass(frozen=True)
class Watchlist:
    """Agreements, commitments, policies and subscriptions, validated and cross-checked."""

    timezone: str = "UTC"
    policies: Mapping[str, PolicySpec] = field(default_factory=dict)
    agreements: Mapping[str, Agreement] = field(default_factory=dict)
    commitments: Mapping[str, Commitment] = field(default_factory=dict)
    subscriptions: tuple[Subscription, ...] = ()
    # policy_named's answers (a Policy is immutable and depends only on the arguments and
    # ``policies``); a replace() of the watchlist starts a fresh one.
    _resolved: dict[tuple[str, OpenKind | None], Policy] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def agreement_of(self, commitment: Commitment) -> Agreement | None:
        return self.agreements.get(commitment.agreement) if commitment.agreement else None

    def zone_of(self, commitment: Commitment) -> str:
        """The commitment's zone, else its agreement's, else the config's."""
        if commitment.timezone:
            return commitment.timezone
        agreement = self.agreement_of(commitment)
        if agreement is not None and agreement.timezone:
            return agreement.timezone
        return self.timezone

    def announced_of(self, commitment: Commitment) -> datetime | None:
        """The nominal local time (in the commitment's zone) it was announced, if known."""
        value = commitment.announced
        if value is None:
            agreement = self.agreement_of(commitment)
            value = agreement.announced if agreement is not None else None
        if value is None:
            return None
        if value.tzinfo is not None:
            return to_local(value, self.zone_of(commitment))
        return value

    def tags_of(self, commitment: Commitment) -> frozenset[str]:
        agreement = self.agreement_of(commitment)
        return frozenset(commitment.tags) | frozenset(agreement.tags if agreement else ())

    def parties_of(self, commitment: Commitment) -> frozenset[str]:
        agreement = self.agreement_of(commitment)
        return frozenset(commitment.parties) | frozenset(agreement.parties if agreement else ())

    def matches(self, subscription: Subscription, commitment: Commitment) -> bool:
        """Every key of the subscription's ``match`` holds (any listed value within a key)."""
        match = subscription.match
        if match.commitments is not None and commitment.id not in match.commitments:
            return False
        if match.agreements is not None and commitment.agreement not in match.agreements:
            return False
        if match.tags is None and match.parties is None:
            return True
        # tags_of/parties_of without building their sets: this runs for every pair of a plan.
        agreement = self.agreement_of(commitment)
        if match.tags is not None:
            inherited = agreement.tags if agreement is not None else ()
            if not _any_in(match.tags, commitment.tags, inherited):
                return False
        if match.parties is None:
            return True
        return _any_in(match.parties, commitment.parties, agreement.parties if agreement is not None else ())

    def policy_for(self, subscription: Subscription | None, commitment: Commitment) -> Policy:
        """SPEC §2: subscription > commitment > agreement > ``default``; unset keys come from the
        config's ``default``, then from the built-in default."""
        open_kind = commitment.due.kind if isinstance(commitment.due, OpenDue) else None
        return self.policy_named(self.policy_name_for(subscription, commitment), open_kind)

    def policy_name_for(self, subscription: Subscription | None, commitment: Commitment) -> str:
        """The name of the policy that applies, by precedence."""
        agreement = self.agreement_of(commitment)
        return (
            (subscription.policy if subscription else None)
            or commitment.policy
            or (agreement.policy if agreement else None)
            or DEFAULT_POLICY
        )

    def policy_named(self, name: str, open_kind: OpenKind | None = None) -> Policy:
        """The policy ``name`` resolved key by key: its own, the config's ``default``, built-in."""
        known = self._resolved.get((name, open_kind))
        if known is None:
            known = self._resolved[(name, open_kind)] = self._resolve(name, open_kind)
        return known

    def _resolve(self, name: str, open_kind: OpenKind | None) -> Policy:
        layers = [self.policies.get(name), self.policies.get(DEFAULT_POLICY), BUILTIN_POLICY]
        chosen = [layer for layer in layers if layer is not None]
        remind = next(p.remind_before for p in chosen if p.remind_before is not None)
        grace = next(p.grace for p in chosen if p.grace is not None)
        repeat = next(p.repeat_overdue_every for p in chosen if p.repeat_overdue_every is not None)
        escalate = next(p.escalate_after for p in chosen if p.escalate_after_set)
        review = next((p.review_every for p in chosen if p.review_every is not None), None)
        if review is None and open_kind is not None:
            review = _BUILTIN_REVIEW[open_kind]
        return Policy(
            remind_before=remind,
            grace=grace or Duration(text="0d"),
            repeat_overdue_every=None if repeat is None or repeat.is_zero else repeat,
            escalate_after=escalate,
            review_every=review,
        )


def _any_in(wanted: frozenset[str], own: tuple[str, ...], inherited: tuple[str, ...]) -> bool:
    """Whether any of ``own`` or ``inherited`` is ``wanted``."""
    return any(value in wanted for value in own) or any(value in wanted for value in inherited)
