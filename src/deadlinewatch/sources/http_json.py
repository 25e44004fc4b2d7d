"""``http_json`` sources: a JSON document, a JMESPath ``status`` expression per commitment, and an
optional ``map`` from the document's values to statuses.

A null result says nothing about that commitment; null for every commitment means the document is
not the shape the expression expects, and the poll fails. A value missing from ``map`` (or, without
``map``, a value that is not a status) fails the poll with the value named; the other commitments'
values are still applied, so one new value upstream does not freeze every other commitment.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime

import jmespath.exceptions

from deadlinewatch.config.schema import HttpJsonSource, map_key
from deadlinewatch.domain.model import Status, StatusChange
from deadlinewatch.sources.base import Findings, ProposedChange, SourceError, shorten

__all__ = ["evaluate_document", "parse_json"]

WRONG_SHAPE = "JSON of the wrong shape"


def parse_json(body: bytes) -> object:
    """The decoded document; raises :class:`SourceError`."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"invalid JSON: {shorten(str(exc)) or type(exc).__name__}") from None


def evaluate_document(
    source: HttpJsonSource,
    document: object,
    commitment_ids: Iterable[str],
    current_status: Callable[[str], Status],
    now: datetime,
) -> Findings:
    """Changes for the commitments whose status in ``document`` differs from their current one.

    Raises :class:`SourceError` when the document says nothing about any commitment or an
    expression cannot be evaluated on it; a value that maps to no status is a ``failure``."""
    ids = list(source.commitments) if source.commitments is not None else list(commitment_ids)
    changes: list[ProposedChange] = []
    problems: list[str] = []
    answered = 0
    for commitment_id in ids:
        try:
            value = source.status.search(document, commitment_id)
        except (jmespath.exceptions.JMESPathError, RecursionError) as exc:
            raise SourceError(f"{WRONG_SHAPE}: {shorten(' '.join(str(exc).split()))}") from None
        if value is None:
            continue
        answered += 1
        status = _status_of(source, commitment_id, value, problems)
        if status is None or status == current_status(commitment_id):
            continue
        change = StatusChange(at=now, status=status, url=source.url, origin=source.id, recorded_at=now)
        changes.append(ProposedChange(commitment_id, change))
    if ids and answered == 0:
        raise SourceError(
            f"{WRONG_SHAPE}: the response is not the shape the expression expects "
            f"({shorten(source.status.text, 80)!r} gave null for every commitment)"
        )
    failure = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
    return Findings(changes=tuple(changes), problems=tuple(problems), failure=failure or None)


def _status_of(
    source: HttpJsonSource, commitment_id: str, value: object, problems: list[str]
) -> Status | None:
    if isinstance(value, dict | list):
        kind = "an object" if isinstance(value, dict) else "a list"
        problems.append(f"{WRONG_SHAPE}: the status of {commitment_id} is {kind}, not a single value")
        return None
    key = map_key(value)
    if source.map is not None:
        if key in source.map:
            return source.map[key]
        problems.append(f"status value {shorten(key, 60)!r} for {commitment_id} is not in map")
        return None
    try:
        return Status(key)
    except ValueError:
        problems.append(
            f"status value {shorten(key, 60)!r} for {commitment_id} is not a status "
            "(add a map to translate it)"
        )
        return None
