"""JSON error answers sent straight from ASGI middleware (before any route runs), with the same
shape as the app's own errors (``{"detail": ...}``) and the same protective headers."""

from __future__ import annotations

from fastapi import HTTPException
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

__all__ = ["send_error", "unprocessable"]

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


async def send_error(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
) -> None:
    response = JSONResponse({"detail": detail}, status_code=status, headers={**_HEADERS, **(headers or {})})
    await response(scope, receive, send)


def unprocessable(field: str, message: str) -> HTTPException:
    """422 naming the field (``{"detail": {"message": "FIELD: ...", "field": FIELD}}``)."""
    return HTTPException(422, detail={"message": f"{field}: {message}", "field": field})
