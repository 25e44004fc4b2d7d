#!/usr/bin/env python3
"""Burst benchmark: N deadlines closing at one instant, delivered by ``deadlinewatch run`` to a local
Slack Web API stand-in, against Prometheus Alertmanager given the same N alerts toward the same
local server (a webhook receiver, one group per alert).

Everything runs on 127.0.0.1: the stand-in server lives in this process (aiohttp), deadlinewatch
and Alertmanager are real child processes with their state in a temporary folder.

    .venv/bin/python bench/bench_burst.py                 # 10,000 deadlines over 100 channels
    .venv/bin/python bench/bench_burst.py --quick         # 1,000 over 10 channels (smoke run)
    .venv/bin/python bench/bench_burst.py --commitments 5000 --channels 50

With ``DEADLINEWATCH_TEST_POSTGRES_URL`` set, deadlinewatch runs a second time on PostgreSQL (a
fresh database is created next to the one the URL names and dropped afterwards, when allowed).
A missing Alertmanager binary is reported and its row skipped (``apt-get install
prometheus-alertmanager``). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
AM_CANDIDATES = ("prometheus-alertmanager", "alertmanager")
POLL = 0.05  # seconds between progress checks
SETTLE = 2.0  # seconds to wait after the last expected arrival, to catch duplicates
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


# --- the local receiver --------------------------------------------------------------------------


@dataclass
class Receiver:
    """Slack ``chat.postMessage`` stand-in and Alertmanager webhook target, recording arrivals."""

    slack: list[tuple[float, str, str, str, bool]] = field(
        default_factory=list
    )  # (t, channel, key, event, ours)
    tag: str = ""  # a message whose text holds this tag belongs to the current run
    hook: list[tuple[float, str]] = field(default_factory=list)  # (t, alert id)
    hook_posts: int = 0
    seq: int = 0
    runner: web.AppRunner | None = None
    port: int = 0

    async def start(self) -> None:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/api/chat.postMessage", self._post_message)
        app.router.add_post("/api/auth.test", self._auth_test)
        app.router.add_post("/webhook", self._webhook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _auth_test(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "user_id": "UBENCH", "team": "bench", "bot_id": "BBENCH"})

    async def _post_message(self, request: web.Request) -> web.Response:
        arrived = time.time()
        raw = await request.read()
        try:
            body = json.loads(raw) if raw[:1] == b"{" else _form(raw)
        except ValueError:
            body = {}
        channel = str(body.get("channel", ""))
        meta = body.get("metadata") or {}
        if isinstance(meta, str):
            meta = json.loads(meta)
        payload = meta.get("event_payload") or {} if isinstance(meta, dict) else {}
        ours = bool(self.tag) and self.tag in str(body.get("text", ""))
        self.slack.append(
            (arrived, channel, str(payload.get("key", "")), str(payload.get("event", "")), ours)
        )
        self.seq += 1
        ts = f"1700000000.{self.seq:06d}"
        return web.json_response({"ok": True, "channel": "C" + channel.strip("#").upper(), "ts": ts})

    async def _webhook(self, request: web.Request) -> web.Response:
        arrived = time.time()
        body = await request.json()
        self.hook_posts += 1
        for alert in body.get("alerts", []):
            self.hook.append((arrived, str(alert.get("labels", {}).get("id", ""))))
        return web.Response(text="ok")


def _form(raw: bytes) -> dict[str, Any]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(raw.decode(), keep_blank_values=True))


# --- results ------------------------------------------------------------------------------------


@dataclass
class Result:
    system: str
    expected: int
    delivered: int = 0  # distinct notifications / alerts that arrived
    duplicates: int = 0
    first_late: float | None = None  # first arrival - instant (s)
    last_late: float | None = None  # last arrival - instant (s)
    p50_late: float | None = None
    startup: float | None = None  # process start -> ready (s)
    wall: float | None = None  # process start -> last arrival (s)
    peak_rss_mib: float | None = None
    ready_margin: float | None = None  # instant - ready (s); negative = the instant was missed
    burst_cpu: float | None = None  # service CPU seconds from the instant to the last arrival
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        if self.last_late is None or self.last_late <= 0 or not self.delivered:
            return None
        return self.delivered / self.last_late

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in vars(self).items()}
        out["rate"] = self.rate
        return out


def _measure(result: Result, arrivals: list[tuple[float, str]], instant: float, launched: float) -> None:
    firsts: dict[str, float] = {}
    dupes = 0
    for t, key in arrivals:
        if key in firsts:
            dupes += 1
        else:
            firsts[key] = t
    result.delivered = len(firsts)
    result.duplicates = dupes
    if firsts:
        times = sorted(firsts.values())
        result.first_late = times[0] - instant
        result.last_late = times[-1] - instant
        result.p50_late = statistics.median(times) - instant
        result.wall = times[-1] - launched


def _peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _cpu_seconds(pid: int, thread: int | None = None) -> float | None:
    """User + system CPU seconds of ``pid`` (all its threads, or only ``thread``) so far."""
    where = f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat"
    try:
        fields = Path(where).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PROXY_VARS and not k.startswith("SLACK_")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.pop("DEADLINEWATCH_DATABASE_URL", None)
    env.pop("DEADLINEWATCH_CONFIG", None)
    return env


async def _stop_process(proc: asyncio.subprocess.Process, grace: float = 15.0) -> None:
    """SIGTERM our own child by pid, then SIGKILL it if it has not exited within ``grace``."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        await asyncio.wait_for(proc.wait(), 5.0)


async def _wait_for(count: Any, target: int, deadline: float, proc: asyncio.subprocess.Process) -> bool:
    """Poll until ``count() >= target``, the deadline passes or the process exits (bounded)."""
    max_rounds = int((deadline - time.time()) / POLL) + 2
    for _ in range(max(1, max_rounds)):
        if count() >= target:
            return True
        if proc.returncode is not None or time.time() >= deadline:
            return False
        await asyncio.sleep(POLL)
    return count() >= target


# --- deadlinewatch ------------------------------------------------------------------------------


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_config(folder: Path, *, run: str, n: int, channels: int, port: int, instant: float) -> None:
    """One YAML file: ``channels`` Slack channels (pace off), ``n`` commitments due at ``instant``
    spread over ``channels`` tags, one subscription per tag receiving only ``overdue``, and a
    policy without repeats (so exactly ``n`` notifications fire at the instant)."""
    api = f"http://127.0.0.1:{port}/api/"
    due = _iso(instant)
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
    lines.append(f"  - {{id: {run}-agreement, title: Burst benchmark agreement, parties: [Bench]}}")
    lines.append("commitments:")
    for i in range(n):
        lines.append(
            f'  - {{id: {run}-{i:05d}, agreement: {run}-agreement, title: "Burst deadline {run} {i}", '
            f'due: "{due}", tags: [t{i % channels:03d}]}}'
        )
    lines.append("subscriptions:")
    for c in range(channels):
        lines.append(
            f"  - {{name: s{c:03d}, match: {{tags: [t{c:03d}]}}, events: [overdue], notify: [c{c:03d}]}}"
        )
    (folder / "bench.yaml").write_text("\n".join(lines) + "\n")


def _log_time(line: str) -> float | None:
    try:
        entry = json.loads(line)
        return datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
    except (ValueError, KeyError, TypeError):
        return None


def _ready_at(log_path: Path) -> float | None:
    """When the service said it is running (its first plan follows at once)."""
    with contextlib.suppress(OSError):
        for line in log_path.read_text(errors="replace").splitlines():
            if "deadlinewatch running" in line:
                return _log_time(line)
    return None


async def bench_deadlinewatch(
    receiver: Receiver, args: argparse.Namespace, tmp: Path, database: str | None, label: str
) -> Result:
    n, channels = args.commitments, args.channels
    result = Result(system=label, expected=n)
    run = "b" + secrets.token_hex(3)
    folder = tmp / f"{label.replace(' ', '_').replace('(', '').replace(')', '')}"
    config = folder / "config"
    config.mkdir(parents=True)
    database = database or f"sqlite:///{folder / 'deadlinewatch.db'}"
    instant = float(int(time.time() + args.lead))
    write_config(config, run=run, n=n, channels=channels, port=receiver.port, instant=instant)
    log_path = folder / "service.log"
    receiver.slack.clear()
    receiver.tag = run
    exe = VENV_BIN / "deadlinewatch"
    command = [str(exe), "run", "--config", str(config), "--database", database]
    profile_path = folder / "profile.txt"
    if args.profile:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            SAMPLER_FLAG,
            str(profile_path),
            str(instant),
        ]
        command += ["--", "run", "--config", str(config), "--database", database]
    launched = time.time()
    with log_path.open("wb") as log_file:
        proc = await asyncio.create_subprocess_exec(
            *command, stdout=log_file, stderr=log_file, env=_child_env(), cwd=str(folder)
        )
    try:

        def overdue() -> int:
            return sum(1 for a in receiver.slack if a[4] and a[3] == "overdue")

        await _wait_for(lambda: 0, 1, instant, proc)  # until the instant (bounded)
        cpu_at_instant, own_at_instant = _cpu_seconds(proc.pid), time.process_time()
        main_at_instant = _cpu_seconds(proc.pid, proc.pid)
        done = await _wait_for(overdue, n, instant + args.timeout, proc)
        cpu_used, own_used = _cpu_seconds(proc.pid), time.process_time() - own_at_instant
        main_used = _cpu_seconds(proc.pid, proc.pid)
        burst = time.time() - instant
        if cpu_used is not None and cpu_at_instant is not None:
            result.burst_cpu = cpu_used - cpu_at_instant
            result.notes.append(
                f"service CPU, instant to last arrival: {result.burst_cpu:.1f} s in {burst:.1f} s "
                f"({result.burst_cpu / burst:.2f} cores); bench + stand-in CPU: {own_used:.1f} s"
            )
            if main_used is not None and main_at_instant is not None:
                result.notes.append(
                    f"of which the event loop (main) thread: {main_used - main_at_instant:.1f} s, "
                    f"other threads (to_thread workers: database): "
                    f"{result.burst_cpu - (main_used - main_at_instant):.1f} s"
                )
        if done:
            await asyncio.sleep(SETTLE)
        result.peak_rss_mib = _peak_rss_mib(proc.pid)
        if not done:
            why = "exited" if proc.returncode is not None else f"timed out after {args.timeout:.0f} s"
            result.notes.append(f"incomplete: {why} (see {log_path})")
    finally:
        await _stop_process(proc)
    ours = [(t, key) for t, _, key, event, mine in receiver.slack if mine and event == "overdue"]
    others = len(receiver.slack) - len(ours)
    if others:
        result.notes.append(f"{others} other message(s) arrived (not counted)")
    _measure(result, ours, instant, launched)
    ready = _ready_at(log_path)
    if ready is not None:
        result.startup = ready - launched
        result.ready_margin = instant - ready
        if result.ready_margin < 0:
            result.notes.append("the service was not ready at the instant: lateness includes its start")
    result.notes.append(f"log: {log_path}")
    if args.profile and profile_path.exists():
        result.notes.append(f"profile: {profile_path}")
    return result


# --- Alertmanager -------------------------------------------------------------------------------


def find_alertmanager(explicit: str | None) -> str | None:
    if explicit:
        return explicit if Path(explicit).is_file() else shutil.which(explicit)
    for name in AM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alertmanager_config(port: int) -> str:
    template = (Path(__file__).parent / "alertmanager" / "alertmanager.yml.tmpl").read_text()
    return template.replace("{{WEBHOOK_URL}}", f"http://127.0.0.1:{port}/webhook")


async def bench_alertmanager(receiver: Receiver, args: argparse.Namespace, tmp: Path, binary: str) -> Result:
    n = args.commitments
    result = Result(system="Alertmanager", expected=n)
    folder = tmp / "alertmanager"
    (folder / "data").mkdir(parents=True)
    (folder / "alertmanager.yml").write_text(alertmanager_config(receiver.port))
    web_port = _free_port()
    log_path = folder / "alertmanager.log"
    receiver.hook.clear()
    receiver.hook_posts = 0
    command = [
        binary,
        f"--config.file={folder / 'alertmanager.yml'}",
        f"--storage.path={folder / 'data'}",
        f"--web.listen-address=127.0.0.1:{web_port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    launched = time.time()
    with log_path.open("wb") as log_file:
        proc = await asyncio.create_subprocess_exec(
            *command, stdout=log_file, stderr=log_file, env=_child_env(), cwd=str(folder)
        )
    base = f"http://127.0.0.1:{web_port}"
    try:
        async with ClientSession(timeout=ClientTimeout(total=30), trust_env=False) as http:
            ready = None
            for _ in range(300):  # up to ~30 s
                if proc.returncode is not None:
                    break
                with contextlib.suppress(OSError, asyncio.TimeoutError):
                    async with http.get(base + "/-/ready") as response:
                        if response.status == 200:
                            ready = time.time()
                            break
                await asyncio.sleep(0.1)
            if ready is None:
                result.skipped = f"Alertmanager did not become ready (see {log_path})"
                return result
            result.startup = ready - launched
            # The same shape as deadlinewatch's burst: an instant a moment ahead, then everything.
            instant = ready + 1.0
            result.ready_margin = instant - ready
            starts = _iso(time.time())
            alerts = [
                {
                    "labels": {
                        "alertname": "DeadlineOverdue",
                        "id": f"d{i:05d}",
                        "channel": f"c{i % args.channels:03d}",
                    },
                    "annotations": {"summary": f"Burst deadline {i} is overdue"},
                    "startsAt": starts,
                }
                for i in range(n)
            ]
            await asyncio.sleep(max(0.0, instant - time.time()))
            t_post = time.time()
            for start in range(0, n, args.batch):
                async with http.post(
                    base + "/api/v2/alerts", json=alerts[start : start + args.batch]
                ) as response:
                    if response.status != 200:
                        result.notes.append(
                            f"POST alerts answered {response.status}: {await response.text()}"
                        )
            posted = time.time() - t_post
            result.notes.append(f"posting {n} alerts in batches of {args.batch} took {posted:.2f} s")
        done = await _wait_for(lambda: len({a[1] for a in receiver.hook}), n, t_post + args.timeout, proc)
        if done:
            await asyncio.sleep(SETTLE)
        result.peak_rss_mib = _peak_rss_mib(proc.pid)
        if not done:
            result.notes.append(f"incomplete after {args.timeout:.0f} s (see {log_path})")
        result.notes.append(f"{receiver.hook_posts} webhook POSTs")
    finally:
        await _stop_process(proc)
    _measure(result, list(receiver.hook), t_post, launched)
    return result


# --- a poor man's sampling profiler (py-spy is not installed) ------------------------------------

SAMPLER_FLAG = "--sampled-service"
SAMPLE_INTERVAL = 0.005
_IDLE_LEAVES = {
    "selectors.py:select",  # the event loop waiting for I/O
    "thread.py:_worker",  # a to_thread worker waiting for work
    "threading.py:wait",
    "queue.py:get",
}


def sampled_service(out: str, start: float, argv: list[str]) -> int:
    """Run ``deadlinewatch ARGV`` in this process while a thread samples every thread's Python
    stack from ``start`` (epoch seconds) on; at exit, write leaf and inclusive counts to ``out``."""
    import collections
    import threading

    from deadlinewatch.cli import main as deadlinewatch_main

    leaf: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    inclusive: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    busy: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    stop = threading.Event()
    main_ident = threading.get_ident()

    def name(code: Any) -> str:
        return f"{Path(code.co_filename).name}:{code.co_name}"

    def sample() -> None:
        own = threading.get_ident()
        for _ in range(int(3600 / SAMPLE_INTERVAL)):  # at most an hour
            if stop.wait(SAMPLE_INTERVAL):
                return
            if time.time() < start:
                continue
            for ident, frame in sys._current_frames().items():
                if ident == own:
                    continue
                kind = "event loop thread" if ident == main_ident else "other threads"
                stack: list[str] = []
                current: Any = frame
                while current is not None and len(stack) < 300:
                    stack.append(name(current.f_code))
                    current = current.f_back
                total[kind] += 1
                if stack[0] in _IDLE_LEAVES:
                    continue
                busy[kind] += 1
                leaf[kind][stack[0]] += 1
                for entry in set(stack):
                    inclusive[kind][entry] += 1

    sampler = threading.Thread(target=sample, name="bench-sampler", daemon=True)
    sampler.start()
    try:
        return deadlinewatch_main(argv)
    finally:
        stop.set()
        sampler.join(2.0)
        lines = [f"samples every {SAMPLE_INTERVAL * 1000:.0f} ms from {_iso(start)}; idle leaves dropped"]
        for kind in ("event loop thread", "other threads"):
            lines.append(f"\n== {kind}: {busy[kind]} busy of {total[kind]} samples")
            lines.append("-- leaf (self) --")
            lines += [f"{count:7d}  {where}" for where, count in leaf[kind].most_common(40)]
            lines.append("-- inclusive --")
            lines += [f"{count:7d}  {where}" for where, count in inclusive[kind].most_common(80)]
        Path(out).write_text("\n".join(lines) + "\n")


# --- PostgreSQL ---------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database(url: str) -> Any:
    """A fresh database next to the one ``url`` names (dropped afterwards); if it cannot be
    created, ``url`` itself (the run's ids are unique, so earlier rows do not interfere)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = "dw_bench_" + secrets.token_hex(4)
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    created = False
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created = True
    except Exception as exc:  # no CREATE DATABASE right: use the given database
        print(f"  (could not create a fresh PostgreSQL database, using the given one: {exc})")
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False) if created else url
    finally:
        if created:
            with contextlib.suppress(Exception), admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- report -------------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def table(results: list[Result]) -> str:
    head = (
        "| system | delivered | dups | notif/s | first late s | median late s | last late s "
        "| startup s | wall s | peak RSS MiB |"
    )
    rows = [head, "|" + "---|" * 10]
    for r in results:
        if r.skipped:
            rows.append(f"| {r.system} | skipped: {r.skipped} |" + " |" * 8)
            continue
        rows.append(
            f"| {r.system} | {r.delivered}/{r.expected} | {r.duplicates} | {_fmt(r.rate, ',.0f')} "
            f"| {_fmt(r.first_late, '.3f')} | {_fmt(r.p50_late, '.3f')} | {_fmt(r.last_late, '.3f')} "
            f"| {_fmt(r.startup, '.2f')} | {_fmt(r.wall, '.2f')} | {_fmt(r.peak_rss_mib, '.0f')} |"
        )
    return "\n".join(rows)


def ratios(results: list[Result]) -> list[str]:
    am = next((r for r in results if r.system == "Alertmanager" and not r.skipped), None)
    lines = []
    for r in results:
        if r is am or r.skipped or am is None:
            continue
        if r.rate and am.rate:
            lines.append(f"{r.system} / Alertmanager throughput: {r.rate / am.rate:.2f}x")
        if r.last_late and am.last_late:
            lines.append(
                f"{r.system} / Alertmanager last-arrival lateness: {r.last_late / am.last_late:.2f}x"
            )
    return lines


async def main_async(args: argparse.Namespace) -> int:
    receiver = Receiver()
    await receiver.start()
    results: list[Result] = []
    binary = find_alertmanager(args.alertmanager)
    keep = args.keep
    tmp = Path(tempfile.mkdtemp(prefix="dw-bench-burst-"))
    print(
        f"burst: {args.commitments:,} deadlines over {args.channels} channels, pace off; "
        f"stand-in on 127.0.0.1:{receiver.port}; work dir {tmp}",
        flush=True,
    )
    try:
        print("- deadlinewatch (SQLite) ...", flush=True)
        results.append(await bench_deadlinewatch(receiver, args, tmp, None, "deadlinewatch (SQLite)"))
        pg_url = os.environ.get("DEADLINEWATCH_TEST_POSTGRES_URL")
        if pg_url and not args.no_postgres:
            print("- deadlinewatch (PostgreSQL) ...", flush=True)
            with postgres_database(pg_url) as url:
                results.append(
                    await bench_deadlinewatch(receiver, args, tmp, url, "deadlinewatch (PostgreSQL)")
                )
        if args.no_alertmanager:
            results.append(Result("Alertmanager", args.commitments, skipped="--no-alertmanager"))
        elif binary is None:
            print(
                "- Alertmanager: SKIPPED, binary not found (install it: "
                "apt-get update && apt-get install -y prometheus-alertmanager)",
                flush=True,
            )
            results.append(Result("Alertmanager", args.commitments, skipped="binary not found"))
        else:
            print(f"- Alertmanager ({binary}) ...", flush=True)
            results.append(await bench_alertmanager(receiver, args, tmp, binary))
    finally:
        await receiver.stop()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(table(results))
    print()
    for line in ratios(results):
        print(line)
    for r in results:
        for note in r.notes:
            if keep or not note.startswith("log:"):
                print(f"  {r.system}: {note}")
    if args.json:
        Path(args.json).write_text(json.dumps([r.as_dict() for r in results], indent=2) + "\n")
    complete = all(r.skipped or r.delivered == r.expected for r in results)
    return 0 if complete else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--commitments", type=int, default=None, help="deadlines in the burst (10000)")
    parser.add_argument("--channels", type=int, default=None, help="Slack channels (100)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 deadlines over 10 channels")
    parser.add_argument(
        "--lead", type=float, default=None, help="seconds from launch to the instant (auto: load + margin)"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="give up this long after the instant")
    parser.add_argument("--batch", type=int, default=500, help="alerts per POST to Alertmanager")
    parser.add_argument("--alertmanager", help="Alertmanager binary (default: found on PATH)")
    parser.add_argument("--no-alertmanager", action="store_true", help="skip the Alertmanager row")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL row")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (configs, logs, databases)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the service's stacks from the instant on (all threads, ~200 Hz); implies --keep",
    )
    args = parser.parse_args(argv)
    if args.commitments is None:
        args.commitments = 1000 if args.quick else 10_000
    if args.channels is None:
        args.channels = 10 if args.quick else 100
    if args.commitments <= 0 or args.channels <= 0 or args.channels > 999:
        parser.error("--commitments must be positive and --channels between 1 and 999")
    if args.profile:
        args.keep = True
    if args.lead is None:
        args.lead = 8.0 + args.commitments / 1000 * 1.5
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [SAMPLER_FLAG]:
        return sampled_service(argv[1], float(argv[2]), argv[4:])
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
