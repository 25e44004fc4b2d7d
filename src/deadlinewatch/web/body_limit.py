"""A request-body size limit enforced before the body is read (pure ASGI, so nothing buffers it).

A declared ``Content-Length`` over the limit answers 413 at once, without calling the app. A body
without one (chunked) is counted while the app reads it: the read that crosses the limit answers
413 and ends the request, so at most ``limit`` bytes plus one chunk are ever held, whatever the
client sends. The 413 carries ``Connection: close``: the server drops the rest of the upload
instead of reading it.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deadlinewatch.web.responses import send_error

__all__ = ["BodySizeLimit"]


class _BodyTooLarge(Exception):
    """Raised into the app by ``receive`` once the body passed the limit (the 413 is already sent)."""


class BodySizeLimit:
    def __init__(self, app: ASGIApp, limit: int, per_path: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.per_path = dict(per_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.limit)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await send_error(scope, receive, send, 400, "Content-Length is not a number")
                return
            if int(declared) > limit:
                await _too_large(scope, receive, send, limit)
                return
        received = 0
        started = False
        rejected = False

        async def counted_receive() -> Message:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    rejected = True
                    if not started:
                        await _too_large(scope, receive, send, limit)
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return  # the 413 is the answer; whatever the app still says is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not rejected:
                raise


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    await send_error(
        scope,
        receive,
        send,
        413,
        f"the request body is larger than {limit} bytes (the limit on {scope['path']})",
        {"Connection": "close"},
    )
