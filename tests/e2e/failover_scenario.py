"""Failover of three ``deadlinewatch run`` replicas on one PostgreSQL, measured (SPEC §10, §11).

One scenario, two faults, shared by ``test_service_failover.py`` (asserts) and
``bench/bench_failover.py`` (prints):

- a burst of ``burst`` notifications due at one instant, to the local Slack stand-in (answering
  after a few milliseconds, so the burst takes a few seconds across the replicas), then one
  "heartbeat" commitment due every second, which only a leader can plan;
- once part of the burst has arrived, the leader gets the fault: ``kill -9``, or ``SIGSTOP`` for
  ``freeze_seconds`` then ``SIGCONT``;
- measured: the gap from the fault to another replica leading and to its first planning tick, the
  worst lateness of a heartbeat due after the fault, notifications lost, duplicates, and the rows
  the faulted replica held claimed at the fault (the only ones that may arrive twice).

Times come from the services' own JSON log stamps and the stand-in's arrival stamps (one clock).
By default the replicas run with the test-only clock hook (``DEADLINEWATCH_CLOCK_FILE``): the
burst is due an hour ahead and their clocks are moved to 3 s before it once all three are ready, so
no fixed lead time has to cover three starts on a loaded machine (``clock_hook=False``: the burst
is due ``lead_seconds`` after the config is written, on the real clock).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from conftest import (
    ServiceProcess,
    TimedSlackApi,
    commitment,
    slack_channel,
    utc_now,
    wait_until,
    whole_second,
    write_config,
)
from deadlinewatch.clock import CLOCK_FILE_ENV
from deadlinewatch.domain.model import EventKind
from deadlinewatch.domain.notifications import notification_key
from support.tcp_proxy import TcpProxy

LEADER = "this replica is now the leader"
FOLLOWER = "this replica is a follower"
STEPPED_DOWN = "this replica is no longer the leader"
TAKEN_OVER = "planning taken over"
REPLICAS = 3
SUBSCRIPTION = "desk"
CHANNEL = "slack"


@dataclass
class FailoverResult:
    fault: str
    burst: int
    heartbeats: int
    lost: int
    duplicates: int
    duplicates_not_in_flight: int
    in_flight: int
    arrived_at_fault: int
    leader_gap: float | None  # seconds from the fault to another replica's "now the leader"
    plan_gap: float | None  # ... to its first planning tick as the leader
    worst_heartbeat_lateness: float | None
    stepped_down_after_wake: bool | None
    woken_log: list[str]  # the first messages the frozen replica logged after SIGCONT
    seconds: float

    def lines(self) -> list[str]:
        gap = f"{self.leader_gap:.2f} s" if self.leader_gap is not None else "none"
        plan = f"{self.plan_gap:.2f} s" if self.plan_gap is not None else "none"
        late = f"{self.worst_heartbeat_lateness:.2f} s" if self.worst_heartbeat_lateness is not None else "-"
        out = [
            f"fault: {self.fault}; burst {self.burst} + {self.heartbeats} heartbeats; "
            f"{self.arrived_at_fault} had arrived at the fault",
            f"  failover gap: another replica leads after {gap}, plans after {plan}",
            f"  worst heartbeat lateness (due after the fault): {late}",
            f"  lost {self.lost}, duplicates {self.duplicates} (rows the faulted replica held: "
            f"{self.in_flight}; duplicates of other rows: {self.duplicates_not_in_flight})",
        ]
        if self.stepped_down_after_wake is not None:
            out.append(f"  the woken replica stepped down: {self.stepped_down_after_wake}; it logged:")
            out.extend(f"    {message[:150]}" for message in self.woken_log)
        out.append(f"  scenario {self.seconds:.1f} s")
        return out


def _messages(service: ServiceProcess) -> list[tuple[datetime | None, str]]:
    found: list[tuple[datetime | None, str]] = []
    for line in list(service.stderr):
        try:
            entry = json.loads(line.text)
        except ValueError:
            continue
        if isinstance(entry, dict):
            stamp = entry.get("time")
            at = datetime.fromisoformat(str(stamp)) if stamp else None
            found.append((at, str(entry.get("message", ""))))
    return found


def _first(service: ServiceProcess, fragment: str, after: datetime) -> datetime | None:
    for at, message in _messages(service):
        if at is not None and at >= after and fragment in message:
            return at
    return None


def _describe(replicas: list[ServiceProcess]) -> str:
    return "\n".join(f"=== replica {i} (pid {r.pid})\n{r.describe(25)}" for i, r in enumerate(replicas))


def _claimed_by(database: str, pid: int) -> set[str]:
    owner = f"{socket.gethostname()}:{pid}"
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT key FROM notification WHERE state = 'sending' AND lease_owner = :owner"),
                {"owner": owner},
            ).scalars()
            return {str(key) for key in rows}
    finally:
        engine.dispose()


def run_failover(
    tmp_path: Path,
    database: str,
    services: list[ServiceProcess],
    *,
    fault: str,
    burst: int = 1000,
    heartbeats: int = 20,
    freeze_seconds: float = 15.0,
    lead_seconds: float = 30.0,
    clock_hook: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> FailoverResult:
    """Run the scenario (``fault``: ``"kill"``, ``"stop"``, or ``"cut"``: the leader's PostgreSQL
    connections go through a TCP proxy that stops forwarding for ``freeze_seconds``); every replica started is appended to
    ``services`` (the caller kills what is left)."""
    assert fault in ("kill", "stop", "cut")
    began = time.monotonic()
    proxy = _proxy_for(database) if fault == "cut" else None
    slack = TimedSlackApi()
    slack.state.delay = 0.005
    slack.start()
    try:
        start = whole_second(utc_now())
        # With the clock hook, the burst is due an hour ahead and every replica's clock is moved
        # to just before it once all are ready (however long three starts take on a loaded
        # machine); instants below are on the replicas' clock, stamps (logs, arrivals) on the real
        # one: ``shift`` converts.
        due = start + (timedelta(hours=1) if clock_hook else timedelta(seconds=lead_seconds))
        clock_file = tmp_path / "clock-offset"
        clock_file.write_text("0\n", encoding="utf-8")
        env = {CLOCK_FILE_ENV: str(clock_file)} if clock_hook else {}
        beats = {f"hb-{i:03d}": due + timedelta(seconds=3 + i) for i in range(heartbeats)}
        config = tmp_path / "config"
        write_config(
            config,
            {
                "timezone": "UTC",
                "channels": {CHANNEL: slack_channel(slack, "#failover")},
                "policies": {"default": {"remind_before": [], "grace": "0d", "repeat_overdue_every": "0d"}},
                "commitments": [commitment(f"b-{i:04d}", due) for i in range(burst)]
                + [commitment(cid, at) for cid, at in beats.items()],
                "subscriptions": [{"name": SUBSCRIPTION, "notify": [CHANNEL]}],
            },
        )
        instants = {f"b-{i:04d}": due for i in range(burst)} | beats
        expected = {
            notification_key(SUBSCRIPTION, CHANNEL, cid, EventKind.OVERDUE, at): cid
            for cid, at in instants.items()
        }
        if proxy is not None:
            # The first replica reaches PostgreSQL through the proxy and leads (it starts alone);
            # the others connect directly.
            first = ServiceProcess.start(tmp_path, config, _through(database, proxy.port), env)
            services.append(first)
            first.wait_ready(90)
            wait_until(lambda: _first(first, LEADER, start) is not None, 60, "the first replica to lead")
            rest = [ServiceProcess.start(tmp_path, config, database, env) for _ in range(REPLICAS - 1)]
            replicas = [first, *rest]
        else:
            replicas = [ServiceProcess.start(tmp_path, config, database, env) for _ in range(REPLICAS)]
        services.extend(r for r in replicas if r not in services)
        for replica in replicas:
            replica.wait_ready(90)
        wait_until(
            lambda: all(_first(r, LEADER, start) or _first(r, FOLLOWER, start) for r in replicas),
            60,
            "every replica to know its role",
            on_fail=lambda: _describe(replicas),
        )
        leaders = [r for r in replicas if _first(r, LEADER, start)]
        assert len(leaders) == 1, f"expected exactly one leader\n{_describe(replicas)}"
        leader = leaders[0]
        others = [r for r in replicas if r is not leader]
        progress(
            f"3 replicas ready {(utc_now() - start).total_seconds():.1f} s after the config; leader pid {leader.pid}"
        )
        shift = timedelta()
        if clock_hook:
            shift = due - timedelta(seconds=3) - utc_now()
            partial = clock_file.with_suffix(".partial")
            partial.write_text(f"{shift.total_seconds()}\n", encoding="utf-8")
            partial.replace(clock_file)
        assert utc_now() + shift < due - timedelta(seconds=1), (
            "too slow: the replicas started after the burst instant"
        )

        def arrived() -> Counter[str]:
            return Counter(a.key for a in slack.arrivals())

        wait_until(
            lambda: sum(arrived().values()) >= min(300, burst // 3),
            (due - shift - utc_now()).total_seconds() + 60,
            "part of the burst",
            interval=0.01,
            on_fail=lambda: _describe(replicas),
        )
        if fault == "kill":
            os.kill(leader.pid, signal.SIGKILL)
        elif fault == "stop":
            os.kill(leader.pid, signal.SIGSTOP)
        else:
            assert proxy is not None
            proxy.pause()
        fault_at = utc_now()
        at_fault = sum(arrived().values())
        if fault == "kill":
            leader.process.wait(timeout=30)
        held = _claimed_by(database, leader.pid)
        progress(f"{fault} at {fault_at.isoformat()}: {at_fault} arrivals, {len(held)} rows claimed by it")

        wait_until(
            lambda: any(_first(r, LEADER, fault_at) for r in others),
            60,
            "another replica to lead",
            on_fail=lambda: _describe(replicas),
        )
        successor = next(r for r in others if _first(r, LEADER, fault_at))
        wait_until(
            lambda: _first(successor, TAKEN_OVER, fault_at) is not None,
            60,
            "the new leader's first planning tick",
            on_fail=lambda: _describe(replicas),
        )
        led_at = _first(successor, LEADER, fault_at)
        planned_at = _first(successor, TAKEN_OVER, fault_at)
        progress(f"replica pid {successor.pid} leads")

        stepped_down: bool | None = None
        woken_log: list[str] = []
        if fault in ("stop", "cut"):
            remaining = freeze_seconds - (utc_now() - fault_at).total_seconds()
            if remaining > 0:
                time.sleep(remaining)
            if proxy is not None:
                proxy.resume()
            else:
                os.kill(leader.pid, signal.SIGCONT)
            woke_at = utc_now()
            progress(
                f"{'forwarding again' if proxy else 'SIGCONT'} after {(woke_at - fault_at).total_seconds():.1f} s"
            )
            wait_until(
                lambda: _first(leader, STEPPED_DOWN, fault_at) is not None,
                60,
                "the woken replica to step down",
                on_fail=lambda: _describe(replicas),
            )
            stepped_down = True
            woken_log = [m for at, m in _messages(leader) if at is not None and at >= woke_at][:6]

        last = max(instants.values())
        wait_until(
            lambda: set(arrived()) >= set(expected),
            (last - shift - utc_now()).total_seconds() + 90,
            "every notification",
            interval=0.2,
            on_fail=lambda: f"missing {len(set(expected) - set(arrived()))}\n{_describe(replicas)}",
        )
        time.sleep(1.5)  # a quiet moment for any late duplicate
        for replica in replicas:
            if replica.alive():
                replica.terminate(timeout=20)
        counts = arrived()
        duplicates = {key: n - 1 for key, n in counts.items() if n > 1}
        first_seen: dict[str, datetime] = {}
        for arrival in slack.arrivals():
            first_seen.setdefault(arrival.key, arrival.at)
        lateness = [
            (first_seen[key] - (instants[cid] - shift)).total_seconds()
            for key, cid in expected.items()
            if cid in beats and instants[cid] - shift >= fault_at and key in first_seen
        ]
        return FailoverResult(
            fault={
                "kill": "kill -9",
                "stop": f"SIGSTOP {freeze_seconds:g} s, then SIGCONT",
                "cut": f"PostgreSQL connection cut {freeze_seconds:g} s (proxy stops forwarding)",
            }[fault],
            burst=burst,
            heartbeats=heartbeats,
            lost=len(set(expected) - set(counts)),
            duplicates=sum(duplicates.values()),
            duplicates_not_in_flight=len(set(duplicates) - held),
            in_flight=len(held),
            arrived_at_fault=at_fault,
            leader_gap=(led_at - fault_at).total_seconds() if led_at else None,
            plan_gap=(planned_at - fault_at).total_seconds() if planned_at else None,
            worst_heartbeat_lateness=max(lateness) if lateness else None,
            stepped_down_after_wake=stepped_down,
            woken_log=woken_log,
            seconds=time.monotonic() - began,
        )
    finally:
        slack.stop()
        if proxy is not None:
            proxy.resume()
            proxy.close()


def _proxy_for(database: str) -> TcpProxy:
    url = make_url(database)
    return TcpProxy(url.host or "127.0.0.1", url.port or 5432)


def _through(database: str, port: int) -> str:
    return make_url(database).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
