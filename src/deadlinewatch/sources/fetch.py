"""The one HTTP fetch every remote source uses.

httpx's timeouts are per phase (connect, each read), so a server trickling a byte a second never
trips them: the whole request runs under :func:`asyncio.timeout` as well. Bodies are streamed and
abandoned past ``max_bytes`` (after decompression, so a gzip bomb is capped too). Conditional GET
sends the stored ETag / Last-Modified; a 304 comes back as :attr:`FetchOutcome.NOT_MODIFIED` with no
body, so nothing is parsed. Every failure is a :class:`SourceError` with a reason in words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import httpx

from deadlinewatch.proxies import ProxySettings
from deadlinewatch.sources.base import SourceError, shorten

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_REDIRECTS",
    "USER_AGENT",
    "FetchOutcome",
    "FetchResult",
    "Validators",
    "describe_bytes",
    "describe_seconds",
    "fetch",
    "make_client",
]

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "deadlinewatch/0.1 (commitment status watcher)"


def make_client(*, max_connections: int = 100, proxies: ProxySettings | None = None) -> httpx.AsyncClient:
    """The shared client: at most 5 redirects, nothing read from the environment by httpx itself;
    with ``proxies`` each request goes through the proxy :meth:`ProxySettings.for_url` picks
    (``NO_PROXY`` included), else direct."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    transport = _ProxyRouting(proxies, limits) if proxies is not None and proxies.any else None
    return httpx.AsyncClient(
        trust_env=False,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(30.0),
        limits=limits,
        transport=transport,
    )


class _ProxyRouting(httpx.AsyncBaseTransport):
    """Sends each request direct or through its proxy, decided per URL (redirects included)."""

    def __init__(self, proxies: ProxySettings, limits: httpx.Limits) -> None:
        self._proxies = proxies
        self._direct = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
        self._via = {
            url: httpx.AsyncHTTPTransport(proxy=url, limits=limits, trust_env=False)
            for url in {proxies.http, proxies.https}
            if url
        }

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxy = self._proxies.for_url(str(request.url))
        transport = self._via[proxy] if proxy is not None else self._direct
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._direct.aclose()
        for transport in self._via.values():
            await transport.aclose()


@dataclass(frozen=True)
class Validators:
    """What the server said to send back next time (``None``: it said nothing)."""

    etag: str | None = None
    last_modified: str | None = None

    def request_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class FetchOutcome(StrEnum):
    FETCHED = "fetched"
    NOT_MODIFIED = "not_modified"


@dataclass(frozen=True)
class FetchResult:
    outcome: FetchOutcome
    body: bytes
    validators: Validators
    content_type: str | None
    url: str


def describe_seconds(seconds: float) -> str:
    """``30 s``, ``0.5 s``."""
    return f"{int(seconds)} s" if float(seconds).is_integer() else f"{seconds:g} s"


def describe_bytes(count: int) -> str:
    """``5 MB``, ``512 KB``, ``100 bytes`` (binary units)."""
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= size:
            value = count / size
            return f"{value:g} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
    return f"{count} bytes"


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    validators: Validators | None = None,
    timeout: float = 30.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> FetchResult:
    """GET ``url`` within ``timeout`` seconds in total; raises :class:`SourceError`.

    A 304 keeps the ``validators`` sent unless the server sent new ones."""
    sent = validators or Validators()
    request_headers = {**(headers or {}), **sent.request_headers()}
    try:
        async with asyncio.timeout(timeout):
            return await _get(client, url, request_headers, sent, timeout, max_bytes)
    except TimeoutError:
        raise SourceError(f"timed out after {describe_seconds(timeout)}") from None
    except httpx.TooManyRedirects:
        raise SourceError(f"redirect loop (more than {MAX_REDIRECTS} redirects)") from None
    except httpx.TimeoutException:
        raise SourceError(f"timed out after {describe_seconds(timeout)}") from None
    except httpx.ConnectError as exc:
        raise SourceError(f"could not connect: {shorten(str(exc)) or type(exc).__name__}") from None
    except httpx.InvalidURL as exc:
        raise SourceError(f"invalid URL: {shorten(str(exc))}") from None
    except httpx.UnsupportedProtocol as exc:
        raise SourceError(f"unsupported URL: {shorten(str(exc))}") from None
    except httpx.HTTPError as exc:
        raise SourceError(f"request failed: {type(exc).__name__}: {shorten(str(exc))}") from None


async def _get(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    sent: Validators,
    timeout: float,
    max_bytes: int,
) -> FetchResult:
    async with client.stream("GET", url, headers=headers, timeout=timeout) as response:
        received = Validators(
            etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified")
        )
        content_type = response.headers.get("Content-Type")
        if response.status_code == 304:
            kept = received if (received.etag or received.last_modified) else sent
            return FetchResult(FetchOutcome.NOT_MODIFIED, b"", kept, content_type, str(response.url))
        if not 200 <= response.status_code < 300:
            phrase = shorten(response.reason_phrase, 60)
            raise SourceError(f"HTTP {response.status_code}" + (f" {phrase}" if phrase else ""))
        _check_declared_length(response, max_bytes)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise SourceError(f"body larger than {describe_bytes(max_bytes)}")
            chunks.append(chunk)
        return FetchResult(FetchOutcome.FETCHED, b"".join(chunks), received, content_type, str(response.url))


def _check_declared_length(response: httpx.Response, max_bytes: int) -> None:
    declared = response.headers.get("Content-Length")
    encoded = response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
    if declared and declared.isdigit() and not encoded and int(declared) > max_bytes:
        raise SourceError(f"body larger than {describe_bytes(max_bytes)}")
