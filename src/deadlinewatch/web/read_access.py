"""The optional read token (``DEADLINEWATCH_READ_TOKEN``), as pure ASGI in front of the routes.

When it is set, ``GET``/``HEAD`` of the dashboard (``/``), of ``/api/*`` (but the schema,
``/api/openapi.json``) and of ``/calendar.ics`` need ``Authorization: Bearer <read token>`` (the
write token is accepted too); 401 otherwise. Calendar apps cannot send headers, so the calendar is
also served at ``/calendar/<read token>.ics`` (that route checks the token itself). ``/healthz``,
``/readyz`` and ``/metrics`` stay open. Without a read token nothing changes. The principal of an
accepted request is left in ``request.state.principal``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from deadlinewatch.web.responses import send_error

__all__ = ["ReadAccess", "bearer_token", "same_secret"]

OPEN_API_PATHS = frozenset({"/api/openapi.json"})


def bearer_token(headers: Headers) -> str | None:
    scheme, _, given = headers.get("authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" and given.strip() else None


def same_secret(given: str | None, secret: str | None) -> bool:
    """Constant-time comparison; never true for a missing secret."""
    if not given or not secret:
        return False
    return hmac.compare_digest(given.encode(), secret.encode())


def needs_read_token(method: str, path: str) -> bool:
    if method not in ("GET", "HEAD"):
        return False
    if path in ("/", "/calendar.ics"):
        return True
    return path.startswith("/api/") and path not in OPEN_API_PATHS


class ReadAccess:
    def __init__(self, app: ASGIApp, read_token: str | None, write_token: Callable[[], str | None]) -> None:
        self.app = app
        self.read_token = read_token
        self.write_token = write_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = scope["type"] == "http" and needs_read_token(scope["method"], scope["path"])
        if not guarded or not self.read_token:
            await self.app(scope, receive, send)
            return
        given = bearer_token(Headers(scope=scope))
        if same_secret(given, self.read_token):
            principal = "read-token"
        elif same_secret(given, self.write_token()):
            principal = "api-token"
        else:
            await send_error(
                scope,
                receive,
                send,
                401,
                "missing or wrong bearer token: reads need DEADLINEWATCH_READ_TOKEN",
                {"WWW-Authenticate": "Bearer"},
            )
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)
