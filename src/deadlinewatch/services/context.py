"""The brief stored with each ledger row: what a channel needs to show a notification besides the
event (titles, deadline in words, status, links), fixed at decision time (:mod:`domain.briefs`)."""

from __future__ import annotations

from datetime import datetime

from deadlinewatch.domain.briefs import (
    Brief,
    CommitmentBrief,
    DigestBrief,
    DigestEntryBrief,
    LinkBrief,
    OperationalBrief,
)
from deadlinewatch.domain.events import ConfigError, Digest
from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import OPERATIONAL_EVENTS, EventKind, RelativeDue
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.domain.planning import Planner
from deadlinewatch.domain.wording import describe_deadline, describe_pending, duration_words


def commitment_brief(planner: Planner, commitment_id: str, at: datetime) -> CommitmentBrief:
    """A commitment as of ``at``."""
    watchlist = planner.watchlist
    commitment = watchlist.commitments[commitment_id]
    agreement = watchlist.agreement_of(commitment)
    deadline = planner.deadlines[commitment_id]
    window = deadline.window_at(at) or deadline.latest_window()
    pending = None
    if window is None and isinstance(commitment.due, RelativeDue):
        anchor = watchlist.commitments.get(commitment.due.after)
        pending = describe_pending(commitment.due.within, anchor.title if anchor else commitment.due.after)
    policy = watchlist.policy_for(None, commitment)
    links: list[LinkBrief] = []
    if commitment.url:
        links.append(LinkBrief(commitment.url, "commitment"))
    if agreement is not None and agreement.source:
        links.append(LinkBrief(agreement.source, "agreement"))
    for change in planner.timelines[commitment_id].changes:
        if change.change.url and change.at <= at:
            links.append(LinkBrief(change.change.url, f"{change.status.value} ({change.change.origin})"))
    return CommitmentBrief(
        id=commitment.id,
        title=commitment.title,
        status=planner.status_at(commitment_id, at).value,
        deadline_words=describe_deadline(window, open_kind=deadline.open_kind, pending=pending),
        agreement_title=agreement.title if agreement else None,
        parties=tuple(sorted(watchlist.parties_of(commitment))),
        links=tuple(links[-6:]),
        due=format_utc(window.due) if window else None,
        overdue_from=format_utc(policy.grace.apply(window.due_local, window.zone)) if window else None,
    )


def notice_brief(planner: Planner, notice: Notice, detail: str | None = None) -> Brief | None:
    """The brief for ``notice``: a commitment, a digest's entries, or an operational subject."""
    data = notice.data
    if isinstance(data, Digest):
        subscription = next(s for s in planner.watchlist.subscriptions if s.name == notice.subscription)

        def entries(ids: tuple[str, ...]) -> tuple[DigestEntryBrief, ...]:
            return tuple(
                DigestEntryBrief(
                    cid,
                    planner.watchlist.commitments[cid].title,
                    commitment_brief(planner, cid, notice.occurred).deadline_words,
                )
                for cid in ids
                if cid in planner.watchlist.commitments
            )

        horizon = subscription.digest.horizon if subscription.digest else None
        return DigestBrief(
            entries(data.overdue), entries(data.closing), duration_words(horizon) if horizon else None
        )
    if notice.event in OPERATIONAL_EVENTS:
        subject = notice.subject
        if isinstance(data, ConfigError):
            subject = f"config {data.file}" if data.file else "config"
        return OperationalBrief(subject or notice.event.value, detail or "")
    if notice.event is not EventKind.DIGEST and notice.subject in planner.watchlist.commitments:
        return commitment_brief(planner, notice.subject, notice.send_at)
    return None
