"""What the HTTP surface is told at start (:class:`HttpSettings`): allowed hosts, the body-size
limit, the optional read token. Built once from the config, the listen address and the
environment by :func:`http_settings`; nothing here reads the environment by itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "LOCAL_HOSTS",
    "READ_TOKEN_ENV",
    "SLACK_MAX_BODY_BYTES",
    "HttpSettings",
    "http_settings",
]

READ_TOKEN_ENV = "DEADLINEWATCH_READ_TOKEN"
DEFAULT_MAX_BODY_BYTES = 64 * 1024
# Slack's interactivity payload carries the whole message (up to 50 blocks of 3,000 characters).
SLACK_MAX_BODY_BYTES = 256 * 1024
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_ANY_ADDRESS = ("0.0.0.0", "::", "[::]", "")


@dataclass(frozen=True)
class HttpSettings:
    """``allowed_hosts``: names (``example.org``), ``*.example.org`` or ``*`` (any); a request
    whose Host header matches none answers 400. ``max_body_bytes``: the largest request body on
    every endpoint but ``/slack/actions`` (which allows at least :data:`SLACK_MAX_BODY_BYTES`).
    ``read_token``: when set, the dashboard, ``/api`` reads and the calendar need it (or the write
    token) as a bearer token; the calendar is also served at ``/calendar/<token>.ics``."""

    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    read_token: str | None = None

    def body_limits(self) -> dict[str, int]:
        """Per-path limits that differ from :attr:`max_body_bytes`."""
        return {"/slack/actions": max(self.max_body_bytes, SLACK_MAX_BODY_BYTES)}


def _listen_host(listen: str | None) -> str | None:
    if not listen:
        return None
    host = listen.rpartition(":")[0].strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return None if host in _ANY_ADDRESS else host.lower()


def http_settings(
    listen: str | None,
    allowed_hosts: Sequence[str] | None,
    max_body_bytes: int | None,
    env: Mapping[str, str],
) -> HttpSettings:
    """The settings of a service listening on ``listen`` (``HOST:PORT``): ``allowed_hosts`` from
    the config, else the listen host (unless it is a wildcard address) and the local names."""
    if allowed_hosts:
        hosts = tuple(dict.fromkeys(h.strip().lower() for h in allowed_hosts))
    else:
        own = _listen_host(listen)
        hosts = tuple(dict.fromkeys([*([own] if own else []), *LOCAL_HOSTS]))
    return HttpSettings(
        allowed_hosts=hosts,
        max_body_bytes=max_body_bytes or DEFAULT_MAX_BODY_BYTES,
        read_token=env.get(READ_TOKEN_ENV) or None,
    )
