"""The cyclic garbage collector, tuned once per process for bulk work.

Loading a config and building a plan allocate millions of small, acyclic objects; with the default
thresholds the collector's repeated scans of them can double the time taken (bench/bench_engine.py).
This used to be done by switching the collector off around each build, from whichever thread did
it; the switch is process-wide, so a thread turning it back on could undo another's pause. Now the
process sets larger thresholds once, at start, from the main thread, and nothing toggles it after.
"""

from __future__ import annotations

import gc

# Young-generation allocations between collections (default 700) and the older generations' ratios.
BULK_THRESHOLDS = (50_000, 20, 100)


def tune_for_bulk_work() -> None:
    """Call once, at process start (``deadlinewatch`` main)."""
    gc.set_threshold(*BULK_THRESHOLDS)
