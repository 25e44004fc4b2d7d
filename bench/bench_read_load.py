#!/usr/bin/env python3
"""Delivery under HTTP read load, read latency and memory at scale (issue 10).

Three parts, each against a real ``deadlinewatch run`` child process (SQLite file database in a
temporary folder) serving HTTP on 127.0.0.1:

- ``burst``: N commitments (default 10,000), ``--burst`` of them (default 500) due at one instant
  and delivered to the local Slack stand-in of ``bench_burst.py``; the others are due in 2028.
  The run is repeated with 0, 4 and 16 concurrent HTTP clients (a separate process) looping over
  ``/api/commitments``, ``/api/commitments/ID``, ``/metrics`` and ``/`` from a few seconds before the
  instant until the last delivery. Printed: lateness of the last delivery per client count and its
  ratio to the 0-client run of the same invocation, and the requests the clients got answered.
- ``latency``: for each size in ``--sizes`` (default 10,000 and 100,000 commitments x 3
  subscriptions, every due form, dues in 2028 so nothing fires): one client, sequential requests
  per endpoint after one warm-up request; p50/p99 per endpoint.
- ``memory``: for the same runs, the time from launch to ``/readyz`` 200 (the service answers from
  the start, ready once its first plan is recorded) and the RSS then (``VmRSS``) and at the end
  (``VmRSS``, ``VmHWM``).

    .venv/bin/python bench/bench_read_load.py                       # everything
    .venv/bin/python bench/bench_read_load.py --parts burst --clients 0,16
    .venv/bin/python bench/bench_read_load.py --parts latency --sizes 10000

Every wait is bounded; children are stopped by their pid.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, TCPConnector

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_burst import (
    VENV_BIN,
    Receiver,
    _child_env,
    _free_port,
    _iso,
    _stop_process,
)

CLIENT_FLAG = "--http-clients"
ENDPOINTS = ("/api/commitments", "/api/commitments/{id}", "/metrics", "/")
ZONES = ["Europe/Berlin", "America/Santiago", "Asia/Damascus", "Europe/Kyiv", "UTC", "America/New_York"]
FORMS = [
    lambda r: f"2028-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    lambda r: f'"2028-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:30"',
    lambda r: f"2028-W{r.randint(1, 52):02d}",
    lambda r: f"{r.choice(['early', 'mid', 'late'])} 2028-{r.randint(1, 12):02d}",
    lambda r: f"2028-{r.randint(1, 12):02d}",
    lambda r: f"2028-Q{r.randint(1, 4)}",
    lambda r: "asap",
]


# --- configs ------------------------------------------------------------------------------------


def burst_config(
    folder: Path, *, run: str, n: int, burst: int, channels: int, port: int, instant: float
) -> None:
    """``burst`` commitments due at ``instant`` and ``n - burst`` due in 2028, over ``channels``
    Slack channels (pace off); one subscription per channel receiving only ``overdue``."""
    rng = random.Random(11)
    api = f"http://127.0.0.1:{port}/api/"
    lines = [
        "timezone: UTC",
        "policies:",
        "  default: {remind_before: [1d], grace: 0d, repeat_overdue_every: 0d}",
        "channels:",
    ]
    for c in range(channels):
        lines.append(
            f'  c{c:03d}: {{type: slack, channel: "#c{c:03d}", token: x, api_url: "{api}", pace: 0s}}'
        )
    lines.append("agreements:")
    for a in range(10):
        lines.append(
            f"  - {{id: {run}-ag{a}, title: Agreement {a}, parties: [P{a}], timezone: {ZONES[a % 6]}}}"
        )
    lines.append("commitments:")
    for i in range(n):
        due = f'"{_iso(instant)}"' if i < burst else FORMS[i % (len(FORMS) - 1)](rng)
        lines.append(
            f'  - {{id: {run}-{i:06d}, agreement: {run}-ag{i % 10}, title: "Deadline {run} {i}", '
            f"due: {due}, tags: [t{i % channels:03d}]}}"
        )
    lines.append("subscriptions:")
    for c in range(channels):
        lines.append(
            f"  - {{name: s{c:03d}, match: {{tags: [t{c:03d}]}}, events: [overdue], notify: [c{c:03d}]}}"
        )
    (folder / "bench.yaml").write_text("\n".join(lines) + "\n")


def scale_config(folder: Path, n: int) -> None:
    """``n`` commitments x 3 subscriptions (the shape of ``synthetic.py``) with every due form in
    2028, so nothing is due while the bench runs; console channels."""
    rng = random.Random(7)
    lines = [
        "timezone: UTC",
        "channels: {desk: {type: console}, mail: {type: console}}",
        "policies:",
        "  default: {remind_before: [30d, 7d, 1d], repeat_overdue_every: 7d, escalate_after: 14d}",
        "  urgent: {remind_before: [2d, 6h], grace: 1d, repeat_overdue_every: 2d}",
        "agreements:",
    ]
    for a in range(100):
        lines.append(
            f"  - {{id: ag{a}, title: Agreement {a}, announced: 2025-12-01, "
            f"parties: [P{a % 7}, Q{a % 5}], timezone: {ZONES[a % 6]}}}"
        )
    lines.append("commitments:")
    for c in range(n):
        policy = ", policy: urgent" if c % 10 == 0 else ""
        lines.append(
            f"  - {{id: c{c}, agreement: ag{c % 100}, title: Commitment {c}, due: {FORMS[c % 7](rng)}, "
            f"tags: [t{c % 4}]{policy}}}"
        )
    lines += [
        "subscriptions:",
        "  - {name: all, notify: [desk]}",
        "  - {name: tagged, match: {tags: [t1, t2]}, notify: [mail], policy: urgent}",
        "  - {name: parties, match: {parties: [P1, P3]}, notify: [desk, mail],"
        ' quiet_hours: {start: "22:00", end: "07:00", timezone: Europe/London}}',
    ]
    (folder / "deadlinewatch.yaml").write_text("\n".join(lines) + "\n")


# --- the service --------------------------------------------------------------------------------


@dataclass
class Service:
    proc: asyncio.subprocess.Process
    port: int
    launched: float
    ready: float | None = None
    log: Path | None = None


async def start_service(folder: Path, config: Path, timeout: float) -> Service:
    port = _free_port()
    database = f"sqlite:///{folder / 'deadlinewatch.db'}"
    command = [str(VENV_BIN / "deadlinewatch"), "run", "--config", str(config), "--database", database]
    command += ["--http", f"127.0.0.1:{port}"]
    log_path = folder / "service.log"
    launched = time.time()
    with log_path.open("wb") as log_file:
        proc = await asyncio.create_subprocess_exec(
            *command, stdout=log_file, stderr=log_file, env=_child_env(), cwd=str(folder)
        )
    service = Service(proc, port, launched, log=log_path)
    # HTTP answers from the start; /readyz is 200 once the first plan is recorded ("first plan ready").
    async with ClientSession(timeout=ClientTimeout(total=2)) as session:
        while time.time() < launched + timeout and proc.returncode is None:
            with contextlib.suppress(Exception):
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        service.ready = time.time()
                        return service
            await asyncio.sleep(0.1)
    return service


def rss_mib(pid: int, key: str = "VmRSS") -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return None


# --- the load clients (a separate process) -------------------------------------------------------


def client_main(argv: list[str]) -> int:
    """``--http-clients BASE COUNT IDS_FILE OUT``: COUNT tasks loop over ENDPOINTS until SIGTERM,
    then write ``{endpoint: [latency, ...]}`` and error counts to OUT."""
    base, count, ids_file, out = argv[0], int(argv[1]), argv[2], argv[3]
    ids = Path(ids_file).read_text().split()
    results: dict[str, list[float]] = {e: [] for e in ENDPOINTS}
    errors: dict[str, int] = {}
    stop = asyncio.Event()

    async def one(session: ClientSession, k: int) -> None:
        rng = random.Random(k)
        i = k
        while not stop.is_set():
            endpoint = ENDPOINTS[i % len(ENDPOINTS)]
            i += 1
            path = endpoint.replace("{id}", rng.choice(ids))
            started = time.perf_counter()
            try:
                async with session.get(base + path, headers={"Accept-Encoding": "gzip"}) as response:
                    await response.read()
                    if response.status != 200:
                        errors[f"{endpoint} {response.status}"] = (
                            errors.get(f"{endpoint} {response.status}", 0) + 1
                        )
                        continue
            except Exception as exc:  # counted, the load goes on
                errors[f"{endpoint} {type(exc).__name__}"] = (
                    errors.get(f"{endpoint} {type(exc).__name__}", 0) + 1
                )
                await asyncio.sleep(0.05)
                continue
            results[endpoint].append(time.perf_counter() - started)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        connector = TCPConnector(limit=count + 2)
        async with ClientSession(
            connector=connector, timeout=ClientTimeout(total=120), auto_decompress=False
        ) as session:
            tasks = [asyncio.create_task(one(session, k)) for k in range(count)]
            await stop.wait()
            await asyncio.wait(tasks, timeout=30)
            for task in tasks:
                task.cancel()
        Path(out).write_text(json.dumps({"latencies": results, "errors": errors}))

    asyncio.run(main())
    return 0


# --- parts --------------------------------------------------------------------------------------


@dataclass
class BurstRow:
    clients: int
    delivered: int = 0
    expected: int = 0
    last_late: float | None = None
    p50_late: float | None = None
    requests: dict[str, int] = field(default_factory=dict)
    p50: dict[str, float] = field(default_factory=dict)
    p99: dict[str, float] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    ready_margin: float | None = None  # seconds from the first HTTP answer to the instant


async def burst_run(
    receiver: Receiver, args: argparse.Namespace, tmp: Path, clients: int, index: int
) -> BurstRow:
    row = BurstRow(clients, expected=args.burst)
    run = "r" + secrets.token_hex(3)
    folder = tmp / f"burst{index}-{clients}"
    config = folder / "config"
    config.mkdir(parents=True)
    instant = float(int(time.time() + args.lead))
    burst_config(
        config,
        run=run,
        n=args.commitments,
        burst=args.burst,
        channels=args.channels,
        port=receiver.port,
        instant=instant,
    )
    receiver.slack.clear()
    receiver.tag = run
    service = await start_service(folder, config, timeout=args.lead)
    client_proc = None
    out = folder / "clients.json"
    try:
        if service.ready is None:
            row.notes.append(f"the service did not answer HTTP before the instant (see {service.log})")
            return row
        row.ready_margin = instant - service.ready
        if clients:
            ids_file = folder / "ids.txt"
            ids_file.write_text("\n".join(f"{run}-{i:06d}" for i in range(args.commitments)))
            base = f"http://127.0.0.1:{service.port}"
            client_proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(Path(__file__).resolve()),
                CLIENT_FLAG,
                base,
                str(clients),
                str(ids_file),
                str(out),
                env=_child_env(),
            )
        # until the instant (the clients load the service meanwhile)
        await asyncio.sleep(max(0.0, instant - time.time()))

        def overdue() -> int:
            return sum(1 for a in receiver.slack if a[4] and a[3] == "overdue")

        deadline = instant + args.timeout
        while overdue() < args.burst and time.time() < deadline and service.proc.returncode is None:
            await asyncio.sleep(0.05)
    finally:
        if client_proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(client_proc.pid, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(client_proc.wait(), 60)
            if client_proc.returncode is None:
                await _stop_process(client_proc, 1)
        await _stop_process(service.proc)
    times = sorted(
        {
            key: t for t, _, key, event, ours in reversed(receiver.slack) if ours and event == "overdue"
        }.values()
    )
    row.delivered = len(times)
    if times:
        row.last_late = times[-1] - instant
        row.p50_late = statistics.median(times) - instant
    if clients and out.exists():
        data = json.loads(out.read_text())
        row.errors = data["errors"]
        for endpoint, values in data["latencies"].items():
            row.requests[endpoint] = len(values)
            if values:
                row.p50[endpoint], row.p99[endpoint] = _pct(values)
    return row


def _pct(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


@dataclass
class ScaleRow:
    size: int
    first_plan: float | None = None
    rss_ready: float | None = None
    rss_end: float | None = None
    hwm_end: float | None = None
    latency: dict[str, tuple[float, float, int, int]] = field(default_factory=dict)  # p50, p99, n, bytes
    notes: list[str] = field(default_factory=list)


async def scale_run(args: argparse.Namespace, tmp: Path, size: int) -> ScaleRow:
    row = ScaleRow(size)
    folder = tmp / f"scale{size}"
    config = folder / "config"
    config.mkdir(parents=True)
    scale_config(config, size)
    service = await start_service(folder, config, timeout=args.start_timeout)
    try:
        if service.ready is None:
            row.notes.append(f"no HTTP answer within {args.start_timeout:.0f} s (see {service.log})")
            return row
        row.first_plan = service.ready - service.launched
        row.rss_ready = rss_mib(service.proc.pid)
        # Reads yield to deliveries due in the last 10 s (the start-up catch-up included): measure
        # read latency once that has passed (--settle 0 measures from the first answer on).
        await asyncio.sleep(args.settle)
        base = f"http://127.0.0.1:{service.port}"
        rng = random.Random(3)
        async with ClientSession(timeout=ClientTimeout(total=300), auto_decompress=False) as session:
            for endpoint in ENDPOINTS:
                values: list[float] = []
                size_bytes = 0
                budget = time.time() + args.endpoint_seconds
                for k in range(args.requests + 1):
                    path = endpoint.replace("{id}", f"c{rng.randrange(size)}")
                    started = time.perf_counter()
                    async with session.get(base + path, headers={"Accept-Encoding": "gzip"}) as response:
                        body = await response.read()
                        status = response.status
                    elapsed = time.perf_counter() - started
                    if status != 200:
                        row.notes.append(f"{path}: HTTP {status}")
                        break
                    if k:  # the first request warms whatever is cached
                        values.append(elapsed)
                        size_bytes = len(body)
                    if time.time() > budget and k >= 2:
                        break
                if values:
                    p50, p99 = _pct(values)
                    row.latency[endpoint] = (p50, p99, len(values), size_bytes)
        row.rss_end = rss_mib(service.proc.pid)
        row.hwm_end = rss_mib(service.proc.pid, "VmHWM")
    finally:
        await _stop_process(service.proc)
    return row


# --- output -------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.1f}"


def burst_table(rows: list[BurstRow]) -> list[str]:
    base = next((r for r in rows if r.clients == 0 and r.last_late), None)
    lines = [
        "| HTTP clients | delivered | last delivery late (s) | median late (s) | ratio to 0 clients "
        "| requests answered (commitments · one · metrics · /) | p50/p99 ms of the load (same order) "
        "| ready before the instant (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        ratio = f"{r.last_late / base.last_late:.2f}" if base and base.last_late and r.last_late else "–"
        answered = " · ".join(str(r.requests.get(e, 0)) for e in ENDPOINTS) if r.clients else "–"
        lat = " · ".join(f"{_ms(r.p50.get(e))}/{_ms(r.p99.get(e))}" for e in ENDPOINTS) if r.clients else "–"
        late = f"{r.last_late:.2f}" if r.last_late is not None else "–"
        p50 = f"{r.p50_late:.2f}" if r.p50_late is not None else "–"
        margin = f"{r.ready_margin:.1f}" if r.ready_margin is not None else "–"
        lines.append(
            f"| {r.clients} | {r.delivered}/{r.expected} | {late} | {p50} | {ratio} | {answered} | {lat} "
            f"| {margin} |"
        )
    return lines


def scale_table(rows: list[ScaleRow]) -> list[str]:
    lines = [
        "| commitments | endpoint | p50 ms | p99 ms | requests | body bytes (gzip) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        for endpoint, (p50, p99, n, size) in r.latency.items():
            lines.append(f"| {r.size:,} | `{endpoint}` | {_ms(p50)} | {_ms(p99)} | {n} | {size:,} |")
    lines += [
        "",
        "| commitments x 3 subscriptions | launch to first plan ready (s) | RSS then (MiB) "
        "| RSS at end (MiB) | peak RSS (MiB) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        fp = f"{r.first_plan:.1f}" if r.first_plan is not None else "–"
        vals = [f"{v:.0f}" if v is not None else "–" for v in (r.rss_ready, r.rss_end, r.hwm_end)]
        lines.append(f"| {r.size:,} | {fp} | {' | '.join(vals)} |")
    return lines


async def main(args: argparse.Namespace) -> int:
    parts = set(args.parts.split(","))
    tmp = Path(tempfile.mkdtemp(prefix="dw-readload-"))
    output: list[str] = []
    try:
        if "burst" in parts:
            receiver = Receiver()
            await receiver.start()
            rows = []
            try:
                for index, clients in enumerate(int(c) for c in args.clients.split(",")):
                    row = await burst_run(receiver, args, tmp, clients, index)
                    print(
                        f"burst with {clients} clients: last {row.last_late} s; {row.notes} {row.errors}",
                        flush=True,
                    )
                    rows.append(row)
            finally:
                await receiver.stop()
            output += [
                f"Delivery of a {args.burst}-deadline burst among {args.commitments:,} commitments "
                "under HTTP read load:",
                "",
                *burst_table(rows),
                "",
            ]
            for r in rows:
                if r.errors or r.notes:
                    output.append(f"- {r.clients} clients: errors {r.errors} {' '.join(r.notes)}")
        if "latency" in parts:
            scale_rows = []
            for size in (int(s) for s in args.sizes.split(",")):
                row2 = await scale_run(args, tmp, size)
                print(f"size {size}: {row2}", flush=True)
                scale_rows.append(row2)
            output += ["", "Read latency (one client, sequential, gzip accepted) and memory:", ""]
            output += scale_table(scale_rows)
            for r2 in scale_rows:
                for note in r2.notes:
                    output.append(f"- {r2.size:,}: {note}")
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")
    print("\n".join(output))
    if args.json:
        Path(args.json).write_text("\n".join(output))
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", default="burst,latency", help="burst,latency")
    parser.add_argument("--commitments", type=int, default=10_000, help="commitments in the burst runs")
    parser.add_argument("--burst", type=int, default=500, help="deadlines due at the instant")
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--clients", default="0,4,16", help="HTTP client counts, comma-separated")
    parser.add_argument("--lead", type=float, default=60.0, help="seconds from launch to the instant")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds after the instant")
    parser.add_argument("--sizes", default="10000,100000", help="commitment counts for latency/memory")
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per endpoint")
    parser.add_argument("--endpoint-seconds", type=float, default=30.0, help="time budget per endpoint")
    parser.add_argument("--start-timeout", type=float, default=300.0)
    parser.add_argument(
        "--settle", type=float, default=12.0, help="seconds from ready to the latency measurements"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--json", help="also write the tables to this file")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == CLIENT_FLAG:
        sys.exit(client_main(sys.argv[2:]))
    sys.exit(asyncio.run(main(parse_args(sys.argv[1:]))))
