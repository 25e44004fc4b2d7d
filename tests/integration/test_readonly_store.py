"""Opening a database only to read it: nothing is created, and writes are refused, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import SQLAlchemyError

from deadlinewatch.domain.model import Status, StatusChange
from deadlinewatch.storage import Store
from deadlinewatch.storage.readonly import open_read_only

AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_missing_sqlite_file_is_nothing_recorded_and_stays_missing(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "none.db"
    assert open_read_only(f"sqlite:///{path}") is None
    assert not path.exists() and not path.parent.exists()
    assert open_read_only("sqlite:///:memory:") is None


def test_reads_what_was_recorded_and_refuses_to_write(store: Store, database_url: str) -> None:
    store.add_status_change("c", StatusChange(AT, Status.PARTIAL, note="n"), recorded_at=AT)
    reader = open_read_only(database_url)
    assert reader is not None
    try:
        assert [(r.commitment_id, r.status) for r in reader.status_changes()] == [("c", Status.PARTIAL)]
        assert reader.list_notifications() == []
        with pytest.raises(SQLAlchemyError):
            reader.add_ack("c", AT)
    finally:
        reader.engine.dispose()
    assert [r.commitment_id for r in store.acks()] == []
