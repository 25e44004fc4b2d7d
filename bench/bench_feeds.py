"""Feed polling benchmark (issue 5): 1,000 feed sources polled in one round against one local
server, with bounded concurrency, on a real SQLite store.

Rounds, each polling every source once:
  1. first   - full bodies, parsed, every item recorded as seen (a new source's baseline);
  2. changed - every feed gained one item under a new ETag: full bodies, parsed, rules matched;
  3. 304     - nothing changed: every answer is a 304 and nothing is parsed.
Printed: seconds per round, polls per second, tracemalloc peak (Python allocations during the
round), the process's peak RSS, and the ratio 304-round / changed-round.

    .venv/bin/python bench/bench_feeds.py [--sources 1000] [--items 20] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from deadlinewatch.config.schema import FeedSource
from deadlinewatch.domain.model import EventKind, Status
from deadlinewatch.services.polling import PollOutcome, PollReport, SourcePoller
from deadlinewatch.sources.fetch import make_client
from deadlinewatch.storage import Store, create_db_engine, migrate
from support.http_server import LocalHttpServer


def rss(source: int, items: int, extra: int) -> bytes:
    parts = [
        f"<item><guid>s{source}-i{i}</guid><title>Item {i} of source {source}: talks on detainees</title>"
        f"<link>https://example.org/{source}/{i}</link><pubDate>Mon, 01 Aug 2016 09:00:00 GMT</pubDate>"
        f"<description>Summary of item {i}, a paragraph of text about the ceasefire.</description></item>"
        for i in range(items + extra)
    ]
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {source}</title>'
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


def rss_rule_source(i: int, url: str) -> FeedSource:
    return FeedSource.model_validate(
        {
            "id": f"feed-{i}",
            "type": "feed",
            "url": url,
            "timeout": "30s",
            "rules": [{"match": "(?i)detainees", "commitments": ["syria-detainee-releases"]}],
        }
    )


async def round_of(
    label: str, poll: Callable[[FeedSource], Awaitable[PollReport]], sources: list[FeedSource], limit: int
) -> float:
    gate = asyncio.Semaphore(limit)

    async def one(source: FeedSource) -> PollReport:
        async with gate:
            return await poll(source)

    gc.collect()
    if tracemalloc.is_tracing():
        tracemalloc.reset_peak()
    start = time.perf_counter()
    reports = await asyncio.gather(*(one(s) for s in sources))
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else 0
    outcomes: dict[PollOutcome, int] = {}
    for report in reports:
        outcomes[report.outcome] = outcomes.get(report.outcome, 0) + 1
    failed = [r.reason for r in reports if not r.ok][:3]
    summary = ", ".join(f"{k.value}={v}" for k, v in sorted(outcomes.items()))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  {label:<8} {elapsed:7.2f} s  {len(sources) / elapsed:7.0f} polls/s  "
        + (f"tracemalloc peak {peak / 2**20:6.1f} MB  " if peak else "")
        + f"max RSS {rss_mb:6.0f} MB  ({summary})",
        flush=True,
    )
    if failed:
        print(f"  failures, e.g.: {failed}")
    return elapsed


def serve_feeds(conn: Connection, count: int, items: int) -> None:
    """The feed server, in its own process so that it does not share the poller's GIL. Version
    ``v`` of feed ``i`` has ``items + v - 1`` items and the ETag ``"v{v}-{i}"``."""
    with LocalHttpServer() as server:

        def publish(version: int) -> None:
            for i in range(count):
                server.serve(f"/feed/{i}.xml", rss(i, items, version - 1), etag=f'"v{version}-{i}"')

        publish(1)
        conn.send(server.base_url)
        while (version := conn.recv()) is not None:
            publish(version)
            conn.send("ok")


async def main(count: int, items: int, limit: int, trace: bool) -> None:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=serve_feeds, args=(theirs, count, items), daemon=True)
    child.start()
    base_url = ours.recv()
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate(engine)
        store = Store(engine)
        clock = [datetime(2016, 8, 2, tzinfo=UTC)]
        evidence = [0]

        def emit(kind: EventKind, subject: str, occurred: datetime, fields: object, detail: object) -> None:
            evidence[0] += kind is EventKind.EVIDENCE

        sources = [rss_rule_source(i, f"{base_url}/feed/{i}.xml") for i in range(count)]
        print(f"feeds: {count:,} sources x {items} items, concurrency {limit}, SQLite store")
        async with make_client(max_connections=limit) as client:
            poller = SourcePoller(
                store,
                client,
                clock=lambda: clock[0],
                current_status=lambda _: Status.NOT_STARTED,
                commitment_ids=lambda: ("syria-detainee-releases",),
                emit=emit,
                on_status_change=lambda: None,
            )
            if trace:
                tracemalloc.start()
            await round_of("first", poller.poll, sources, limit)
            ours.send(2)
            ours.recv()
            clock[0] += timedelta(minutes=30)
            changed = await round_of("changed", poller.poll, sources, limit)
            clock[0] += timedelta(minutes=30)
            not_modified = await round_of("304", poller.poll, sources, limit)
            if trace:
                tracemalloc.stop()
        engine.dispose()
    ours.send(None)
    child.join(timeout=10)
    print(f"  evidence emitted: {evidence[0]:,} (one per source in the changed round)")
    print(f"  ratio 304-round / changed-round: {not_modified / changed:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations (slows every round)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.sources, args.items, args.concurrency, args.tracemalloc))
