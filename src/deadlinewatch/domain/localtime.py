"""Nominal wall-clock times and the instants they stand for.

Every calendar computation happens on naive *nominal* local datetimes (as a person writes them);
they become instants last, through :func:`to_instant` (zoneinfo, fold=0). Instants are aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The zone called ``name``; raises ``ValueError`` for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/London)") from exc


def to_instant(local: datetime, zone_name: str) -> datetime:
    """The UTC instant of the nominal local time ``local`` in ``zone_name`` (fold=0)."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=zone(zone_name), fold=0).astimezone(UTC)


def to_local(instant: datetime, zone_name: str) -> datetime:
    """The naive local wall-clock time of the aware ``instant`` in ``zone_name``."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(zone(zone_name)).replace(tzinfo=None)


def format_utc(instant: datetime) -> str:
    """``2016-08-01T06:00:00Z``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    """Inverse of :func:`format_utc` (also accepts any ISO 8601 offset)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value.astimezone(UTC)
