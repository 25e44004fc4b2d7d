"""``POST /slack/actions``: the buttons on our Slack messages (acknowledge, snooze 7 days, mark
fulfilled, undo acknowledge, unsnooze), with the same rules as the CLI and the API
(:mod:`deadlinewatch.actions`), recorded as the Slack user who pressed.

Off (403) without ``SLACK_SIGNING_SECRET``. Every request is verified on its raw body with
slack-sdk's :class:`SignatureVerifier` (``X-Slack-Signature``, ``X-Slack-Request-Timestamp``,
5-minute window on the runtime's clock) before anything is parsed: 401 when it fails. Slack shows
an error for any answer but 200, so problems after verification (an unknown id) answer 200 with
an ephemeral text saying what happened. A request Slack sends again (same signature) within the
replay window is answered without recording anything twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Coroutine, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request
from slack_sdk.signature import Clock, SignatureVerifier

from deadlinewatch import actions
from deadlinewatch.actions import ActionRefused, ActionResult, Actor
from deadlinewatch.delivery.rendering import (
    ACTION_ACK,
    ACTION_FULFILLED,
    ACTION_SNOOZE_7D,
    ACTION_UNACK,
    ACTION_UNSNOOZE,
    mrkdwn_escape,
    one_line,
    safe_url,
)
from deadlinewatch.domain.model import Status
from deadlinewatch.domain.planning import Planner
from deadlinewatch.proxies import ProxySettings
from deadlinewatch.storage import Store
from deadlinewatch.web.runtime import Action, Runtime
from deadlinewatch.web.slack_replay import slack_once

__all__ = ["slack_actions_router"]

log = logging.getLogger("deadlinewatch.slack_actions")
_MAX_BODY = 256 * 1024
MAX_FOLLOW_UP = 3000


class _RuntimeClock(Clock):
    """slack-sdk's clock, read from the runtime (so tests and replay control the window)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def now(self) -> float:
        return self._runtime.now().timestamp()


def _ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "replace_original": False, "text": text}


def _user(payload: Mapping[str, Any]) -> str:
    """``name (U123)`` of the Slack user who pressed (as recorded in the history)."""
    user = payload.get("user")
    if not isinstance(user, Mapping):
        return "someone on Slack"
    name = next(
        (
            value.strip()[:80]
            for key in ("username", "name")
            if isinstance(value := user.get(key), str) and value.strip()
        ),
        None,
    )
    user_id = user.get("id")
    ident = user_id.strip()[:40] if isinstance(user_id, str) and user_id.strip() else None
    if name and ident:
        return f"{name} ({ident})"
    return name or ident or "someone on Slack"


def _action(action_id: str, commitment_id: str, who: Actor) -> Action:
    """The write of one button (the same rules as the CLI and the API)."""

    def act(planner: Planner, store: Store, now: datetime) -> ActionResult:
        if action_id == ACTION_ACK:
            return actions.acknowledge(planner, store, now, who, commitment_id)
        if action_id == ACTION_UNACK:
            return actions.unacknowledge(planner, store, now, who, commitment_id)
        if action_id == ACTION_SNOOZE_7D:
            return actions.snooze(planner, store, now, who, commitment_id, duration="7d")
        if action_id == ACTION_UNSNOOZE:
            return actions.unsnooze(planner, store, now, who, commitment_id)
        return actions.record_status(planner, store, now, who, commitment_id, Status.FULFILLED)

    return act


def _spawn(coroutine: Coroutine[Any, Any, None], pending: set[asyncio.Task[None]]) -> None:
    task = asyncio.ensure_future(coroutine)  # on the event loop: this is called from a handler
    pending.add(task)
    task.add_done_callback(pending.discard)


async def _tell_channel(payload: Mapping[str, Any], text: str) -> None:
    """Say in the conversation who did what (Slack's ``response_url``, as a new message in the
    thread of the pressed message where Slack gives one): the HTTP answer is seen by the presser
    only. Best effort: a failure is logged, the write stands."""
    url = payload.get("response_url")
    if not isinstance(url, str) or safe_url(url) is None:
        return
    body: dict[str, Any] = {
        "response_type": "in_channel",
        "replace_original": False,
        "text": mrkdwn_escape(one_line(text))[:MAX_FOLLOW_UP],
    }
    message = payload.get("message")
    container = payload.get("container")
    thread = None
    if isinstance(message, Mapping):
        thread = message.get("thread_ts") or message.get("ts")
    if thread is None and isinstance(container, Mapping):
        thread = container.get("thread_ts") or container.get("message_ts")
    if isinstance(thread, str) and thread:
        body["thread_ts"] = thread
    proxy = ProxySettings.from_env(os.environ).for_url(url)
    try:
        async with httpx.AsyncClient(timeout=10.0, trust_env=False, proxy=proxy) as client:
            response = await client.post(url, json=body)
        if response.status_code >= 400:
            log.warning("slack response_url answered %d; the press is recorded", response.status_code)
    except (httpx.HTTPError, OSError) as exc:
        log.warning("could not post the Slack follow-up (%s); the press is recorded", type(exc).__name__)


def slack_actions_router(runtime: Runtime) -> APIRouter:
    router = APIRouter()
    handled = {ACTION_ACK, ACTION_UNACK, ACTION_SNOOZE_7D, ACTION_UNSNOOZE, ACTION_FULFILLED}
    pending: set[asyncio.Task[None]] = set()  # follow-ups in flight (kept so none is collected)

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
        recorded: list[str] = []
        if payload.get("type") == "block_actions" and isinstance(actions, list):
            who = Actor(_user(payload), "slack")
            for action in actions:
                if not isinstance(action, dict) or action.get("action_id") not in handled:
                    continue
                value = action.get("value")
                if not isinstance(value, str):
                    continue
                try:
                    result = await runtime.perform(_action(str(action["action_id"]), value, who))
                except ActionRefused as exc:
                    texts.append(f"Nothing recorded: {exc.message}")
                    continue
                log.info("slack %s %s by %s: %s", result.action, result.commitment, who.name, result.message)
                texts.append(result.message)
                if result.created:
                    recorded.append(result.message)
        if recorded:
            _spawn(_tell_channel(payload, " ".join(recorded)), pending)
        return _ephemeral(" ".join(texts) if texts else "Nothing to do for that action.")

    return router
