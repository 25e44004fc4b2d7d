"""An instant together with the zone a person reads it in: the commitment's zone for its deadline,
the subscription's zone for its deliveries. Rendered as local time with UTC beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deadlinewatch.domain.localtime import format_utc, zone
from deadlinewatch.domain.model import Subscription

__all__ = ["ZonedInstant", "subscription_zone"]


@dataclass(frozen=True)
class ZonedInstant:
    """``instant`` (aware) as read in ``zone`` (an IANA name)."""

    instant: datetime
    zone: str

    @property
    def utc(self) -> str:
        """``2016-08-31T21:00:00Z``."""
        return format_utc(self.instant)

    @property
    def local_iso(self) -> str:
        """``2016-09-01T00:00:00+03:00``: the wall-clock time with its offset."""
        return self.instant.astimezone(zone(self.zone)).isoformat(timespec="seconds")

    @property
    def local_text(self) -> str:
        """``2016-09-01 00:00 EEST (Asia/Damascus)``; UTC alone for a UTC zone."""
        local = self.instant.astimezone(zone(self.zone))
        if self.zone in _UTC_NAMES:
            return local.strftime("%Y-%m-%d %H:%M") + " UTC"
        abbreviation = local.tzname() or local.strftime("%z")
        if abbreviation[:1] in "+-":  # zones without a letter abbreviation print their offset
            abbreviation = f"UTC{abbreviation}"
        return f"{local:%Y-%m-%d %H:%M} {abbreviation} ({self.zone})"

    def text(self) -> str:
        """Local time with UTC beside it (UTC alone when the zone is UTC)."""
        if self.zone in _UTC_NAMES:
            return self.utc
        return f"{self.local_text} = {self.utc}"

    def as_json(self) -> dict[str, str]:
        return {"utc": self.utc, "local": self.local_iso, "zone": self.zone}


_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "Universal", "Etc/Universal"})


def subscription_zone(subscription: Subscription, default: str) -> str:
    """The zone a subscription's deliveries are read in: its quiet hours' zone, else its digest's,
    else the config's (``default``)."""
    if subscription.quiet_hours is not None:
        return subscription.quiet_hours.timezone
    if subscription.digest is not None:
        return subscription.digest.timezone
    return default
