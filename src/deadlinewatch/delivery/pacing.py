"""Per-destination pacing: at least ``interval`` seconds between two sends to one destination.

Slack accepts about one message per second per channel; pacing here keeps a burst from turning into
a wall of 429s. Time is injected (``clock``: monotonic seconds, ``sleep``: an async sleep), so tests
drive it without the wall clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    """Hands out send slots ``interval`` seconds apart per key, first come first served.

    ``wait_turn(key)`` reserves the next free slot for ``key`` before it awaits anything, so
    concurrent callers on one event loop queue up in call order without a lock. ``interval`` 0
    turns pacing off.
    """

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if interval < 0:
            raise ValueError("pace interval must not be negative")
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next_free: dict[str, float] = {}

    def reserve(self, key: str = "") -> float:
        """Reserve ``key``'s next slot; the seconds to wait until it (0 when free now)."""
        if self.interval == 0:
            return 0.0
        now = self._clock()
        slot = max(now, self._next_free.get(key, now))
        self._next_free[key] = slot + self.interval
        return slot - now

    async def wait_turn(self, key: str = "") -> None:
        """Wait until ``key`` may send again (returns at once when pacing is off or the slot is free)."""
        delay = self.reserve(key)
        if delay > 0:
            await self._sleep(delay)
