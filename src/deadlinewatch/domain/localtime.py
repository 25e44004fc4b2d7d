"""Nominal wall-clock times and the instants they stand for.

Every calendar computation happens on naive *nominal* local datetimes (as a person writes them);
they become instants last, through :func:`to_instant` (zoneinfo, fold=0; a local time read off an
instant keeps its fold). Instants are aware UTC.

Zone rules come only from the pinned ``tzdata`` package, never from the host's zone files
(SPEC §2), so the same config gives the same instants on every machine. :func:`zone` is the one
place a ``ZoneInfo`` is built.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

_TZDATA = "tzdata"


@cache
def zone_names() -> frozenset[str]:
    """Every zone name the pinned ``tzdata`` package knows."""
    return frozenset(resources.files(_TZDATA).joinpath("zones").read_text(encoding="utf-8").split())


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The zone called ``name``, with the pinned ``tzdata`` package's rules; raises ``ValueError``
    for an unknown name."""
    if name not in zone_names():
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/London)")
    with resources.files(f"{_TZDATA}.zoneinfo").joinpath(*name.split("/")).open("rb") as rules:
        return ZoneInfo.from_file(rules, key=name)


def to_instant(local: datetime, zone_name: str) -> datetime:
    """The UTC instant of the local time ``local`` in ``zone_name``.

    Nominal times (as written, or moved by a calendar unit) carry fold=0, so a repeated wall-clock
    time is its first occurrence and a skipped one gets the instant the zone's rules give it. A
    local time read off an instant by :func:`to_local` keeps its fold, so it turns back into that
    same instant (an instant in the repeated hour of a fall-back is not moved an hour early)."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=zone(zone_name)).astimezone(UTC)


def to_local(instant: datetime, zone_name: str) -> datetime:
    """The naive local wall-clock time of the aware ``instant`` in ``zone_name`` (fold=1 for the
    second pass through a repeated hour)."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(zone(zone_name)).replace(tzinfo=None)


@lru_cache(maxsize=16384)  # a burst or catch-up formats the same few instants over and over
def format_utc(instant: datetime) -> str:
    """``2016-08-01T06:00:00Z`` (the year always four digits: ``0001-01-01T10:29:20Z``). Equal
    instants give the same text whatever their zone, so caching by instant is exact."""
    return instant.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def parse_utc(text: str) -> datetime:
    """Inverse of :func:`format_utc` (also accepts any ISO 8601 offset)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value.astimezone(UTC)
