"""APScheduler wakes the service; it holds no decisions. One date job at the next due instant
(replaced whenever the plan changes), a slow safety tick, and one interval job per source."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from deadlinewatch.clock import offset, utc_now

PLAN_JOB = "plan"
SAFETY_JOB = "safety-tick"
_FAR_FUTURE_GUARD_SECONDS = 366 * 86400


class Wakeups:
    """The scheduler. :meth:`start` must be called inside the running event loop."""

    def __init__(self, plan: Callable[[], Awaitable[None]], safety_seconds: float = 60.0) -> None:
        self._plan = plan
        self._safety_seconds = safety_seconds
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        # For /metrics: the pending timed wake-up, and how late the last one ran (seconds).
        self.next_wakeup: datetime | None = None
        self.last_lag: float | None = None

    def start(self) -> None:
        self._scheduler.add_job(
            self._plan,
            "interval",
            seconds=self._safety_seconds,
            id=SAFETY_JOB,
            replace_existing=True,
            max_instances=4,
        )
        self._scheduler.start()

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def wake_at(self, instant: datetime | None, now: datetime) -> None:
        """Run the planner at ``instant`` (one job, replaced); None or far away = the safety tick."""
        if instant is None or (instant - now).total_seconds() > _FAR_FUTURE_GUARD_SECONDS:
            if self._scheduler.get_job(PLAN_JOB) is not None:
                self._scheduler.remove_job(PLAN_JOB)
            self.next_wakeup = None
            return
        run_date = max(instant, now)
        self.next_wakeup = run_date
        # Several instances may be pending: the planner serialises itself, and a wake-up must never
        # be skipped because the previous tick is still running.
        self._scheduler.add_job(
            self._timed_plan,
            "date",
            args=[run_date],
            run_date=run_date - offset(),  # APScheduler reads the system clock
            id=PLAN_JOB,
            replace_existing=True,
            max_instances=4,
        )

    async def _timed_plan(self, scheduled: datetime) -> None:
        self.last_lag = max((utc_now() - scheduled).total_seconds(), 0.0)
        if self.next_wakeup == scheduled:
            self.next_wakeup = None
        await self._plan()

    def every(
        self, job_id: str, func: Callable[[], Awaitable[None]], seconds: float, jitter: float = 0.0
    ) -> None:
        """An interval job that never overlaps itself (a source poll)."""
        self._scheduler.add_job(
            func,
            "interval",
            seconds=seconds,
            jitter=max(0, int(jitter)) or None,
            id=job_id,
            replace_existing=True,
            next_run_time=utc_now() - offset(),
        )

    def remove_jobs(self, prefix: str, keep: set[str]) -> None:
        for job in self._scheduler.get_jobs():
            if job.id.startswith(prefix) and job.id not in keep:
                job.remove()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
