"""Times of day and the time zones statements name ("12:00 (Damascus time)", "1200 hours GMT",
"6 p.m. Kiev time"). An explicit zone overrides ``--timezone``; an unknown one is declined."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

TIME = (
    r"(?:(?P<hh3>1[0-2]|0?[1-9])(?:[:.](?P<mm3>[0-5]\d))?\s*(?P<ampm>a\.?m\b\.?|p\.?m\b\.?)"
    r"|(?P<hh>[01]?\d|2[0-4])[:.](?P<mm>[0-5]\d)(?![:.]?\d|\s*[ap]\.?m\b)(?:\s*(?:hours|hrs|h)\b)?"
    r"|(?P<hh2>[01]\d|2[0-4])(?P<mm2>[0-5]\d)\s*(?:hours|hrs|h\b|(?=\s*\(?\s*(?:GMT|UTC)\b))"
    r"|(?P<word>noon|midday|midnight))"
)
ZONE = (
    r"(?:,?\s*\(?\s*(?P<zone>(?:GMT|UTC)\s*[+-]\s*\d{1,2}(?::?\d\d)?|GMT|UTC|Zulu|CEST|CET|EEST|EET|MSK"
    r"|local\s+time|[A-Za-z][A-Za-z'’-]+(?:\s+[A-Z][A-Za-z-]+)?\s+time)\s*\)?)"
)

# The cities and names statements use, to their IANA zones (tzdata, pinned by the project).
_CITIES = {
    "damascus": "Asia/Damascus", "syrian": "Asia/Damascus", "kiev": "Europe/Kyiv",
    "kyiv": "Europe/Kyiv", "ukrainian": "Europe/Kyiv", "moscow": "Europe/Moscow",
    "minsk": "Europe/Minsk", "geneva": "Europe/Zurich", "vienna": "Europe/Vienna",
    "paris": "Europe/Paris", "brussels": "Europe/Brussels", "berlin": "Europe/Berlin",
    "london": "Europe/London", "istanbul": "Europe/Istanbul", "ankara": "Europe/Istanbul",
    "turkish": "Europe/Istanbul", "beirut": "Asia/Beirut", "lebanon": "Asia/Beirut",
    "jerusalem": "Asia/Jerusalem", "israel": "Asia/Jerusalem", "gaza": "Asia/Gaza",
    "cairo": "Africa/Cairo", "amman": "Asia/Amman", "baghdad": "Asia/Baghdad",
    "tehran": "Asia/Tehran", "kabul": "Asia/Kabul", "doha": "Asia/Qatar", "riyadh": "Asia/Riyadh",
    "sanaa": "Asia/Aden", "sana'a": "Asia/Aden", "aden": "Asia/Aden", "yemen": "Asia/Aden",
    "tripoli": "Africa/Tripoli", "libya": "Africa/Tripoli", "khartoum": "Africa/Khartoum",
    "juba": "Africa/Juba", "addis": "Africa/Addis_Ababa", "nairobi": "Africa/Nairobi",
    "baku": "Asia/Baku", "yerevan": "Asia/Yerevan", "tbilisi": "Asia/Tbilisi",
    "astana": "Asia/Almaty", "bogota": "America/Bogota", "bogotá": "America/Bogota",
    "havana": "America/Havana", "washington": "America/New_York", "new york": "America/New_York",
    "eastern": "America/New_York", "seoul": "Asia/Seoul", "pyongyang": "Asia/Pyongyang",
    "beijing": "Asia/Shanghai", "tokyo": "Asia/Tokyo", "manila": "Asia/Manila",
    "greenwich": "UTC", "universal": "UTC", "coordinated universal": "UTC",
}  # fmt: skip
_FIXED = {"gmt": "+00:00", "utc": "+00:00", "zulu": "+00:00", "cet": "+01:00", "cest": "+02:00",
          "eet": "+02:00", "eest": "+03:00", "msk": "+03:00"}  # fmt: skip


@dataclass(frozen=True)
class Zone:
    """A zone named in the text: an IANA name, or a fixed offset such as ``+02:00``."""

    name: str
    offset: str | None = None

    def stamp(self, local: datetime) -> str:
        """``local`` (nominal, in this zone) as ``…T12:00+02:00`` or ``…Z``."""
        if self.offset is None:
            aware = local.replace(tzinfo=ZoneInfo(self.name), fold=0)
            delta = aware.utcoffset()
            assert delta is not None
            minutes = int(delta.total_seconds() // 60)
            sign = "-" if minutes < 0 else "+"
            offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        else:
            offset = self.offset
        text = local.strftime("%Y-%m-%dT%H:%M")
        return text + ("Z" if offset == "+00:00" else offset)


def zone_named(text: str) -> Zone | str | None:
    """The zone a name gives; ``None`` for "local time" (the default zone applies); a message
    string when the name is not one this reader knows."""
    lowered = " ".join(text.lower().replace("’", "'").split())
    if lowered == "local time":
        return None
    if m := re.fullmatch(r"(gmt|utc)\s*([+-])\s*(\d{1,2})(?::?(\d\d))?", lowered):
        hours, minutes = int(m.group(3)), int(m.group(4) or 0)
        if hours > 14 or minutes > 59:
            return f"{text!r} is not a UTC offset"
        return Zone(f"UTC{m.group(2)}{hours}", f"{m.group(2)}{hours:02d}:{minutes:02d}")
    if lowered in _FIXED:
        return Zone(lowered.upper(), _FIXED[lowered])
    name = lowered.removesuffix(" time").removesuffix(" standard").strip()
    if name in _CITIES:
        return Zone(_CITIES[name])
    return f"the time zone {text!r} is not one this reader knows; write the time with an offset"


def minutes_of_day(m: re.Match[str]) -> int | str:
    """Minutes after 00:00 that a :data:`TIME` match names (24:00 is 1440: the end of the day);
    a message string for a time it declines."""
    if m.group("word"):
        if m.group("word").lower() == "midnight":
            return "'midnight' does not say which side of the day it means; write 00:00 or 24:00"
        return 12 * 60
    if m.group("ampm"):
        hour, minute = int(m.group("hh3")), int(m.group("mm3") or 0)
        pm = m.group("ampm").lower().startswith("p")
        return ((hour % 12) + (12 if pm else 0)) * 60 + minute
    hour = int(m.group("hh") or m.group("hh2"))
    minute = int(m.group("mm") or m.group("mm2"))
    if hour == 24 and minute:
        return f"{m.group(0).strip()!r} is not a time of day"
    return hour * 60 + minute
