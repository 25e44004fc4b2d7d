"""Slack requests are acted on once: a verified request seen again within the replay window is
answered "already done" and records nothing (replay protection; Slack's own retries too).

:func:`slack_once` is a FastAPI dependency for ``POST /slack/actions``. It verifies the signature
itself (an unverified request is left to the route, which answers 401, and is never remembered, so
unsigned traffic cannot fill the table), names the Slack user as the request's principal (for the
access log), and remembers the request by its signature — unique per timestamp and body — in the
database (``Store.first_time``), so replicas share what they have seen. A repeat raises
:class:`DuplicateSlackRequest`, which the app answers 200 with an ephemeral text (Slack shows an
error for anything else).

Use it on the route: ``@router.post("/slack/actions", dependencies=[Depends(slack_once(runtime))])``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import parse_qs

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from slack_sdk.signature import Clock, SignatureVerifier

from deadlinewatch.web.runtime import Runtime

__all__ = ["REPLAY_KEEP", "DuplicateSlackRequest", "duplicate_answer", "slack_once", "slack_user"]

# Slack's signature is valid 5 minutes either side of its timestamp: remember a little longer.
REPLAY_KEEP = timedelta(minutes=11)


class DuplicateSlackRequest(Exception):
    """This exact signed request was already handled."""


class _Clock(Clock):
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def now(self) -> float:
        return self._runtime.now().timestamp()


def slack_user(body: bytes) -> str | None:
    """``slack:<id> (<username>)`` from an interactivity payload, or None."""
    try:
        payload = json.loads(parse_qs(body.decode("utf-8"))["payload"][0])
        user = payload["user"]
        ident = str(user.get("id") or "?")[:40]
        name = str(user.get("username") or user.get("name") or "")[:80]
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return None
    return f"slack:{ident} ({name})" if name else f"slack:{ident}"


def slack_once(runtime: Runtime) -> Callable[[Request], Awaitable[None]]:
    async def guard(request: Request) -> None:
        secret = runtime.slack_signing_secret()
        if not secret:
            return
        body = await request.body()  # kept by the request: the route reads the same bytes
        verifier = SignatureVerifier(secret, clock=_Clock(runtime))
        try:
            valid = verifier.is_valid_request(body, dict(request.headers))
        except (ValueError, UnicodeDecodeError):
            valid = False
        if not valid:
            return
        request.state.principal = slack_user(body) or "slack"
        signature = request.headers.get("x-slack-signature", "")
        key = "slack:" + hashlib.sha256(signature.encode()).hexdigest()[:40]
        if not await run_in_threadpool(runtime.store.first_time, key, runtime.now(), REPLAY_KEEP):
            raise DuplicateSlackRequest

    return guard


async def duplicate_answer(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {
            "response_type": "ephemeral",
            "replace_original": False,
            "text": "That button press was already recorded; nothing was recorded again.",
        }
    )
