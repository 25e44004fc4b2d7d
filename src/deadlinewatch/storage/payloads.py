"""The JSON a ledger row keeps of its notification: the typed event (tagged by ``kind``) and the
brief, written once at decision time and read back into the same types.

Rows written before events were typed hold ``{"fields": {...}, "context": {"commitment": {...}}}``
without tags: the event kind comes from the row's ``event`` column and the brief from its key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypedDict

from pydantic import Field, TypeAdapter, ValidationError

from deadlinewatch.domain.briefs import Brief
from deadlinewatch.domain.events import EventData
from deadlinewatch.domain.model import EventKind

_EVENTS: TypeAdapter[EventData] = TypeAdapter(Annotated[EventData, Field(discriminator="kind")])
_BRIEFS: TypeAdapter[Brief] = TypeAdapter(Annotated[Brief, Field(discriminator="kind")])
_LEGACY_BRIEF_KEYS = {"commitment": "commitment", "digest": "digest", "operational": "operational"}


class StoredPayload(TypedDict):
    """The JSON document a ledger row keeps of its notification, written once at decision time:
    the notice's fields as text, its event as :func:`dump_event` wrote it, and its brief as
    :func:`dump_brief` wrote it (``None`` for subjects without one)."""

    subscription: str
    channels: list[str]
    event: str
    subject: str
    occurred: str
    send_at: str
    data: dict[str, Any]
    brief: dict[str, Any] | None


class PayloadError(ValueError):
    """A stored payload that does not read back as its types (says which part and why)."""


def dump_event(data: EventData) -> dict[str, Any]:
    return dict(_EVENTS.dump_python(data, mode="json"))


def dump_brief(brief: Brief | None) -> dict[str, Any] | None:
    return None if brief is None else dict(_BRIEFS.dump_python(brief, mode="json"))


def load_event(event: EventKind, raw: object) -> EventData:
    value = dict(raw) if isinstance(raw, Mapping) else {}
    value.setdefault("kind", event.value)
    if value["kind"] != event.value:
        raise PayloadError(f"the stored event is {value['kind']!r}, the row says {event.value!r}")
    if event is EventKind.CONFIG_ERROR and "file" not in value:  # a legacy row: errors only
        errors = [str(e) for e in value.get("errors") or []]
        value = {
            "kind": event.value,
            "file": "",
            "line": 0,
            "column": 0,
            "message": errors[0] if errors else "",
            "count": value.get("count") or len(errors),
            "errors": errors,
        }
    try:
        return _EVENTS.validate_python(value)
    except ValidationError as exc:
        raise PayloadError(f"the stored {event.value} event is unreadable: {_first(exc)}") from None


def load_brief(raw: object) -> Brief | None:
    if not isinstance(raw, Mapping) or not raw:
        return None
    value: Mapping[str, Any] = raw
    if "kind" not in value:  # legacy: {"commitment": {...}} / {"digest": {...}} / {"operational": {...}}
        for key, kind in _LEGACY_BRIEF_KEYS.items():
            inner = value.get(key)
            if isinstance(inner, Mapping):
                value = {**inner, "kind": kind}
                break
        else:
            return None
    try:
        return _BRIEFS.validate_python(value)
    except ValidationError as exc:
        raise PayloadError(f"the stored brief is unreadable: {_first(exc)}") from None


def _first(exc: ValidationError) -> str:
    error = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]
