"""``file`` sources: a local YAML (a list of mappings) or CSV (header ``id,status,at,note,url``)
file of status rows, re-read when it changes.

Bad rows (unknown commitment, unknown status, unreadable date, unknown column) are reported with
their line and skipped; the good rows are applied. A row counts once (by its content) across
re-reads and restarts, and, like any change, only when it differs from the current status. Dates
without an offset are UTC; a row without ``at`` is dated when it is first read.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from deadlinewatch.domain.model import Status, StatusChange
from deadlinewatch.sources.base import SourceError, shorten
from deadlinewatch.sources.fetch import DEFAULT_MAX_BYTES, describe_bytes

__all__ = ["FileRow", "RowProblem", "fingerprint", "parse_rows", "read_file"]

COLUMNS = ("id", "status", "at", "note", "url")
MAX_FIELD = 10_000


@dataclass(frozen=True)
class FileRow:
    line: int
    commitment_id: str
    status: Status
    at: datetime | None
    note: str | None
    url: str | None

    @property
    def key(self) -> str:
        """The row's identity: its content (a moved row is the same row)."""
        at = self.at.isoformat() if self.at else ""
        text = "\x1f".join((self.commitment_id, self.status.value, at, self.note or "", self.url or ""))
        return "row:" + hashlib.sha256(text.encode()).hexdigest()

    def change(self, source_id: str, now: datetime) -> StatusChange:
        at = min(self.at, now) if self.at is not None else now
        return StatusChange(
            at=at, status=self.status, note=self.note, url=self.url, origin=source_id, recorded_at=now
        )


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def fingerprint(path: Path) -> str:
    """mtime and size of ``path``; raises :class:`SourceError` if it cannot be read."""
    try:
        info = path.stat()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    return f"{info.st_mtime_ns}:{info.st_size}"


def read_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes, str]:
    """The file's bytes and their sha256; raises :class:`SourceError`."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise SourceError(f"file larger than {describe_bytes(max_bytes)}")
    return data, hashlib.sha256(data).hexdigest()


def parse_rows(
    path: Path, data: bytes, commitment_ids: Collection[str]
) -> tuple[list[FileRow], list[RowProblem]]:
    """Good rows in file order and the bad ones with their line; raises :class:`SourceError` when
    the file as a whole cannot be read (not UTF-8, invalid YAML, not a list, no CSV header)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path.name} is not UTF-8 text (byte {exc.start})") from None
    raw = _csv_rows(text) if path.suffix.lower() == ".csv" else _yaml_rows(text)
    rows: list[FileRow] = []
    problems: list[RowProblem] = []
    for line, fields in raw:
        try:
            rows.append(_row(line, fields, commitment_ids))
        except ValueError as exc:
            problems.append(RowProblem(line, str(exc)))
    return rows, problems


def _csv_rows(text: str) -> list[tuple[int, dict[str, object]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise SourceError(f"invalid CSV header: {exc}") from None
    if header is None:
        return []
    names = [name.strip().lower() for name in header]
    if "id" not in names or "status" not in names:
        raise SourceError(
            f"CSV header must name the id and status columns ({', '.join(COLUMNS)}), "
            f"got {shorten(','.join(header), 80)!r}"
        )
    rows: list[tuple[int, dict[str, object]]] = []
    start = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rows.append((start, {"\x00error": f"unreadable CSV: {exc}"}))
            start = reader.line_num + 1
            continue
        if any(cell.strip() for cell in record):
            if len(record) > len(names):
                rows.append((start, {"\x00error": f"{len(record)} cells but the header names {len(names)}"}))
            else:
                rows.append(
                    (start, {name: cell for name, cell in zip(names, record, strict=False) if cell != ""})
                )
        start = reader.line_num + 1
    return rows


def _yaml_rows(text: str) -> list[tuple[int, dict[str, object]]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise SourceError(
                f"line {node.start_mark.line + 1}: expected a list of rows (id, status, at, note, url)"
            )
        rows: list[tuple[int, dict[str, object]]] = []
        for item in node.value:
            line = item.start_mark.line + 1
            if not isinstance(item, yaml.MappingNode):
                rows.append((line, {"\x00error": "expected a mapping with id and status"}))
                continue
            try:
                value = loader.construct_object(item, deep=True)
            except yaml.YAMLError as exc:
                rows.append((line, {"\x00error": f"unreadable row: {shorten(str(exc))}"}))
                continue
            rows.append((line, value if isinstance(value, dict) else {"\x00error": "expected a mapping"}))
        return rows
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise SourceError(
            f"invalid YAML: {where}{shorten(str(getattr(exc, 'problem', None) or exc))}"
        ) from None
    finally:
        loader.dispose()


def _row(line: int, fields: dict[str, object], commitment_ids: Collection[str]) -> FileRow:
    if "\x00error" in fields:
        raise ValueError(str(fields["\x00error"]))
    unknown = sorted(str(key) for key in fields if key not in COLUMNS)
    if unknown:
        raise ValueError(f"unknown column {shorten(unknown[0], 40)!r} (columns: {', '.join(COLUMNS)})")
    commitment_id = _text(fields, "id")
    if not commitment_id:
        raise ValueError("missing id")
    if commitment_id not in commitment_ids:
        raise ValueError(f"unknown commitment {shorten(commitment_id, 60)!r}")
    status_text = _text(fields, "status")
    if not status_text:
        raise ValueError("missing status")
    try:
        status = Status(status_text)
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise ValueError(f"unknown status {shorten(status_text, 40)!r} (one of: {allowed})") from None
    return FileRow(
        line, commitment_id, status, _instant(fields.get("at")), _text(fields, "note"), _text(fields, "url")
    )


def _text(fields: dict[str, object], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise ValueError(f"{name} must be text, not a {'mapping' if isinstance(value, dict) else 'list'}")
    text = str(value).strip()
    if len(text) > MAX_FIELD:
        raise ValueError(f"{name} is {len(text)} characters long; at most {MAX_FIELD} are allowed")
    return text or None


def _instant(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"at {shorten(str(value), 40)!r} is not a date or date and time (ISO 8601)"
            ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
