"""Instants echoed in the zone they were read in, UTC beside."""

from __future__ import annotations

from datetime import UTC, datetime

from deadlinewatch.domain.localtime import format_in_zone


def test_a_local_day_start_is_echoed_in_its_zone_with_utc_beside() -> None:
    instant = datetime(2026, 12, 23, 21, 0, tzinfo=UTC)
    assert format_in_zone(instant, "Asia/Damascus") == "2026-12-24 00:00 Asia/Damascus (2026-12-23T21:00:00Z)"
    assert format_in_zone(instant, "UTC") == "2026-12-23T21:00:00Z"
    seconds = datetime(2026, 12, 23, 22, 0, 5, tzinfo=UTC)
    assert (
        format_in_zone(seconds, "Europe/Berlin") == "2026-12-23 23:00:05 Europe/Berlin (2026-12-23T22:00:05Z)"
    )
