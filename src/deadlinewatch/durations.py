"""Durations as written in the config: ``45s``, ``90m``, ``12h``, ``14d``, ``2w``, ``6mo``, ``1y``,
or ISO 8601 (``P18M``, ``P1Y2M3DT4H``).

Seconds, minutes and hours are elapsed time. Days, weeks, months and years are calendar units applied
to a nominal wall clock; months and years clamp to the month's end. A mixed duration applies years
and months, then weeks and days, then its time part.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from deadlinewatch.domain.localtime import to_instant, to_local

_SHORT = re.compile(r"^(\d{1,6})(s|m|h|d|w|mo|y)$")
_ISO = re.compile(
    r"^P(?!$)(?:(\d{1,6})Y)?(?:(\d{1,6})M)?(?:(\d{1,6})W)?(?:(\d{1,6})D)?"
    r"(?:T(?=\d)(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$"
)
_SHORT_FIELDS = {"s": 1, "m": 60, "h": 3600}
# Keeps arithmetic inside datetime's range whatever the config says.
_MAX_MONTHS = 12 * 1000
_MAX_DAYS = 366 * 1000
_MAX_SECONDS = 86400 * 366 * 1000


@dataclass(frozen=True, order=True)
class Duration:
    """A calendar-aware duration. ``text`` is the duration as written (used in events)."""

    months: int = 0
    days: int = 0
    seconds: int = 0
    text: str = ""

    @property
    def is_zero(self) -> bool:
        return self.months == 0 and self.days == 0 and self.seconds == 0

    @property
    def has_subday_part(self) -> bool:
        return self.seconds != 0

    def times(self, k: int) -> Duration:
        """``k`` times this duration, component by component (for repeat grids)."""
        return Duration(self.months * k, self.days * k, self.seconds * k, self.text)

    def shift_local(self, local: datetime, sign: int = 1) -> datetime:
        """The nominal wall-clock time ``local`` moved by the calendar part (months, then days).
        A moved time is nominal again (fold=0); with no calendar part ``local`` is kept as is."""
        return add_days(add_months(local, sign * self.months), sign * self.days)

    def apply(self, local: datetime, zone_name: str, sign: int = 1) -> datetime:
        """The instant ``local`` (in ``zone_name``) ``± self``: calendar part on the wall clock,
        then the time part as elapsed seconds."""
        instant = to_instant(self.shift_local(local, sign), zone_name)
        return instant + timedelta(seconds=sign * self.seconds)

    def wall_clock(self, local: datetime, zone_name: str, sign: int = 1) -> datetime:
        """The wall-clock time of ``local ± self``, as a base for further calendar steps: the
        nominal shifted time when there is no time part (kept even where it does not exist, so a
        later step lands on the nominal time again), else the local time of :meth:`apply`'s
        instant (its fold kept, so it turns back into that very instant)."""
        if not self.seconds:
            return self.shift_local(local, sign)
        return to_local(self.apply(local, zone_name, sign), zone_name)

    def __str__(self) -> str:
        return self.text


def add_months(local: datetime, months: int) -> datetime:
    """``local`` plus ``months`` calendar months, clamped to the end of the month."""
    if months == 0:
        return local
    index = local.year * 12 + (local.month - 1) + months
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    day = min(local.day, calendar.monthrange(year, month0 + 1)[1])
    return local.replace(year=year, month=month0 + 1, day=day, fold=0)


def add_days(local: datetime, days: int) -> datetime:
    """``local`` plus ``days`` calendar days (datetime arithmetic: the result has fold=0)."""
    return local + timedelta(days=days) if days else local


def parse_duration(value: object) -> Duration:
    """Parse a duration; raises ``ValueError`` with a message meant for the user."""
    if not isinstance(value, str):
        raise ValueError(
            f"expected a duration such as 14d, 12h, 6mo or P18M, got {type(value).__name__} {value!r}"
        )
    text = value.strip()
    short = _SHORT.match(text)
    if short:
        amount, unit = int(short.group(1)), short.group(2)
        if unit in _SHORT_FIELDS:
            result = Duration(seconds=amount * _SHORT_FIELDS[unit], text=text)
        elif unit == "d":
            result = Duration(days=amount, text=text)
        elif unit == "w":
            result = Duration(days=7 * amount, text=text)
        elif unit == "mo":
            result = Duration(months=amount, text=text)
        else:
            result = Duration(months=12 * amount, text=text)
        return _checked(result)
    iso = _ISO.match(text)
    if iso and text != "PT":
        y, mo, w, d, h, mi, s = (int(g) if g else 0 for g in iso.groups())
        return _checked(
            Duration(months=12 * y + mo, days=7 * w + d, seconds=3600 * h + 60 * mi + s, text=text)
        )
    raise ValueError(
        f"{text[:40]!r} is not a duration: use a number and a unit (45s, 90m, 12h, 14d, 2w, 6mo, 1y) "
        "or ISO 8601 (P18M, P14D, PT12H)"
    )


def _checked(duration: Duration) -> Duration:
    if duration.months > _MAX_MONTHS or duration.days > _MAX_DAYS or duration.seconds > _MAX_SECONDS:
        raise ValueError(f"{duration.text!r} is longer than 1000 years")
    return duration
