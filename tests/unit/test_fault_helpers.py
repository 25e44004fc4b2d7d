"""The test-only clock hook, the jump watch, and the recognition of a full disk."""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import OperationalError

from deadlinewatch.clock import JumpWatch, _OffsetFile
from deadlinewatch.storage.errors import DISK_FULL_HINT, brief, is_disk_full


def _write(path: Path, text: str, mtime_ns: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_offset_file_is_reread_when_it_changes_and_kept_when_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "offset"
    offset = _OffsetFile(str(path))
    assert offset.current() == timedelta()  # missing: zero
    _write(path, "3600\n", 1_000_000_000)
    time.sleep(0.06)
    assert offset.current() == timedelta(hours=1)
    _write(path, "not a number", 2_000_000_000)
    time.sleep(0.06)
    assert offset.current() == timedelta(hours=1)  # a half-written file does not move the clock
    _write(path, "-1.5", 3_000_000_000)
    time.sleep(0.06)
    assert offset.current() == timedelta(seconds=-1.5)


def test_jump_watch_reports_only_jumps_beyond_its_threshold() -> None:
    watch = JumpWatch(threshold_seconds=2.0)
    assert watch.check() is None  # the system clock did not jump between two calls


def test_disk_full_is_recognised_from_sqlite_and_postgresql_errors() -> None:
    sqlite_error = sqlite3.OperationalError("database or disk is full")
    wrapped = OperationalError("INSERT ...", {}, sqlite_error)
    assert is_disk_full(wrapped)
    assert brief(wrapped).startswith(DISK_FULL_HINT)
    postgres = OperationalError(
        "INSERT ...", {}, Exception('could not extend file "base/1/2": No space left on device')
    )
    assert is_disk_full(postgres)
    other = OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert not is_disk_full(other)
    assert brief(other) == "OperationalError: (builtins.Exception) connection refused"
