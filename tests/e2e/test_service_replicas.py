"""Two ``deadlinewatch run`` replicas on one PostgreSQL database and one config (SPEC §10).

One replica (the advisory-lock leader) plans and polls, both deliver: every notification of a
burst due a few seconds after the start is printed exactly once across both processes' stdout.
Then the leader is killed with SIGKILL; the survivor takes over and a commitment due later still
notifies, exactly once. PostgreSQL only (skipped without ``DEADLINEWATCH_TEST_POSTGRES_URL``);
waits are failure guards, never measured.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import (
    ServiceProcess,
    commitment,
    console_arrivals,
    logged,
    outbox,
    utc_now,
    wait_until,
    whole_second,
    write_config,
)
from deadlinewatch.domain.model import EventKind

FIRST = [f"first-{i:02d}" for i in range(20)]
LATER = [f"later-{i}" for i in range(3)]
LEADER = "this replica is now the leader"
FOLLOWER = "this replica is a follower"


def _overdues(services: list[ServiceProcess]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for service in services:
        for line in console_arrivals(service.stdout_lines()):
            counts[line.subject] += 1
            assert line.event is EventKind.OVERDUE, line.text
    return counts


def _describe(services: list[ServiceProcess]) -> str:
    return "\n".join(f"=== replica {i}\n{s.describe()}" for i, s in enumerate(services))


@pytest.mark.postgres
@pytest.mark.slow
def test_replicas_deliver_once_and_the_survivor_takes_over(
    tmp_path: Path, postgres_url: str, services: list[ServiceProcess]
) -> None:
    start = whole_second(utc_now())
    first_due = start + timedelta(seconds=12)
    later_due = first_due + timedelta(seconds=22)
    config = tmp_path / "config"
    write_config(
        config,
        {
            "timezone": "UTC",
            "channels": {"console": {"type": "console"}},
            "policies": {"default": {"remind_before": [], "grace": "0d", "repeat_overdue_every": "0d"}},
            "commitments": [commitment(cid, first_due) for cid in FIRST]
            + [commitment(cid, later_due) for cid in LATER],
            "subscriptions": [{"name": "desk", "notify": ["console"]}],
        },
    )
    replicas = [ServiceProcess.start(tmp_path, config, postgres_url) for _ in range(2)]
    services.extend(replicas)
    for replica in replicas:
        replica.wait_ready()
    wait_until(
        lambda: all(logged(r, LEADER) or logged(r, FOLLOWER) for r in replicas),
        30,
        "both replicas to know their role",
        on_fail=lambda: _describe(replicas),
    )
    leaders = [r for r in replicas if logged(r, LEADER)]
    assert len(leaders) == 1, f"expected exactly one leader\n{_describe(replicas)}"
    leader = leaders[0]
    survivor = next(r for r in replicas if r is not leader)
    assert logged(survivor, FOLLOWER)

    # The burst: every overdue exactly once across both replicas.
    guard = (first_due - utc_now()).total_seconds() + 30
    wait_until(
        lambda: set(_overdues(replicas)) >= set(FIRST),
        guard,
        "the first burst",
        on_fail=lambda: _describe(replicas),
    )
    # Kill only once every row is marked sent: a kill between printing and marking is the
    # allowed "in flight at a crash" duplicate, which this test is not about.
    wait_until(
        lambda: all(
            row["state"] == "sent"
            for row in outbox(tmp_path, config, postgres_url)
            if row["subject"] in FIRST
        ),
        30,
        "the burst's rows to be marked sent",
        interval=0.5,
    )
    per_replica = [sum(1 for _ in console_arrivals(r.stdout_lines())) for r in replicas]
    print(f"\nburst of {len(FIRST)} split across the replicas: {per_replica}")
    assert utc_now() < later_due - timedelta(seconds=5), "too slow to reach the failover in time"

    leader.kill()  # SIGKILL: no unlock; the lock goes with its connection
    wait_until(
        lambda: logged(survivor, LEADER),
        20,
        "the survivor to become the leader",
        on_fail=lambda: _describe([survivor]),
    )
    guard = (later_due - utc_now()).total_seconds() + 30
    wait_until(
        lambda: set(_overdues(replicas)) >= set(FIRST + LATER),
        guard,
        "the later commitments via the survivor",
        on_fail=lambda: _describe(replicas),
    )
    survivor.terminate()

    counts = _overdues(replicas)
    assert counts == Counter({cid: 1 for cid in FIRST + LATER}), counts
    later_lines = [line for line in console_arrivals(survivor.stdout_lines()) if line.subject in LATER]
    assert len(later_lines) == len(LATER)
    rows = outbox(tmp_path, config, postgres_url)
    assert sorted(row["subject"] for row in rows) == sorted(FIRST + LATER)
    assert {row["state"] for row in rows} == {"sent"}
