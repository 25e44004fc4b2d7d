"""The engine as ``run`` drives it: decide from the config and the database, and write every
decision to the ledger before anything is sent (the durable outbox).

A watermark (``planned_until``) in the database says up to which instant decisions are recorded;
the next tick decides ``(watermark, now]``. The first tick of a process is a catch-up (SPEC §5);
re-deciding a range is harmless because ledger keys are unique.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from deadlinewatch.domain.events import DeadlineChanged, EventData
from deadlinewatch.domain.localtime import format_utc, parse_utc
from deadlinewatch.domain.model import OPERATIONAL_EVENTS, EventKind, Status
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.domain.planning import Decisions, Planner
from deadlinewatch.domain.watchlist import Watchlist
from deadlinewatch.services.context import notice_brief
from deadlinewatch.services.situation import (
    SEEN_HISTORY_KEY,
    Freshness,
    all_fingerprints,
    situation_from_store,
    stamp_new_history,
)
from deadlinewatch.storage import NewNotification, NotificationState, Store, new_notifications
from deadlinewatch.storage.payloads import dump_brief

WATERMARK_KEY = "planned_until"
DUES_KEY = "config_dues"
SEEN_CHANGES_KEY = "status_changes_seen_id"
log = logging.getLogger("deadlinewatch.planning")
# A tick this much later than the wake-up it asked for is a return from downtime (catch-up).
CATCH_UP_AFTER = timedelta(minutes=5)
# A watermark this far ahead of the clock means the clock went back.
CLOCK_BACK_TOLERANCE = timedelta(seconds=1)


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
        self._expected: datetime | None = None  # the wake-up the last tick asked for
        self.decided = 0
        # Channels without credentials: their rows are not written at all (``run`` lists them once
        # at start); set by the service whenever it builds its channels.
        self.skip_channels: frozenset[str] = frozenset()
        # Called (from the planning thread) after each chunk of decisions is written.
        self.on_recorded: Callable[[], None] = lambda: None

    # --- inputs ---------------------------------------------------------------------------------

    def set_watchlist(self, watchlist: Watchlist, *, leader: bool = True) -> int:
        """Install a (new) config. Returns how many ``deadline_changed`` notices a changed ``due``
        raised (on a reload, or on a restart with a config edited while the service was down).

        Only the leader announces: it compares with the dues it recorded last time (in the
        database, so a new leader announces what its predecessor did not) and records what it saw.
        A follower only installs the config, for its release-time checks."""
        now = self.clock()
        seen_list = self.store.get_state(SEEN_HISTORY_KEY)
        seen = set(seen_list) if isinstance(seen_list, list) else None
        stamped = stamp_new_history(watchlist, seen, now)
        stored = self.store.get_state(DUES_KEY)
        previous_dues = dict(stored) if isinstance(stored, dict) else None
        self._watchlist = stamped
        self._planner = None
        planner = self.planner()
        if not leader:
            return 0
        self.store.set_state(SEEN_HISTORY_KEY, all_fingerprints(watchlist), now)
        dues = _dues(planner, now)
        self.store.set_state(DUES_KEY, dues, now)
        if previous_dues is None:
            return 0
        notices: list[Notice] = []
        for cid, (spec, due) in dues.items():
            previous = previous_dues.get(cid)
            # Announce a due that the config changed: its written form changed and so did the
            # instant. (A relative deadline that became known is announced by the planner itself.)
            if not isinstance(previous, list) or len(previous) != 2 or previous[0] == spec:
                continue
            if previous[1] == due:
                continue
            notices.extend(planner.fan_out(cid, now, DeadlineChanged(before=previous[1], after=due)))
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
        if watermark is not None and watermark - now > CLOCK_BACK_TOLERANCE:
            # The wall clock went back (an NTP step, a restored VM; or the last leader's clock was
            # ahead). What was decided up to the watermark stays decided (ledger keys are unique,
            # so deciding an instant again sends nothing twice); from now on, decide from `now`,
            # so a change recorded meanwhile is not held until the clock passes the old watermark.
            log.warning(
                "the clock (%s) is behind the planning watermark (%s): it went back; planning goes on"
                " from now, nothing already decided is sent again",
                format_utc(now),
                format_utc(watermark),
            )
            self.store.set_state(WATERMARK_KEY, format_utc(now), now)
            self._planner = None  # built with the old watermark as the instant changes are noticed
            self._expected = self.planner().next_after(now)
            return self._expected
        if watermark is not None and watermark >= now:
            self._expected = planner.next_after(watermark)
            return self._expected
        # Late by far for the wake-up the last tick asked for: the process or its database was
        # stalled, or the wall clock jumped forward (a suspended laptop, an NTP step). What fell
        # due meanwhile follows the catch-up rules (SPEC §5), as after downtime.
        late = self._expected is not None and now - self._expected > CATCH_UP_AFTER
        if late:
            log.warning(
                "planning resumes at %s, %s after its wake-up was due (a clock jump or a stall):"
                " catching up (the latest occurrence of each kind; digests skipped)",
                format_utc(now),
                now - self._expected if self._expected is not None else "",
            )
        if not self._started or late:
            decisions = planner.plan(watermark, now, catch_up=True)
            self._started = True
        else:
            decisions = planner.plan(watermark, now)
        try:
            self._record(planner, decisions)
            self.store.set_state(WATERMARK_KEY, format_utc(now), now)
        except BaseException:
            # Not written (a full disk, a lost connection): the planner's schedule has already moved
            # past these decisions, so rebuild it; the next tick decides the range again.
            self._planner = None
            raise
        if self.store.get_state(SEEN_CHANGES_KEY) != self._highest_change:
            self.store.set_state(SEEN_CHANGES_KEY, self._highest_change, now)
        self._expected = planner.next_after(now)
        return self._expected

    def emit(self, subject: str, occurred: datetime, data: EventData, detail: str | None) -> int:
        """Record an unscheduled event (evidence, source and channel health, config errors) for the
        subscriptions that receive it; returns how many notices it made."""
        planner = self.planner()
        notices = planner.fan_out(subject, occurred, data)
        self._record(planner, Decisions(tuple(notices)), detail)
        return len(notices)

    def view(self) -> Planner:
        """The last planner built, for questions asked on the event loop (the dispatcher's release
        check, source polls, the web app): a rebuild may be under way in the planning thread, and
        building one there would stall every delivery. Raises ``RuntimeError`` before the first
        planner is built (the service builds it on its planning worker before anything reads)."""
        current = self._planner or self._last_planner
        if current is None:
            raise RuntimeError("no planner built yet")
        return current

    def status_at(self, commitment_id: str, at: datetime) -> Status:
        return self.view().status_at(commitment_id, at)

    def still_relevant(self, notice: Notice, at: datetime) -> bool:
        return self.view().still_relevant(notice, at)

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
        dispatcher starts on the first rows of a burst while the rest are written. The first chunk
        is small (the first deliveries of a burst leave at once); later ones are larger (fewer
        commits while a start-up catch-up of hundreds of thousands of rows is written)."""
        # A commitment's brief at an instant, made and dumped once for every notice about it then.
        briefs: dict[tuple[str, datetime], dict[str, Any] | None] = {}

        def brief(notice: Notice) -> dict[str, Any] | None:
            if notice.event is EventKind.DIGEST or notice.event in OPERATIONAL_EVENTS:
                return dump_brief(notice_brief(planner, notice, detail))
            cache_key = (notice.subject, notice.send_at)
            if cache_key not in briefs:
                if len(briefs) >= _BRIEFS_KEPT:  # notices come by (send_at, subject): old ones are done
                    briefs.clear()
                briefs[cache_key] = dump_brief(notice_brief(planner, notice, detail))
            return briefs[cache_key]

        def rows_of(chunk: Sequence[Notice]) -> list[NewNotification]:
            rows: list[NewNotification] = []
            for notice in chunk:
                rows.extend(self._wanted(new_notifications(notice, dumped_brief=brief(notice))))
            return rows

        notices = decisions.notices
        start = 0
        size = _FIRST_CHUNK
        while start < len(notices):
            self.decided += self.store.insert_notifications(rows_of(notices[start : start + size]))
            self.on_recorded()
            start += size
            size = _CHUNK
        superseded: list[NewNotification] = []
        for notice in decisions.superseded:
            superseded.extend(
                self._wanted(
                    new_notifications(
                        notice,
                        state=NotificationState.SUPERSEDED,
                        reason="caught up: a later occurrence was sent",
                    )
                )
            )
        if superseded:
            self.store.insert_notifications(superseded)

    def _wanted(self, rows: list[NewNotification]) -> list[NewNotification]:
        skip = self.skip_channels
        return [row for row in rows if row.channel not in skip] if skip else rows


_FIRST_CHUNK = 500
_CHUNK = 5000
_BRIEFS_KEPT = 1000


def _dues(planner: Planner, now: datetime) -> dict[str, list[str | None]]:
    """Per commitment: how its due is written (form, zone, overdue_at) and the due in force."""
    watchlist = planner.watchlist
    result: dict[str, list[str | None]] = {}
    # Commitments written alike share their parsed due (the loader parses each text once): write
    # each (due, zone, overdue_at) out once. The dues stay referenced, so their ids are stable here.
    specs: dict[tuple[int, str, bool], str] = {}
    for cid, deadline in planner.deadlines.items():
        commitment = watchlist.commitments[cid]
        zone = watchlist.zone_of(commitment)
        key = (id(commitment.due), zone, commitment.overdue_at_opens)
        spec = specs.get(key)
        if spec is None:
            spec = specs[key] = repr((commitment.due, zone, commitment.overdue_at_opens))
        window = deadline.window_at(now)
        result[cid] = [spec, format_utc(window.due) if window else None]
    return result
