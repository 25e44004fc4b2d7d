"""The shared fetch against a real local server: caps, redirects, validators."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterator

import pytest

from deadlinewatch.sources.base import SourceError
from deadlinewatch.sources.fetch import FetchOutcome, FetchResult, Validators, fetch, make_client
from support.http_server import LocalHttpServer


@pytest.fixture
def server() -> Iterator[LocalHttpServer]:
    with LocalHttpServer() as running:
        yield running


def get(url: str, **kwargs: object) -> FetchResult:
    async def run() -> FetchResult:
        async with make_client() as client:
            return await fetch(client, url, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(run())


def reason(url: str, **kwargs: object) -> str:
    with pytest.raises(SourceError) as caught:
        get(url, **kwargs)
    return caught.value.reason


def test_a_gzip_bomb_is_capped_after_decompression(server: LocalHttpServer) -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
    server.serve("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    assert len(bomb) < 100_000
    assert reason(server.url("/bomb"), max_bytes=1024 * 1024) == "body larger than 1 MB"


def test_redirects_are_followed_up_to_five(server: LocalHttpServer) -> None:
    server.serve("/end", "ok", content_type="text/plain")
    for i in range(5):
        server.redirect(f"/r{i}", f"/r{i + 1}" if i < 4 else "/end")
    result = get(server.url("/r0"))
    assert result.body == b"ok" and result.url.endswith("/end")
    server.redirect("/a", "/b")
    server.redirect("/b", "/a")
    assert reason(server.url("/a")) == "redirect loop (more than 5 redirects)"


def test_validators_are_sent_and_a_304_keeps_them(server: LocalHttpServer) -> None:
    server.serve("/f", "body", etag='"e1"')
    first = get(server.url("/f"))
    assert first.outcome is FetchOutcome.FETCHED and first.validators == Validators('"e1"', None)
    second = get(server.url("/f"), validators=first.validators)
    assert second.outcome is FetchOutcome.NOT_MODIFIED and second.body == b""
    assert second.validators == first.validators


def test_errors_in_words(server: LocalHttpServer) -> None:
    assert reason(server.url("/missing")) == "HTTP 404 Not Found"
    server.serve_slow_forever("/slow")
    assert reason(server.url("/slow"), timeout=0.5) == "timed out after 0.5 s"
    assert reason("http://127.0.0.1:1/").startswith("could not connect")
    assert reason("ftp://127.0.0.1/x").startswith("unsupported URL")
