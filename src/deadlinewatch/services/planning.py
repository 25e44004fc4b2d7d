"""The engine as ``run`` drives it: decide from the config and the database, and write every
decision to the ledger before anything is sent (the durable outbox).

A watermark (``planned_until``) in the database says up to which instant decisions are recorded;
the next tick decides ``(watermark, now]``. The first tick of a process is a catch-up (SPEC §5);
re-deciding a range is harmless because ledger keys are unique.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from deadlinewatch.domain.localtime import format_utc, parse_utc
from deadlinewatch.domain.model import OPERATIONAL_EVENTS, EventKind
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.domain.planning import Decisions, Planner
from deadlinewatch.domain.watchlist import Watchlist
from deadlinewatch.services.context import notice_context
from deadlinewatch.services.situation import (
    SEEN_HISTORY_KEY,
    Freshness,
    all_fingerprints,
    situation_from_store,
    stamp_new_history,
)
from deadlinewatch.storage import NewNotification, NotificationState, Store, new_notifications

WATERMARK_KEY = "planned_until"
DUES_KEY = "config_dues"
SEEN_CHANGES_KEY = "status_changes_seen_id"
log = logging.getLogger("deadlinewatch.planning")


class PlanningService:
    """Owns the current :class:`Planner`; rebuilt whenever the config or the database changes."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self._watchlist: Watchlist | None = None
        self._planner: Planner | None = None
        self._last_planner: Planner | None = None
        self._started = False
        self._highest_change = 0
        self._marker: tuple[int, int, int] | None = None
        self.decided = 0
        # Called (from the planning thread) after each chunk of decisions is written.
        self.on_recorded: Callable[[], None] = lambda: None

    # --- inputs ---------------------------------------------------------------------------------

    def set_watchlist(self, watchlist: Watchlist) -> int:
        """Install a (new) config. Returns how many ``deadline_changed`` notices a changed ``due``
        raised (on a reload, or on a restart with a config edited while the service was down)."""
        now = self.clock()
        seen_list = self.store.get_state(SEEN_HISTORY_KEY)
        seen = set(seen_list) if isinstance(seen_list, list) else None
        stamped = stamp_new_history(watchlist, seen, now)
        previous_dues = self._dues_before()
        self._watchlist = stamped
        self._planner = None
        planner = self.planner()
        self.store.set_state(SEEN_HISTORY_KEY, all_fingerprints(watchlist), now)
        dues = _dues(planner, now)
        self.store.set_state(DUES_KEY, dues, now)
        if previous_dues is None:
            return 0
        watermark = self.watermark()
        notices: list[Notice] = []
        for cid, due in dues.items():
            before = previous_dues.get(cid, due)
            if cid not in previous_dues or before == due or self._planner_reports(planner, cid, watermark):
                continue
            fields = {"before": before, "after": due}
            notices.extend(planner.fan_out(EventKind.DEADLINE_CHANGED, cid, now, fields))
        self._record(planner, Decisions(tuple(notices)))
        return len(notices)

    def changed(self) -> None:
        """The database changed (a status, an ack, a snooze): decide again from it."""
        self._planner = None

    def planner(self) -> Planner:
        if self._planner is None:
            if self._watchlist is None:
                raise RuntimeError("no config installed")
            self._marker = self.store.change_marker()  # read first: a later change shows as news
            watermark = self.watermark()
            fresh_at = self.clock()
            if watermark is not None and fresh_at <= watermark:
                fresh_at = watermark + timedelta(microseconds=1)
            seen = self.store.get_state(SEEN_CHANGES_KEY)
            freshness = Freshness(seen if isinstance(seen, int) else None, fresh_at)
            situation, self._highest_change = situation_from_store(self._watchlist, self.store, freshness)
            self._planner = self._last_planner = Planner(situation)
        return self._planner

    def watermark(self) -> datetime | None:
        value = self.store.get_state(WATERMARK_KEY)
        return parse_utc(value) if isinstance(value, str) else None

    # --- decisions ------------------------------------------------------------------------------

    def tick(self) -> datetime | None:
        """Record every decision up to now; return the next instant anything becomes due."""
        self.refresh()
        planner = self.planner()  # before reading the clock: fresh changes take effect by `now`
        now = self.clock()
        watermark = self.watermark()
        if watermark is not None and watermark >= now:
            return planner.next_after(watermark)
        if not self._started:
            decisions = planner.plan(watermark, now, catch_up=True)
            self._started = True
        else:
            decisions = planner.plan(watermark, now)
        self._record(planner, decisions)
        self.store.set_state(WATERMARK_KEY, format_utc(now), now)
        if self.store.get_state(SEEN_CHANGES_KEY) != self._highest_change:
            self.store.set_state(SEEN_CHANGES_KEY, self._highest_change, now)
        return planner.next_after(now)

    def emit(
        self, kind: EventKind, subject: str, occurred: datetime, fields: Mapping[str, Any], detail: str | None
    ) -> int:
        """Record an unscheduled event (evidence, source and channel health, config errors) for the
        subscriptions that receive it; returns how many notices it made."""
        planner = self.planner()
        notices = planner.fan_out(kind, subject, occurred, fields)
        self._record(planner, Decisions(tuple(notices)), detail)
        return len(notices)

    def still_relevant(self, notice: Notice, at: datetime) -> bool:
        """Release-time check, asked by the dispatcher on the event loop: it uses the last planner
        built rather than building one there (a rebuild is under way in the planning thread)."""
        planner = self._planner or self._last_planner
        return (planner or self.planner()).still_relevant(notice, at)

    def refresh(self) -> bool:
        """Whether another process recorded a status change, ack or snooze since the planner was
        built (then it is rebuilt on next use). One cheap query."""
        marker = self.store.change_marker()
        if marker == self._marker:
            return False
        self._marker = marker
        self._planner = None
        return True

    def _record(self, planner: Planner, decisions: Decisions, detail: str | None = None) -> None:
        """Write the decisions in chunks, oldest first, calling ``on_recorded`` after each so the
        dispatcher starts on the first rows of a burst while the rest are written."""
        contexts: dict[tuple[str, datetime], dict[str, Any]] = {}

        def context(notice: Notice) -> dict[str, Any]:
            if notice.event is EventKind.DIGEST or notice.event in OPERATIONAL_EVENTS:
                return notice_context(planner, notice, detail)
            cache_key = (notice.subject, notice.send_at)
            if cache_key not in contexts:
                contexts[cache_key] = notice_context(planner, notice, detail)
            return contexts[cache_key]

        for start in range(0, len(decisions.notices), _CHUNK):
            rows: list[NewNotification] = []
            for notice in decisions.notices[start : start + _CHUNK]:
                rows.extend(new_notifications(notice, context(notice)))
            self.decided += self.store.insert_notifications(rows)
            self.on_recorded()
        superseded: list[NewNotification] = []
        for notice in decisions.superseded:
            superseded.extend(
                new_notifications(
                    notice,
                    state=NotificationState.SUPERSEDED,
                    reason="caught up: a later occurrence was sent",
                )
            )
        if superseded:
            self.store.insert_notifications(superseded)

    def _dues_before(self) -> dict[str, str | None] | None:
        if self._planner is not None or self._watchlist is not None:
            return _dues(self.planner(), self.clock())
        stored = self.store.get_state(DUES_KEY)
        return dict(stored) if isinstance(stored, dict) else None

    @staticmethod
    def _planner_reports(planner: Planner, cid: str, watermark: datetime | None) -> bool:
        """Whether the planner itself reports this deadline's latest change (a relative deadline
        that became known after the watermark)."""
        versions = planner.deadlines[cid].versions
        known = versions[-1].known_from if versions else None
        return known is not None and (watermark is None or known > watermark)


_CHUNK = 500


def _dues(planner: Planner, now: datetime) -> dict[str, str | None]:
    result: dict[str, str | None] = {}
    for cid, deadline in planner.deadlines.items():
        window = deadline.window_at(now)
        result[cid] = format_utc(window.due) if window else None
    return result
