"""JSON documents to status changes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deadlinewatch.config.schema import HttpJsonSource
from deadlinewatch.domain.model import Status
from deadlinewatch.sources.base import SourceError
from deadlinewatch.sources.http_json import evaluate_document, parse_json

NOW = datetime(2016, 9, 1, tzinfo=UTC)
IDS = ("a", "b", "c")


def source(**extra: object) -> HttpJsonSource:
    return HttpJsonSource.model_validate(
        {"id": "t", "type": "http_json", "url": "https://example.org/s.json", "status": 's."{id}"', **extra}
    )


def current(_: str) -> Status:
    return Status.NOT_STARTED


def test_changes_only_where_the_status_differs() -> None:
    doc = {"s": {"a": "fulfilled", "b": "not_started"}}
    findings = evaluate_document(source(), doc, IDS, current, NOW)
    [change] = findings.changes
    assert change.commitment_id == "a"
    assert change.change.status is Status.FULFILLED
    assert change.change.origin == "t" and change.change.url == "https://example.org/s.json"
    assert change.change.at == NOW and findings.failure is None


def test_map_translates_and_scalars_use_their_json_spelling() -> None:
    src = source(map={"true": "fulfilled", 3: "partial"})
    findings = evaluate_document(src, {"s": {"a": True, "b": 3}}, IDS, current, NOW)
    assert [(c.commitment_id, c.change.status) for c in findings.changes] == [
        ("a", Status.FULFILLED),
        ("b", Status.PARTIAL),
    ]


def test_commitments_restricts_the_ids() -> None:
    doc = {"s": {"a": "fulfilled", "b": "not_started"}}
    assert evaluate_document(source(commitments=["b"]), doc, IDS, current, NOW).changes == ()


def test_null_for_every_commitment_is_the_wrong_shape() -> None:
    with pytest.raises(SourceError) as caught:
        evaluate_document(source(), {"other": 1}, IDS, current, NOW)
    assert caught.value.reason.startswith("JSON of the wrong shape: the response is not the shape")


def test_a_value_missing_from_map_is_a_failure_naming_it_but_others_apply() -> None:
    src = source(map={"done": "fulfilled"})
    findings = evaluate_document(src, {"s": {"a": "done", "b": "x" * 500}}, IDS, current, NOW)
    assert [c.commitment_id for c in findings.changes] == ["a"]
    assert findings.failure is not None
    assert "for b is not in map" in findings.failure and len(findings.failure) < 200


def test_without_map_a_value_must_be_a_status() -> None:
    findings = evaluate_document(source(), {"s": {"a": "done"}}, IDS, current, NOW)
    assert findings.failure is not None and "'done' for a is not a status" in findings.failure


def test_objects_are_not_statuses() -> None:
    findings = evaluate_document(source(), {"s": {"a": {"x": 1}}}, IDS, current, NOW)
    assert findings.failure is not None and findings.failure.startswith("JSON of the wrong shape")


def test_invalid_json() -> None:
    with pytest.raises(SourceError) as caught:
        parse_json(b"{nope")
    assert caught.value.reason.startswith("invalid JSON")
    with pytest.raises(SourceError):
        parse_json(b"[" * 100_000 + b"]" * 100_000)
