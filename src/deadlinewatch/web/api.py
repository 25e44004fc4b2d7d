"""``/api``: status changes, acks and snoozes (write); the reads are in :mod:`.api_reads`.

The write API is off unless ``DEADLINEWATCH_API_TOKEN`` is set (403 saying so); requests carry
``Authorization: Bearer <token>`` (401 otherwise). Authentication comes before anything else, so
an unauthenticated caller learns nothing about ids or bodies. Writes go through
:mod:`deadlinewatch.actions` (the same rules as the CLI and Slack) via ``runtime.perform``, which
re-plans before answering: 201 with what was recorded (200 when it was already in place), 404 for
an unknown id, 422 naming the field for a refused write.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from deadlinewatch import actions
from deadlinewatch.actions import ActionRefused, ActionResult, Actor, UnknownCommitment
from deadlinewatch.domain.dueforms import parse_local_datetime
from deadlinewatch.domain.localtime import format_utc
from deadlinewatch.domain.model import Status
from deadlinewatch.web.responses import unprocessable
from deadlinewatch.web.runtime import Action, Runtime

__all__ = ["api_router"]
log = logging.getLogger("deadlinewatch.api")

_MAX_BODY = 64 * 1024
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


def api_router(runtime: Runtime) -> APIRouter:
    """The write routes under ``/api`` (the reads are :func:`~deadlinewatch.web.api_reads.read_router`)."""
    router = APIRouter(prefix="/api")

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
