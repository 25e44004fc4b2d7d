"""Pausing the cyclic garbage collector around bulk work.

Loading a config and building a plan allocate millions of small, acyclic objects; the collector's
repeated full scans of them can double the time taken (measured in bench/bench_engine.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
