"""The planning worker: the one thread that owns the :class:`PlanningService` of ``run`` — its
planner and every database write of planning (ledger inserts, engine state, source state, and the
analysts' writes through the HTTP API and Slack). Work reaches it as plain callables submitted
from the event loop and awaited there; running them one at a time on one thread is the whole
concurrency rule (no locks inside). Callbacks from this thread back to the event loop go through
``loop.call_soon_threadsafe`` only.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

_T = TypeVar("_T")
THREAD_NAME = "planning"


class PlanningWorker:
    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)

    async def run(self, step: Callable[[], _T]) -> _T:
        """Run ``step`` on the planning thread and return its result (or raise its exception)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, step)

    @staticmethod
    def on_worker() -> bool:
        """Whether the caller is the planning thread (for assertions at the seams)."""
        return threading.current_thread().name.startswith(THREAD_NAME)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
