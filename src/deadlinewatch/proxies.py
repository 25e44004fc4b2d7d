"""Outbound HTTP proxies from the environment, one rule for every client (Slack, webhooks, sources).

``HTTPS_PROXY`` for ``https://`` URLs, ``HTTP_PROXY`` for ``http://`` ones, ``ALL_PROXY`` for
either when the specific one is unset (lower-case names too; upper-case wins). ``NO_PROXY`` is a
comma- or space-separated list of hosts that are reached directly: ``*`` (everything), a domain
(``example.org`` and ``.example.org`` both match it and its subdomains), ``host:port``, an IP
address, or a CIDR block (``10.0.0.0/8``). slack-sdk alone reads the proxy variables but ignores
``NO_PROXY``, and httpx/aiohttp are created with ``trust_env=False``: they get what
:meth:`ProxySettings.for_url` decides, so all three agree.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


@dataclass(frozen=True)
class ProxySettings:
    http: str | None = None
    https: str | None = None
    no_proxy: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ProxySettings:
        every = _first(env, "ALL_PROXY", "all_proxy")
        raw_no = _first(env, "NO_PROXY", "no_proxy") or ""
        entries = tuple(part.strip().lower() for part in raw_no.replace(" ", ",").split(",") if part.strip())
        return cls(
            http=_first(env, "HTTP_PROXY", "http_proxy") or every,
            https=_first(env, "HTTPS_PROXY", "https_proxy") or every,
            no_proxy=entries,
        )

    @property
    def any(self) -> bool:
        return bool(self.http or self.https)

    def for_url(self, url: str) -> str | None:
        """The proxy to reach ``url`` through, or None for a direct connection."""
        parts = urlsplit(url)
        proxy = self.https if parts.scheme == "https" else self.http if parts.scheme == "http" else None
        if proxy is None or self.bypassed(parts.hostname or "", parts.port):
            return None
        return proxy

    def bypassed(self, host: str, port: int | None = None) -> bool:
        """Whether ``NO_PROXY`` sends ``host`` (on ``port``) direct."""
        host = host.lower().strip("[]").rstrip(".")
        if not host:
            return True
        address = _ip(host)
        for entry in self.no_proxy:
            if entry == "*":
                return True
            name, entry_port = _split_port(entry)
            if entry_port is not None and entry_port != port:
                continue
            if address is not None:
                if "/" in name:
                    try:
                        if address in ipaddress.ip_network(name, strict=False):
                            return True
                    except ValueError:
                        pass
                    continue
                if _ip(name) == address:
                    return True
                continue
            name = name.lstrip("*").lstrip(".")
            if name and (host == name or host.endswith("." + name)):
                return True
        return False


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _split_port(entry: str) -> tuple[str, int | None]:
    """``host:port`` → (host, port); an IPv6 address or CIDR block keeps its colons."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest.removeprefix(":")
        return host, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        if port.isdigit():
            return host, int(port)
    return entry, None
