"""File rows: YAML and CSV, bad rows with their line (pure: bytes in)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from deadlinewatch.domain.model import Status
from deadlinewatch.sources.base import SourceError
from deadlinewatch.sources.file import parse_rows

IDS = {"a", "b"}


def test_csv_rows_and_their_lines() -> None:
    data = (
        b"id,status,at,note,url\n"
        b"a,fulfilled,2016-08-01,done,https://example.org\n"
        b'b,partial,2016-08-02T10:00:00+02:00,"a note\nover two lines",\n'
        b"zzz,fulfilled,,,\n"
        b"\n"
        b"a,bogus,,,\n"
        b"a,fulfilled,yesterday,,\n"
        b"a,fulfilled,,,,extra\n"
    )
    rows, problems = parse_rows(Path("s.csv"), data, IDS)
    assert [(r.line, r.commitment_id, r.status) for r in rows] == [
        (2, "a", Status.FULFILLED),
        (3, "b", Status.PARTIAL),
    ]
    assert rows[0].at == datetime(2016, 8, 1, tzinfo=UTC)
    assert rows[1].at == datetime(2016, 8, 2, 8, tzinfo=UTC)
    assert rows[1].note == "a note\nover two lines"
    assert [p.line for p in problems] == [5, 7, 8, 9]
    assert "unknown commitment 'zzz'" in problems[0].message
    assert "unknown status 'bogus'" in problems[1].message
    assert "not a date" in problems[2].message
    assert str(problems[3]).startswith("line 9: ")


def test_yaml_rows_and_their_lines() -> None:
    data = b"""
- id: a
  status: in_progress
  at: 2016-08-01
- {id: b, status: fulfilled, at: 2016-08-02T10:00:00Z, note: yes}
- just a string
- {id: a, status: fulfilled, colour: red}
- {status: fulfilled}
"""
    rows, problems = parse_rows(Path("s.yaml"), data, IDS)
    assert [(r.line, r.commitment_id) for r in rows] == [(2, "a"), (5, "b")]
    assert rows[0].at == datetime(2016, 8, 1, tzinfo=UTC)
    assert [p.line for p in problems] == [6, 7, 8]
    assert "unknown column 'colour'" in problems[1].message
    assert "missing id" in problems[2].message


def test_row_keys_are_their_content() -> None:
    one, _ = parse_rows(Path("s.csv"), b"id,status\na,fulfilled\n", IDS)
    two, _ = parse_rows(Path("s.csv"), b"id,status\n\n\na,fulfilled\n", IDS)
    assert one[0].key == two[0].key and one[0].line != two[0].line


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("s.yaml", b"a: 1\n", "line 1: expected a list"),
        ("s.yaml", b"- [unclosed\n", "invalid YAML"),
        ("s.csv", b"name,value\nx,y\n", "CSV header must name"),
        ("s.csv", b"\xff\xfe\x00bad", "s.csv is not UTF-8"),
    ],
)
def test_unreadable_files(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_rows(Path(name), data, IDS)
    assert caught.value.reason.startswith(reason)


def test_empty_files_have_no_rows() -> None:
    assert parse_rows(Path("s.yaml"), b"", IDS) == ([], [])
    assert parse_rows(Path("s.csv"), b"", IDS) == ([], [])
