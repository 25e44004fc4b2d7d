"""``POST /slack/actions``: the buttons on our Slack messages (acknowledge, snooze 7 days, mark
fulfilled).

Off (403) without ``SLACK_SIGNING_SECRET``. Every request is verified on its raw body with
slack-sdk's :class:`SignatureVerifier` (``X-Slack-Signature``, ``X-Slack-Request-Timestamp``,
5-minute window on the runtime's clock) before anything is parsed: 401 when it fails. Slack shows
an error for any answer but 200, so problems after verification (an unknown id) answer 200 with
an ephemeral text saying what happened.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from slack_sdk.signature import Clock, SignatureVerifier

from deadlinewatch.delivery.rendering import ACTION_ACK, ACTION_FULFILLED, ACTION_SNOOZE_7D
from deadlinewatch.domain.localtime import format_utc, to_local
from deadlinewatch.domain.model import Status, StatusChange
from deadlinewatch.durations import parse_duration
from deadlinewatch.web.runtime import Runtime
from deadlinewatch.web.slack_replay import slack_once

__all__ = ["slack_actions_router"]

_SNOOZE = parse_duration("7d")
_MAX_BODY = 256 * 1024


class _RuntimeClock(Clock):
    """slack-sdk's clock, read from the runtime (so tests and replay control the window)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def now(self) -> float:
        return self._runtime.now().timestamp()


def _ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "replace_original": False, "text": text}


def _user(payload: Mapping[str, Any]) -> str:
    user = payload.get("user")
    if not isinstance(user, Mapping):
        return "someone on Slack"
    for key in ("username", "name", "id"):
        value = user.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:80]
    return "someone on Slack"


def _apply(runtime: Runtime, action_id: str, commitment_id: str, who: str) -> str:
    """Record one button press; returns the text for the user (mrkdwn-safe: ids are config ids)."""
    planner = runtime.planner()
    if planner is None:
        return "deadlinewatch has no config loaded yet; nothing was recorded."
    commitment = planner.watchlist.commitments.get(commitment_id)
    if commitment is None:
        return "That commitment is no longer in the config; nothing was recorded."
    now = runtime.now()
    note = f"by {who}"
    store = runtime.store
    if action_id == ACTION_ACK:
        store.add_ack(commitment.id, now, note)
        text = f"Acknowledged {commitment.id}: no overdue repeats or escalation until its status changes."
    elif action_id == ACTION_SNOOZE_7D:
        zone = planner.watchlist.zone_of(commitment)
        until = _SNOOZE.apply(to_local(now, zone), zone)
        store.add_snooze(commitment.id, now, until, note)
        text = f"Snoozed {commitment.id} until {format_utc(until)}."
    else:
        store.add_status_change(commitment.id, StatusChange(now, Status.FULFILLED, note, None, "slack"), now)
        text = f"Marked {commitment.id} fulfilled."
    runtime.changed()
    return text


def slack_actions_router(runtime: Runtime) -> APIRouter:
    router = APIRouter()
    handled = {ACTION_ACK, ACTION_SNOOZE_7D, ACTION_FULFILLED}

    @router.post("/slack/actions", dependencies=[Depends(slack_once(runtime))])
    async def slack_actions(request: Request) -> dict[str, Any]:
        secret = runtime.slack_signing_secret()
        if not secret:
            raise HTTPException(403, detail="Slack actions are off: set SLACK_SIGNING_SECRET")
        body = await request.body()
        if len(body) > _MAX_BODY:
            raise HTTPException(413, detail="request body too large")
        verifier = SignatureVerifier(secret, clock=_RuntimeClock(runtime))
        try:
            valid = verifier.is_valid_request(body, dict(request.headers))
        except (ValueError, UnicodeDecodeError):  # a timestamp that is no number, a body not UTF-8
            valid = False
        if not valid:
            raise HTTPException(401, detail="invalid or expired Slack signature")
        try:
            form = parse_qs(body.decode("utf-8"), strict_parsing=False)
            payload = json.loads(form["payload"][0])
        except (KeyError, IndexError, ValueError):
            raise HTTPException(400, detail="expected a form with a JSON 'payload' field") from None
        if not isinstance(payload, dict):
            raise HTTPException(400, detail="the 'payload' field is not a JSON object")
        actions = payload.get("actions")
        texts: list[str] = []
        if payload.get("type") == "block_actions" and isinstance(actions, list):
            who = _user(payload)
            for action in actions:
                if not isinstance(action, dict) or action.get("action_id") not in handled:
                    continue
                value = action.get("value")
                if not isinstance(value, str):
                    continue
                texts.append(await run_in_threadpool(_apply, runtime, str(action["action_id"]), value, who))
        return _ephemeral(" ".join(texts) if texts else "Nothing to do for that action.")

    return router
