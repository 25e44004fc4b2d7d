"""One log line per write (pure ASGI): method, path, status, who, and from where.

"Who" is ``request.state.principal`` when the route (or a dependency) set it — the API's bearer
check sets ``api-token``, a verified Slack action ``slack:<user>`` — else ``anonymous``. Reads are
not logged (``GET``, ``HEAD``, ``OPTIONS``). Logged on ``deadlinewatch.access``.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLog"]

log = logging.getLogger("deadlinewatch.access")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def _printable(text: str, limit: int = 200) -> str:
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _READS:
            await self.app(scope, receive, send)
            return
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            state = scope.get("state") or {}
            principal = state.get("principal") if isinstance(state, dict) else None
            client = scope.get("client")
            log.info(
                "%s %s %d by %s from %s",
                scope["method"],
                _printable(scope["path"]),
                status,
                _printable(str(principal)) if principal else "anonymous",
                client[0] if client else "?",
            )
