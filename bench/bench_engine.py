"""Engine benchmarks (issue 3): planning 100,000 commitments x 3 subscriptions, and replaying one
year for 10,000 commitments. Baseline, measured in the same run: loading and validating the same
config (what every command pays anyway); results are printed as seconds and as ratios to it.

    .venv/bin/python bench/bench_engine.py [--plan-commitments 100000] [--replay-commitments 10000]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import write_config

from deadlinewatch.config.loader import load_config
from deadlinewatch.domain.planning import Planner, Situation
from deadlinewatch.domain.watchlist import Watchlist
from deadlinewatch.gcpause import tune_for_bulk_work
from deadlinewatch.services.replay import replay


def timed(label: str, func, *args, **kwargs):  # type: ignore[no-untyped-def]
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    result = func(*args, **kwargs)
    elapsed = time.perf_counter() - start
    print(f"  {label:<44} {elapsed:8.2f} s (cpu {time.process_time() - cpu:.2f} s)", flush=True)
    return result, elapsed


def bench_planning(count: int, folder: Path, now: datetime) -> None:
    print(f"planning: {count:,} commitments x 3 subscriptions")
    path = write_config(folder / "plan", count)
    result, load_s = timed("baseline: load + validate config", load_config, path, os.environ)
    assert result.config is not None, [str(e) for e in result.errors[:3]]
    watchlist = result.config.watchlist
    rss_before = _rss_mib()
    planner, build_s = timed("build planner (windows, schedules)", Planner, Situation(watchlist))
    decisions, start_s = timed(f"first-start plan at {now:%Y-%m-%d} (catch-up)", planner.plan, None, now)
    following, next_s = timed("next instant after it", planner.next_after, now)
    assert following is not None
    tick, tick_s = timed("next tick (due notifications only)", planner.plan, now, following)
    total = build_s + start_s + next_s
    print(f"  catch-up notices: {len(decisions.notices):,}; next tick: {len(tick.notices):,} notices")
    print(f"  max RSS: {_rss_mib():.0f} MiB (before the planner: {rss_before:.0f} MiB)")
    print(f"  ratio planning / baseline load: {total / load_s:.2f}")
    print(f"  ratio next tick / first plan:   {tick_s / max(start_s, 1e-9):.4f}")
    del planner, decisions, following, tick
    planner_memory(watchlist, now)


def planner_memory(watchlist: Watchlist, now: datetime) -> None:
    """What the planner keeps (tracemalloc, a second run: tracing slows it): after building it, and
    after the first-start plan once its decisions are dropped; and the peak while planning."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    planner = Planner(Situation(watchlist))
    built = tracemalloc.get_traced_memory()[0] - base
    decisions = planner.plan(None, now)
    notices = len(decisions.notices)
    del decisions
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mib = 2**20
    kept = (current - base) / mib
    print(
        f"  planner retained (tracemalloc): built {built / mib:.0f} MiB, after the first plan {kept:.0f} MiB"
    )
    print(f"  tracemalloc peak while planning: {(peak - base) / mib:.0f} MiB (with its {notices:,} notices)")
    del planner


def bench_replay(count: int, folder: Path) -> None:
    print(f"replay: one year (2026) for {count:,} commitments x 3 subscriptions")
    path = write_config(folder / "replay", count)
    result, load_s = timed("baseline: load + validate config", load_config, path, os.environ)
    assert result.config is not None
    situation = Situation(result.config.watchlist)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2027, 1, 1, tzinfo=UTC)
    lines, replay_s = timed(
        "replay 2026 (in memory, nothing printed)", lambda: sum(1 for _ in replay(situation, start, end))
    )
    print(f"  notifications: {lines:,} ({lines / replay_s:,.0f}/s); max RSS: {_rss_mib():.0f} MiB")
    print(f"  ratio replay / baseline load: {replay_s / load_s:.2f}")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plan-commitments", type=int, default=100_000)
    parser.add_argument("--replay-commitments", type=int, default=10_000)
    parser.add_argument("--only", choices=["planning", "replay"])
    parser.add_argument(
        "--plan-start",
        type=datetime.fromisoformat,
        default=datetime(2026, 6, 15, 12, 0, tzinfo=UTC),
        help="the first start's instant (2026-12-02T00:00+00:00: nearly everything overdue)",
    )
    args = parser.parse_args()
    tune_for_bulk_work()  # as `deadlinewatch` itself does at start
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "planning":
            bench_replay(args.replay_commitments, Path(tmp))
        if args.only != "replay":
            bench_planning(args.plan_commitments, Path(tmp), args.plan_start)


if __name__ == "__main__":
    main()
