"""Each commitment's state as of an instant: the rows of ``deadlinewatch status`` and the API."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.planning import Planner
from deadlinewatch.domain.wording import describe_deadline, relative_to_now
from deadlinewatch.services.context import commitment_brief


@dataclass(frozen=True)
class CommitmentState:
    id: str
    title: str
    agreement: str | None
    status: str
    status_at: str | None
    status_origin: str | None
    precision: str | None
    opens: str | None
    closes: str | None
    due: str | None
    overdue: bool
    pending: bool
    deadline: str
    relative: str | None
    tags: list[str]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def commitment_states(planner: Planner, now: datetime) -> list[CommitmentState]:
    """Every commitment as of ``now``, in config order. ``overdue`` follows the commitment's own
    policy (no subscription): from ``due + grace`` while the status is open."""
    watchlist = planner.watchlist
    states: list[CommitmentState] = []
    for commitment in watchlist.commitments.values():
        deadline = planner.deadlines[commitment.id]
        window = deadline.window_at(now)
        status = planner.status_at(commitment.id, now)
        last = None
        for change in planner.timelines[commitment.id].changes:
            if change.at <= now:
                last = change
        overdue = False
        relative = None
        if window is not None:
            policy = watchlist.policy_for(None, commitment)
            overdue_from = policy.grace.apply(window.due_local, window.zone)
            overdue = not status.is_terminal and overdue_from <= now
            relative = None if status.is_terminal else relative_to_now(window.due, now, overdue_from)
        words = (
            commitment_brief(planner, commitment.id, now).deadline_words
            if window is None
            else describe_deadline(window)
        )
        states.append(
            CommitmentState(
                id=commitment.id,
                title=commitment.title,
                agreement=commitment.agreement,
                status=status.value,
                status_at=format_utc(last.at) if last else None,
                status_origin=last.change.origin if last else None,
                precision=window.precision.value if window else ("open" if deadline.open_kind else None),
                opens=format_utc(window.opens) if window else None,
                closes=format_utc(window.closes) if window else None,
                due=format_utc(window.due) if window else None,
                overdue=overdue,
                pending=deadline.pending(),
                deadline=words,
                relative=relative,
                tags=sorted(watchlist.tags_of(commitment)),
            )
        )
    return states
