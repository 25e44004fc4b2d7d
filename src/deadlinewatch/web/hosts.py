"""Allowed ``Host`` headers (pure ASGI): a request for any other name answers 400, so a page on
another site cannot read this service through DNS rebinding. The health probes (``/healthz``,
``/readyz``) are exempt: orchestrators call them by IP address and they reveal nothing."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from deadlinewatch.web.responses import send_error

__all__ = ["AllowedHosts", "host_name"]

EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})


def host_name(header: str) -> str:
    """The name in a Host header, without port or IPv6 brackets, lower case."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    name, colon, port = value.rpartition(":")
    return name if colon and port.isdigit() else value


class AllowedHosts:
    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        patterns = [h.strip().lower().removeprefix("[").removesuffix("]") for h in hosts]
        self.any = "*" in patterns
        self.exact = frozenset(p for p in patterns if not p.startswith("*"))
        self.suffixes = tuple(p[1:] for p in patterns if p.startswith("*.") and len(p) > 2)

    def allows(self, name: str) -> bool:
        return self.any or name in self.exact or (bool(name) and name.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        name = host_name(Headers(scope=scope).get("host", ""))
        if not self.allows(name):
            shown = name[:60] or "(none)"
            await send_error(
                scope,
                receive,
                send,
                400,
                f"host {shown!r} is not served here: add it to http.allowed_hosts in the config",
            )
            return
        await self.app(scope, receive, send)
