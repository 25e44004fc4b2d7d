"""``/api``: commitments and the ledger (read), status changes, acks and snoozes (write).

The write API is off unless ``DEADLINEWATCH_API_TOKEN`` is set (403 saying so); requests carry
``Authorization: Bearer <token>`` (401 otherwise). Authentication comes before anything else, so
an unauthenticated caller learns nothing about ids or bodies. Writes go through
:mod:`deadlinewatch.actions` (the same rules as the CLI and Slack) via ``runtime.perform``, which
re-plans before answering: 201 with what was recorded (200 when it was already in place), 404 for
an unknown id, 422 naming the field for a refused write.

Reads of the database go through :class:`~deadlinewatch.web.dbreads.DatabaseReads` on a store of
their own (``reader``) and outside the read gate: a hung database answers 503 within its timeout
and holds no server worker. Commitment states come from the read model (no database).
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from deadlinewatch import actions
from deadlinewatch.actions import ActionRefused, ActionResult, Actor, UnknownCommitment
from deadlinewatch.domain.dueforms import parse_local_datetime
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
from deadlinewatch.web.pages import CommitmentPage, NotificationItem, NotificationPage
from deadlinewatch.web.readgate import outside_gate
from deadlinewatch.web.readmodel import states_of
from deadlinewatch.web.runtime import Action, Runtime

__all__ = ["api_router"]
log = logging.getLogger("deadlinewatch.api")

_MAX_BODY = 64 * 1024
DEFAULT_PAGE = 100
MAX_PAGE = 1000
MAX_LEDGER_OFFSET = 10_000  # an offset costs the rows it skips: deeper pages go by cursor
COUNT_UP_TO = 10_000  # a page of the ledger counts matching rows up to this many
COMMITMENT_NOTIFICATIONS = 100  # a commitment's newest ledger rows shown with it
_MAX_TEXT = 2000


# Dates beyond these years are refused at the door: the engine's calendar arithmetic (a year of
# reminders either side, repeats) must stay inside what ``datetime`` holds.
_YEARS = (1000, 4999)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _bounded_instant(value: str | None) -> str | None:
    """Refuse a date outside :data:`_YEARS` (the route parses the rest and names its errors)."""
    if value is None or value.strip().lower() == "now":
        return value
    try:
        year = parse_local_datetime(value).year
    except (ValueError, OverflowError):
        return value
    if not _YEARS[0] <= year <= _YEARS[1]:
        raise ValueError(f"the year must be between {_YEARS[0]} and {_YEARS[1]}")
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        # NUL cannot be stored in PostgreSQL text; other control characters are never meant.
        if isinstance(value, str) and _CONTROL.search(value):
            raise ValueError("must not contain control characters (such as NUL)")
        return value


class StatusBody(_Body):
    status: Status
    at: str | None = Field(None, max_length=40)
    note: str | None = Field(None, max_length=_MAX_TEXT)
    url: str | None = Field(None, max_length=_MAX_TEXT)
    verified: bool = False

    _at = field_validator("at")(_bounded_instant)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and (
            not value.lower().startswith(("http://", "https://")) or any(c.isspace() for c in value)
        ):
            raise ValueError("must be an http(s) URL without spaces")
        return value


class AckBody(_Body):
    note: str | None = Field(None, max_length=_MAX_TEXT)


class SnoozeBody(_Body):
    until: str | None = Field(None, max_length=40)
    for_: str | None = Field(None, alias="for", max_length=40)
    note: str | None = Field(None, max_length=_MAX_TEXT)

    _until = field_validator("until")(_bounded_instant)


class WriteAnswer(BaseModel):
    """The answer to a write: what was recorded (or found already in place) and the sentence the
    CLI and Slack show too. Optional fields appear only for the writes that have them."""

    action: str
    commitment: str
    at: str
    by: str
    created: bool
    message: str
    status: str | None = None
    note: str | None = None
    url: str | None = None
    verified: bool | None = None
    origin: str | None = None
    until: str | None = None

    @classmethod
    def of(cls, result: ActionResult) -> WriteAnswer:
        return cls(
            action=result.action,
            commitment=result.commitment,
            at=format_utc(result.at),
            by=result.actor,
            created=result.created,
            message=result.message,
            status=result.status,
            note=result.note,
            url=result.url,
            verified=result.verified,
            origin=result.origin,
            until=format_utc(result.until) if result.until is not None else None,
        )


def unprocessable(field: str, message: str) -> HTTPException:
    return HTTPException(422, detail={"message": f"{field}: {message}", "field": field})


def _parse_body(model: type[_Body], raw: bytes) -> Any:
    if len(raw) > _MAX_BODY:
        raise unprocessable("(body)", f"the body is larger than {_MAX_BODY} bytes")
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in error["loc"]) or "(body)"
        if error["type"] == "json_invalid":
            raise unprocessable("(body)", "not valid JSON") from None
        if error["type"] == "model_type":
            raise unprocessable("(body)", "expected a JSON object") from None
        if error["type"] == "extra_forbidden":
            raise unprocessable(field, "unknown field") from None
        raise unprocessable(field, error["msg"].removeprefix("Value error, ")) from None


async def _raw_body(request: Request) -> bytes:
    return await request.body()


# A dependency, so the bearer check (listed before it) runs before the body is even read.
Raw = Annotated[bytes, Depends(_raw_body)]


def notification_json(record: NotificationRecord) -> dict[str, Any]:
    return NotificationItem.of(record).model_dump(mode="json")


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


def api_router(runtime: Runtime, reads: DatabaseReads, reader: Store) -> APIRouter:
    """``reader``: where the routes read the database (see ``reader_beside``), through ``reads``."""
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

    def authorized(request: Request) -> None:
        token = runtime.api_token()
        if not token:
            raise HTTPException(403, detail="the write API is off: set DEADLINEWATCH_API_TOKEN")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise HTTPException(
                401, detail="missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        request.state.principal = "api-token"  # for the access log

    write = [Depends(authorized)]

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

    @router.get("/commitments/{commitment_id}")
    async def get_commitment(commitment_id: str) -> dict[str, Any]:
        # Config and read model first (a 404 costs no database read), then the recorded rows.
        current, found = await run_in_threadpool(lambda: _configured(commitment_id))
        async with outside_gate():
            recorded = await reads.arun(lambda: _recorded(reader, found.id))
        return await run_in_threadpool(lambda: _detail(current, found, recorded))

    def _configured(commitment_id: str) -> tuple[Planner, Commitment]:
        current = planner()
        return current, commitment(current, commitment_id)

    def _detail(current: Planner, found: Commitment, recorded: _Recorded) -> dict[str, Any]:
        now = runtime.now()
        model = states_of(current, now)
        row = model.row(found.id)
        assert row is not None  # the model holds every commitment of its planner
        state = model.state(row, now)
        watchlist = current.watchlist
        window = row.window
        window_json = None
        if window is not None:
            assert row.overdue_from is not None
            window_json = {
                "precision": window.precision.value,
                "zone": window.zone,
                "opens": format_utc(window.opens),
                "closes": format_utc(window.closes),
                "due": format_utc(window.due),
                "overdue_from": format_utc(row.overdue_from),
            }
        changes = [*found.history, *(r.change for r in recorded.changes)]
        changes.sort(key=lambda c: c.at)
        agreement = watchlist.agreement_of(found)
        ack = actions.active_ack(current, found.id, now)
        snoozed = actions.active_snooze(current, found.id, now)
        return {
            **state.as_json(),
            "agreement_title": agreement.title if agreement else None,
            "parties": sorted(watchlist.parties_of(found)),
            "window": window_json,
            "history": [
                {
                    "at": format_utc(c.at),
                    "status": c.status.value,
                    "note": c.note,
                    "url": c.url,
                    "origin": c.origin,
                    "verified": c.verified,
                    "by": c.actor,
                    "recorded_at": format_utc(c.recorded_at) if c.recorded_at else None,
                }
                for c in changes
            ],
            "acknowledged": ack is not None,
            "snoozed_until": format_utc(snoozed.until) if snoozed else None,
            "acks": [
                {"at": format_utc(a.at), "note": a.note, "by": a.actor, "withdrawn": a.lifted}
                for a in recorded.acks
            ],
            "snoozes": [
                {
                    "at": format_utc(s.at),
                    "until": None if s.lifted else format_utc(s.until),
                    "note": s.note,
                    "by": s.actor,
                    "lifted": s.lifted,
                }
                for s in recorded.snoozes
            ],
            "notifications": [notification_json(r) for r in recorded.notifications],
        }

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
        async with outside_gate():
            page = await reads.arun(
                lambda: reader.notification_page(
                    wanted, before_id=before, offset=offset, limit=limit, count_up_to=COUNT_UP_TO
                )
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

    async def perform(action: Action) -> JSONResponse:
        try:
            result = await runtime.perform(action)
        except UnknownCommitment as exc:
            raise HTTPException(404, detail=exc.message) from None
        except ActionRefused as exc:
            raise unprocessable(exc.field or "(body)", exc.message) from None
        log.info("write %s %s by %s: %s", result.action, result.commitment, result.actor, result.message)
        answer = WriteAnswer.of(result).model_dump(mode="json", by_alias=True, exclude_none=True)
        return JSONResponse(answer, status_code=201 if result.created else 200)

    def actor() -> Actor:
        return Actor(runtime.api_token_name(), "api")

    @router.post("/commitments/{commitment_id}/status", status_code=201, dependencies=write)
    async def post_status(commitment_id: str, raw: Raw) -> JSONResponse:
        body: StatusBody = _parse_body(StatusBody, raw)
        who = actor()
        return await perform(
            lambda planner, store, now: actions.record_status(
                planner,
                store,
                now,
                who,
                commitment_id,
                body.status,
                at=body.at,
                note=body.note,
                url=body.url,
                verified=body.verified,
            )
        )

    def note_only(path: str, act: Callable[..., ActionResult]) -> None:
        """``POST /commitments/ID/<path>`` with an optional ``{"note": ...}`` body."""

        async def endpoint(commitment_id: str, raw: Raw) -> JSONResponse:
            body: AckBody = _parse_body(AckBody, raw)
            who = actor()
            return await perform(
                lambda planner, store, now: act(planner, store, now, who, commitment_id, note=body.note)
            )

        router.add_api_route(
            f"/commitments/{{commitment_id}}/{path}",
            endpoint,
            methods=["POST"],
            status_code=201,
            dependencies=write,
            name=f"post_{path}",
        )

    note_only("ack", actions.acknowledge)
    note_only("unack", actions.unacknowledge)
    note_only("unsnooze", actions.unsnooze)

    @router.post("/commitments/{commitment_id}/snooze", status_code=201, dependencies=write)
    async def post_snooze(commitment_id: str, raw: Raw) -> JSONResponse:
        body: SnoozeBody = _parse_body(SnoozeBody, raw)
        who = actor()
        return await perform(
            lambda planner, store, now: actions.snooze(
                planner, store, now, who, commitment_id, until=body.until, duration=body.for_, note=body.note
            )
        )

    return router
