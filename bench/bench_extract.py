"""Benchmark of ``deadlinewatch extract`` (issue 11): read 1 MB of statements and print the time,
against a baseline measured in the same run on the same text: one plain regular-expression scan
(every sentence, ``[^.!?]+[.!?]``), the least any reader must pay to look at every sentence.

    .venv/bin/python bench/bench_extract.py [--megabytes 1] [--repeat 3]

The text is the seed article and a paragraph of treaty language full of deadlines (dates, times
with zones, periods counted from signing or from another commitment, refusals), repeated to the
size asked. Prints the best of ``--repeat`` runs of each (CPU time of this process, which a
loaded machine disturbs less than wall time, and wall time), the ratio, and what was found.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from deadlinewatch.extract.document import read_document
from deadlinewatch.extract.model import Context

ROOT = Path(__file__).resolve().parent.parent
TREATY = """
Article 3. The parties agreed that the withdrawal of all heavy weapons by both sides shall be completed
within fourteen (14) days. The release and exchange of all hostages shall be ensured no later than the
fifth day after the withdrawal. The cessation of hostilities will commence at 00:00 (Damascus time) on
February 27, 2016. The Joint Commission shall report within 30 days of the signing of this Agreement and
a draft constitution is to be agreed by the end of 2016. The parties shall hold elections by mid-2017.
The monitors, deployed by U.S. and U.N. teams, shall continue to verify the ceasefire at all times, and
the parties pledged to open humanitarian corridors as soon as possible. Reports said the talks were long.
"""


def build_text(megabytes: float) -> str:
    seed = (ROOT / "tests" / "fixtures" / "kerry-lavrov-2016.txt").read_text(encoding="utf-8")
    unit = seed + "\n\n" + TREATY + "\n\n"
    target = int(megabytes * 1_000_000)
    return (unit * (target // len(unit.encode("utf-8")) + 1))[: target * 2][:target]


def best_of(repeat: int, work: Callable[[], object]) -> tuple[float, float]:
    """The best CPU time (this process) and the best wall time of ``repeat`` runs."""
    cpu, wall = [], []
    for _ in range(repeat):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        work()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    return min(cpu), min(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=1.0, help="size of the text (default 1 MB)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is printed (default 3)")
    args = parser.parse_args()
    text = build_text(args.megabytes)
    size = len(text.encode("utf-8"))
    ctx = Context(date(2016, 3, 24), "Asia/Damascus")
    sentence = re.compile(r"[^.!?]+[.!?]")

    baseline_cpu, baseline_wall = best_of(args.repeat, lambda: sum(1 for _ in sentence.finditer(text)))
    extraction = read_document(text, ctx, "bench")
    extract_cpu, extract_wall = best_of(args.repeat, lambda: read_document(text, ctx, "bench"))
    warnings = sum(1 for f in extraction.findings if f.warning)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    sentences = sum(1 for _ in sentence.finditer(text))
    print(f"text: {size:,} bytes, {sentences:,} sentences; load average {load:.1f}")
    print(
        f"baseline: one regex scan of every sentence  cpu {baseline_cpu:7.3f} s  wall {baseline_wall:7.3f} s"
    )
    print(
        f"extract:  read_document                      cpu {extract_cpu:7.3f} s  wall {extract_wall:7.3f} s"
    )
    print(f"extract / baseline (cpu): {extract_cpu / baseline_cpu:.0f}")
    print(f"found: {len(extraction.findings):,} commitments ({warnings:,} left open with a warning)")
    print(f"1 MB under one second (cpu): {'yes' if extract_cpu / (size / 1e6) < 1.0 else 'NO'}")


if __name__ == "__main__":
    main()
