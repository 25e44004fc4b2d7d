"""Which policy a subscription applies to a commitment and why (SPEC §2: subscription >
commitment > agreement > the config's ``default`` > built-in), and where each key's value comes
from. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from deadlinewatch.domain.model import Commitment, OpenDue, Subscription
from deadlinewatch.domain.watchlist import BUILTIN_POLICY, DEFAULT_POLICY, Watchlist

__all__ = ["PolicyKey", "PolicyLevel", "policy_choice", "policy_keys"]


class PolicyLevel(StrEnum):
    """Where the policy that applies was chosen (SPEC §2 precedence, highest first)."""

    SUBSCRIPTION = "subscription"
    COMMITMENT = "commitment"
    AGREEMENT = "agreement"
    DEFAULT = "default"
    BUILT_IN = "built-in"


@dataclass(frozen=True)
class PolicyKey:
    """One key of the resolved policy and where its value comes from."""

    name: str
    value: str
    source: str  # "policy NAME", "the config's default", "built-in"


def policy_choice(
    watchlist: Watchlist, subscription: Subscription, commitment: Commitment
) -> tuple[str, PolicyLevel, str]:
    agreement = watchlist.agreement_of(commitment)
    if subscription.policy:
        return subscription.policy, PolicyLevel.SUBSCRIPTION, f"subscription {subscription.name} sets it"
    if commitment.policy:
        return (
            commitment.policy,
            PolicyLevel.COMMITMENT,
            f"subscription {subscription.name} sets none; the commitment sets it",
        )
    if agreement is not None and agreement.policy:
        return (
            agreement.policy,
            PolicyLevel.AGREEMENT,
            f"neither subscription {subscription.name} nor the commitment sets one; "
            f"its agreement {agreement.id} does",
        )
    if DEFAULT_POLICY in watchlist.policies:
        return (
            DEFAULT_POLICY,
            PolicyLevel.DEFAULT,
            "no subscription, commitment or agreement policy: the config's default",
        )
    return (
        DEFAULT_POLICY,
        PolicyLevel.BUILT_IN,
        "no policy set anywhere and the config has no default: the built-in defaults",
    )


def policy_keys(watchlist: Watchlist, name: str, commitment: Commitment) -> tuple[PolicyKey, ...]:
    open_kind = commitment.due.kind if isinstance(commitment.due, OpenDue) else None
    policy = watchlist.policy_named(name, open_kind)
    layers = [
        (f"policy {name}", watchlist.policies.get(name) if name != DEFAULT_POLICY else None),
        ("the config's default", watchlist.policies.get(DEFAULT_POLICY)),
        ("built-in", BUILTIN_POLICY),
    ]

    def source(attribute: str) -> str:
        for label, layer in layers:
            if layer is None:
                continue
            if attribute == "escalate_after":
                if layer.escalate_after_set:
                    return label
            elif getattr(layer, attribute) is not None:
                return label
        return "built-in"

    keys = [
        PolicyKey(
            "remind_before",
            ", ".join(d.text or str(d) for d in policy.remind_before) or "none",
            source("remind_before"),
        ),
        PolicyKey("grace", policy.grace.text or str(policy.grace), source("grace")),
        PolicyKey(
            "repeat_overdue_every",
            policy.repeat_overdue_every.text if policy.repeat_overdue_every else "off",
            source("repeat_overdue_every"),
        ),
        PolicyKey(
            "escalate_after",
            policy.escalate_after.text if policy.escalate_after else "none",
            source("escalate_after"),
        ),
    ]
    if open_kind is not None:
        review = policy.review_every
        keys.append(
            PolicyKey(
                "review_every",
                review.text if review else "none",
                source("review_every")
                if source("review_every") != "built-in"
                else f"built-in for {open_kind.value}",
            )
        )
    return tuple(keys)
