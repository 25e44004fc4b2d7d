#!/usr/bin/env python3
"""Failover, measured: three ``deadlinewatch run`` replicas on one PostgreSQL, a burst of 1,000
notifications to a local Slack stand-in, and the leader ``kill -9``-ed, then (a fresh run) frozen
with ``SIGSTOP`` for 30 s and woken with ``SIGCONT``, then (a third run) cut off from PostgreSQL
for 30 s by a TCP proxy that stops forwarding. Prints, per fault: the gap until another
replica leads and plans, the worst lateness of a notification due after the fault, lost,
duplicates, and the rows the faulted replica held claimed (the only ones that may come twice).

    DEADLINEWATCH_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/bench_failover.py [--runs 3] [--only kill|stop|cut] [--freeze 30]

Each run uses a fresh schema (dropped afterwards) and a temporary folder. The scenario itself is
``tests/e2e/failover_scenario.py``, the one the e2e tests assert on.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "e2e"), str(ROOT / "tests")]

from failover_scenario import FailoverResult, run_failover  # noqa: E402

from conftest import ServiceProcess  # noqa: E402
from support.postgres import POSTGRES_ENV, fresh_schema  # noqa: E402


def one(fault: str, freeze: float, burst: int, heartbeats: int) -> FailoverResult:
    started: list[ServiceProcess] = []
    with (
        tempfile.TemporaryDirectory(prefix="deadlinewatch-failover-") as folder,
        fresh_schema("bench") as url,
    ):
        try:
            return run_failover(
                Path(folder),
                url,
                started,
                fault=fault,
                burst=burst,
                heartbeats=heartbeats,
                freeze_seconds=freeze,
                progress=lambda line: print(f"  .. {line}", flush=True),
            )
        finally:
            for service in started:
                if service.alive():
                    service.kill()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1, help="runs per fault (default 1)")
    parser.add_argument("--only", choices=("kill", "stop", "cut"), help="one fault only")
    parser.add_argument(
        "--freeze", type=float, default=30.0, help="seconds the leader stays stopped / cut off"
    )
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--heartbeats", type=int, default=40, help="one commitment due each second after")
    args = parser.parse_args()
    if not os.environ.get(POSTGRES_ENV):
        print(f"skipped: {POSTGRES_ENV} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
        return 0
    results: list[FailoverResult] = []
    for fault in [args.only] if args.only else ["kill", "stop", "cut"]:
        for run in range(args.runs):
            print(f"{fault}, run {run + 1}/{args.runs}", flush=True)
            result = one(fault, args.freeze, args.burst, args.heartbeats)
            print("\n".join(result.lines()), flush=True)
            results.append(result)
    print(
        "\n| fault | leads after | plans after | worst lateness after the fault | lost | duplicates | held |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.fault} | {r.leader_gap:.2f} s | {r.plan_gap:.2f} s"
            f" | {r.worst_heartbeat_lateness or 0:.2f} s | {r.lost} | {r.duplicates} | {r.in_flight} |"
        )
    failed = [r for r in results if r.lost or r.duplicates_not_in_flight]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
