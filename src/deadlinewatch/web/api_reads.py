"""``/api`` reads: pages of commitments and of the ledger, one commitment with its history.

Commitment states come from the read model (:mod:`deadlinewatch.web.readmodel`: no database).
Reads of the database go through :class:`~deadlinewatch.web.dbreads.DatabaseReads` on a store of
their own (``reader``, see ``reader_beside``) and outside the read gate: a hung database answers
503 within the read timeout and holds no server worker. Pages are the models of
:mod:`deadlinewatch.web.pages` (the served schema describes them).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.concurrency import run_in_threadpool

from deadlinewatch import actions
from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import Commitment, EventKind, Status
from deadlinewatch.domain.planning import Planner
from deadlinewatch.storage import (
    AckRecord,
    LedgerFilter,
    NotificationRecord,
    NotificationState,
    SnoozeRecord,
    StatusChangeRecord,
    Store,
)
from deadlinewatch.web.dbreads import DatabaseReads
from deadlinewatch.web.pages import (
    DETAIL,
    AckEntry,
    CommitmentDetail,
    CommitmentPage,
    HistoryEntry,
    NotificationItem,
    NotificationPage,
    SnoozeEntry,
    WindowOfDue,
)
from deadlinewatch.web.readgate import read_database
from deadlinewatch.web.readmodel import states_of
from deadlinewatch.web.responses import unprocessable
from deadlinewatch.web.runtime import Runtime

__all__ = ["DEFAULT_PAGE", "MAX_PAGE", "read_router"]

DEFAULT_PAGE = 100
MAX_PAGE = 1000
MAX_LEDGER_OFFSET = 10_000  # an offset costs the rows it skips: deeper pages go by cursor
COUNT_UP_TO = 10_000  # a page of the ledger counts matching rows up to this many
COMMITMENT_NOTIFICATIONS = 100  # a commitment's newest ledger rows shown with it


@dataclass(frozen=True)
class _Recorded:
    """What the database holds about one commitment beyond the config (read in one go)."""

    changes: list[StatusChangeRecord]
    acks: list[AckRecord]
    snoozes: list[SnoozeRecord]
    notifications: list[NotificationRecord]


def _recorded(store: Store, commitment_id: str) -> _Recorded:
    return _Recorded(
        store.status_changes(commitment_id),
        store.acks(commitment_id),
        store.snoozes(commitment_id),
        store.list_notifications(subject=commitment_id, limit=COMMITMENT_NOTIFICATIONS),
    )


def _json(page: CommitmentPage | NotificationPage) -> Response:
    return Response(page.model_dump_json(), media_type="application/json")


def read_router(runtime: Runtime, reads: DatabaseReads, reader: Store) -> APIRouter:
    """The read routes under ``/api`` (the writes are :func:`~deadlinewatch.web.api.api_router`)."""
    router = APIRouter(prefix="/api")

    def planner() -> Planner:
        current = runtime.planner()
        if current is None:
            raise HTTPException(503, detail="no config loaded yet")
        return current

    def commitment(planner: Planner, commitment_id: str) -> Commitment:
        found = planner.watchlist.commitments.get(commitment_id)
        if found is None:
            raise HTTPException(
                404, detail=f"unknown commitment id {commitment_id[:100]!r}: not in the config"
            )
        return found

    @router.get("/commitments", response_model=CommitmentPage, response_description="one page of commitments")
    def list_commitments(
        tag: Annotated[list[str] | None, Query(description="any of these tags")] = None,
        overdue: Annotated[
            bool | None, Query(description="only overdue (true) or not overdue (false)")
        ] = None,
        agreement: Annotated[str | None, Query(max_length=200)] = None,
        status: Annotated[Status | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="rows per page")] = DEFAULT_PAGE,
        offset: Annotated[int, Query(ge=0, le=10_000_000, description="matching rows to skip")] = 0,
        cursor: Annotated[
            str | None, Query(max_length=200, description="next_cursor of the previous page")
        ] = None,
    ) -> Response:
        """One page of commitments in config order, as of now: ``items``, ``total`` (rows matching
        the filters), ``limit``, ``offset`` and ``next_cursor`` (None on the last page)."""
        now = runtime.now()
        model = states_of(planner(), now)
        after = -1
        if cursor is not None:
            position = model.position_of(cursor)
            if position is None:
                raise unprocessable(
                    "cursor",
                    f"unknown commitment id {cursor[:100]!r} (no longer in the config?): "
                    "start again without a cursor",
                )
            after = position
        page = model.select(
            tags=tag or (),
            agreement=agreement,
            status=status.value if status is not None else None,
            overdue=overdue,
            after=after,
            offset=offset,
            limit=limit,
        )
        return _json(
            CommitmentPage.model_construct(
                items=[model.state(row, now) for row in page.rows],
                total=page.total,
                limit=limit,
                offset=offset,
                next_cursor=page.next_cursor,
            )
        )

    @router.get("/commitments/{commitment_id}", response_model=CommitmentDetail)
    async def get_commitment(commitment_id: str) -> Response:
        # The config first, on the loop (a dict lookup; a 404 costs no database read), then the
        # recorded rows, then the state and the JSON in one worker thread.
        current = planner()
        found = commitment(current, commitment_id)
        recorded = await read_database(reads, lambda: _recorded(reader, found.id))
        body = await run_in_threadpool(lambda: DETAIL.dump_json(_detail(current, found, recorded)))
        return Response(body, media_type="application/json")

    def _detail(current: Planner, found: Commitment, recorded: _Recorded) -> CommitmentDetail:
        now = runtime.now()
        model = states_of(current, now)
        row = model.row(found.id)
        assert row is not None  # the model holds every commitment of its planner
        state = model.state(row, now)
        watchlist = current.watchlist
        window = row.window
        in_force = None
        if window is not None:
            assert row.overdue_from is not None
            in_force = WindowOfDue(
                precision=window.precision.value,
                zone=window.zone,
                opens=format_utc(window.opens),
                closes=format_utc(window.closes),
                due=format_utc(window.due),
                overdue_from=format_utc(row.overdue_from),
            )
        changes = [*found.history, *(r.change for r in recorded.changes)]
        changes.sort(key=lambda c: c.at)
        agreement = watchlist.agreement_of(found)
        ack = actions.active_ack(current, found.id, now)
        snoozed = actions.active_snooze(current, found.id, now)
        return CommitmentDetail(
            **{f.name: getattr(state, f.name) for f in fields(state)},
            agreement_title=agreement.title if agreement else None,
            parties=sorted(watchlist.parties_of(found)),
            window=in_force,
            history=[
                HistoryEntry(
                    at=format_utc(c.at),
                    status=c.status.value,
                    note=c.note,
                    url=c.url,
                    origin=c.origin,
                    verified=c.verified,
                    by=c.actor,
                    recorded_at=format_utc(c.recorded_at) if c.recorded_at else None,
                )
                for c in changes
            ],
            acknowledged=ack is not None,
            snoozed_until=format_utc(snoozed.until) if snoozed else None,
            acks=[
                AckEntry(at=format_utc(a.at), note=a.note, by=a.actor, withdrawn=a.lifted)
                for a in recorded.acks
            ],
            snoozes=[
                SnoozeEntry(
                    at=format_utc(s.at),
                    until=None if s.lifted else format_utc(s.until),
                    note=s.note,
                    by=s.actor,
                    lifted=s.lifted,
                )
                for s in recorded.snoozes
            ],
            notifications=[NotificationItem.of(r) for r in recorded.notifications],
        )

    @router.get(
        "/notifications", response_model=NotificationPage, response_description="one page of the ledger"
    )
    async def list_notifications(
        failed: Annotated[bool, Query(description="only rows given up (state failed)")] = False,
        commitment: Annotated[
            str | None, Query(max_length=200, description="only rows about this commitment id")
        ] = None,
        state: Annotated[NotificationState | None, Query(description="only rows in this state")] = None,
        event: Annotated[list[EventKind] | None, Query(description="any of these events")] = None,
        channel: Annotated[str | None, Query(max_length=200)] = None,
        subscription: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="rows per page")] = DEFAULT_PAGE,
        offset: Annotated[
            int, Query(ge=0, le=MAX_LEDGER_OFFSET, description="matching rows to skip (deeper: cursor)")
        ] = 0,
        cursor: Annotated[
            str | None,
            Query(pattern=r"^[0-9]{1,18}$", description="next_cursor of the previous page"),
        ] = None,
    ) -> Response:
        """One page of the ledger, newest row first: ``items``, ``total`` (rows matching the
        filters, up to 10,000; null beyond), ``limit``, ``offset`` and ``next_cursor``."""
        states: set[NotificationState] | None = None
        if failed or state is not None:
            states = set(NotificationState)
            if failed:
                states &= {NotificationState.FAILED}
            if state is not None:
                states &= {state}
        wanted = LedgerFilter(
            subject=commitment,
            states=states,
            events=set(event) if event else None,
            channel=channel,
            subscription=subscription,
        )
        before = int(cursor) if cursor is not None else None
        page = await read_database(
            reads,
            lambda: reader.notification_page(
                wanted, before_id=before, offset=offset, limit=limit, count_up_to=COUNT_UP_TO
            ),
        )
        items = [NotificationItem.of(record) for record in page.records]
        return _json(
            NotificationPage.model_construct(
                items=items,
                total=page.total,
                limit=limit,
                offset=offset,
                next_cursor=str(items[-1].id) if items and page.more else None,
            )
        )

    return router
