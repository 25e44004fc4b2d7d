"""The only place that reads the system clock. Everything else takes ``now`` as an argument.

**Test-only hook:** ``DEADLINEWATCH_CLOCK_FILE`` names a file holding an offset in seconds (a
float, e.g. ``3600`` or ``-3600``) added to the system clock, so a test can make the wall clock of a
running ``deadlinewatch run`` jump without touching the machine's time. The file is re-read when
its modification time or size changes (looked at no more than every 50 ms); a missing or unreadable
file keeps the last offset read (zero at first). It is read once at import: when the variable is
unset, :func:`utc_now` is the plain system clock and :func:`offset` is zero. Never set it in
production.

:class:`JumpWatch` notices a jump of the wall clock (an NTP step, a resumed laptop or VM, or the
hook above) by comparing it with the monotonic clock.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

CLOCK_FILE_ENV = "DEADLINEWATCH_CLOCK_FILE"
_RECHECK_SECONDS = 0.05


class _OffsetFile:
    """The offset held in a file, re-read when the file changes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = timedelta()
        self._signature: tuple[int, int] | None = None
        self._checked = float("-inf")

    def current(self) -> timedelta:
        tick = time.monotonic()
        if tick - self._checked < _RECHECK_SECONDS:
            return self.offset
        self._checked = tick
        try:
            status = os.stat(self.path)
            signature = (status.st_mtime_ns, status.st_size)
            if signature != self._signature:
                with open(self.path, encoding="utf-8") as handle:
                    self.offset = timedelta(seconds=float(handle.read().strip() or "0"))
                self._signature = signature
        except (OSError, ValueError):
            pass  # keep the last offset read: a half-written file must not move the clock
        return self.offset


_file = _OffsetFile(os.environ[CLOCK_FILE_ENV]) if os.environ.get(CLOCK_FILE_ENV) else None


def utc_now() -> datetime:
    if _file is None:
        return datetime.now(UTC)
    return datetime.now(UTC) + _file.current()


def offset() -> timedelta:
    """How far :func:`utc_now` is from the system clock (zero unless the test hook is set).
    APScheduler reads the system clock itself: instants handed to it are shifted by this."""
    return _file.current() if _file is not None else timedelta()


class JumpWatch:
    """Call :meth:`check` now and then (every few seconds): it returns how far the wall clock
    jumped since the previous call, beyond what the monotonic clock elapsed, when that is more
    than ``threshold_seconds``; else ``None``."""

    def __init__(self, threshold_seconds: float = 2.0) -> None:
        self.threshold = threshold_seconds
        self._base = self._drift()

    @staticmethod
    def _drift() -> float:
        return utc_now().timestamp() - time.monotonic()

    def check(self) -> timedelta | None:
        drift = self._drift()
        jump = drift - self._base
        self._base = drift
        if abs(jump) <= self.threshold:
            return None
        return timedelta(seconds=jump)
