"""Loading and validating a large config (issue 10): seconds, peak RSS, retained memory.

    .venv/bin/python bench/bench_config.py [--commitments 100000] [--baseline-src /work/main/src]

A synthetic config (``synthetic.py``) is written to a temporary folder and loaded by
``load_config`` in a fresh process per measurement, with the collector tuned as the CLI tunes it.
Each process prints wall and CPU seconds and how much its peak RSS (VmHWM) grew during the load; a
second process per variant traces allocations (tracemalloc) for the peak and for what the loaded
config keeps (the traced run is slower; its times are not reported). With ``--baseline-src`` the
same is measured for the code in that ``src`` folder (e.g. the main branch), in the same run, and
the ratios are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"

_CHILD = r"""
import gc, json, os, resource, sys, time, tracemalloc
from pathlib import Path
try:
    from deadlinewatch.gcpause import tune_for_bulk_work
    tune_for_bulk_work()  # as `deadlinewatch` main does
except ImportError:
    pass
from deadlinewatch.config.loader import load_config

def hwm_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

path, traced = Path(sys.argv[1]), sys.argv[2] == "traced"
gc.collect()
if traced:
    tracemalloc.start()
before_hwm = hwm_mib()
wall, cpu = time.perf_counter(), time.process_time()
result = load_config(path, os.environ)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
assert result.config is not None, [str(e) for e in result.errors[:5]]
out = {"commitments": len(result.config.watchlist.commitments)}
if traced:
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    out |= {"retained_mib": retained / 2**20, "traced_peak_mib": peak / 2**20}
else:
    out |= {"wall_s": wall, "cpu_s": cpu, "hwm_before_mib": before_hwm}
    out |= {"hwm_growth_mib": hwm_mib() - before_hwm}
print(json.dumps(out))
"""


def measure(src: Path, config: Path, traced: bool) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(config), "traced" if traced else "plain"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(label: str, src: Path, config: Path) -> dict[str, float]:
    numbers = measure(src, config, traced=False) | measure(src, config, traced=True)
    print(
        f"{label}: load + validate {numbers['wall_s']:.2f} s wall, {numbers['cpu_s']:.2f} s CPU; "
        f"peak RSS +{numbers['hwm_growth_mib']:.0f} MiB during the load "
        f"(process before: {numbers['hwm_before_mib']:.0f} MiB); "
        f"traced peak {numbers['traced_peak_mib']:.0f} MiB, retained by the loaded config "
        f"{numbers['retained_mib']:.1f} MiB ({numbers['commitments']:,.0f} commitments)"
    )
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commitments", type=int, default=100_000)
    parser.add_argument("--baseline-src", type=Path, help="a src folder to compare with (e.g. main's)")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from synthetic import write_config

    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder) / "config", args.commitments)
        print(f"config: {args.commitments:,} commitments, {config.stat().st_size / 2**20:.1f} MiB of YAML")
        after = report("this tree", SRC, config)
        if args.baseline_src is not None:
            before = report(f"baseline ({args.baseline_src})", args.baseline_src, config)
            print(
                f"ratios this tree / baseline: wall {after['wall_s'] / before['wall_s']:.2f}, "
                f"CPU {after['cpu_s'] / before['cpu_s']:.2f}, "
                f"peak RSS growth {after['hwm_growth_mib'] / before['hwm_growth_mib']:.2f}, "
                f"retained {after['retained_mib'] / before['retained_mib']:.2f}"
            )


if __name__ == "__main__":
    main()
