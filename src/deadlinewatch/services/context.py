"""Render context stored with each ledger row: what a channel needs to show a notification
(titles, deadline in words, status, links) as plain JSON, fixed at decision time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import OPERATIONAL_EVENTS, EventKind, RelativeDue
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.domain.planning import Planner
from deadlinewatch.domain.wording import describe_deadline, describe_pending, duration_words


def commitment_context(planner: Planner, commitment_id: str, at: datetime) -> dict[str, Any]:
    """``{"id", "title", "status", "deadline_words", "agreement_title", "parties", "links", "due",
    "overdue_from"}`` of a commitment as of ``at`` (``due``/``overdue_from`` UTC text or None)."""
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
    links: list[dict[str, str]] = []
    if commitment.url:
        links.append({"url": commitment.url, "label": "commitment"})
    if agreement is not None and agreement.source:
        links.append({"url": agreement.source, "label": "agreement"})
    for change in planner.timelines[commitment_id].changes:
        if change.change.url and change.at <= at:
            links.append(
                {"url": change.change.url, "label": f"{change.status.value} ({change.change.origin})"}
            )
    return {
        "id": commitment.id,
        "title": commitment.title,
        "status": planner.status_at(commitment_id, at).value,
        "deadline_words": describe_deadline(window, open_kind=deadline.open_kind, pending=pending),
        "agreement_title": agreement.title if agreement else None,
        "parties": sorted(watchlist.parties_of(commitment)),
        "links": links[-6:],
        "due": format_utc(window.due) if window else None,
        "overdue_from": format_utc(policy.grace.apply(window.due_local, window.zone)) if window else None,
    }


def notice_context(planner: Planner, notice: Notice, detail: str | None = None) -> dict[str, Any]:
    """The render context for ``notice``: ``{"commitment": ...}``, ``{"digest": ...}`` or
    ``{"operational": {"subject", "detail"}}``."""
    if notice.event is EventKind.DIGEST:
        subscription = next(s for s in planner.watchlist.subscriptions if s.name == notice.subscription)
        entries: dict[str, list[dict[str, str]]] = {}
        for key in ("overdue", "closing"):
            ids = notice.fields.get(key, [])
            entries[key] = [
                {
                    "id": cid,
                    "title": planner.watchlist.commitments[cid].title,
                    "deadline_words": commitment_context(planner, cid, notice.occurred)["deadline_words"],
                }
                for cid in ids
                if cid in planner.watchlist.commitments
            ]
        horizon = subscription.digest.horizon if subscription.digest else None
        return {"digest": {**entries, "horizon_words": duration_words(horizon) if horizon else None}}
    if notice.event in OPERATIONAL_EVENTS:
        return {"operational": {"subject": notice.subject, "detail": detail or ""}}
    if notice.subject in planner.watchlist.commitments:
        return {"commitment": commitment_context(planner, notice.subject, notice.send_at)}
    return {}
