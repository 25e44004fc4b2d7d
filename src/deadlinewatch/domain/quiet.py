"""Quiet hours: ``[start, end)`` on a subscription's wall clock, wrapping midnight when
``end <= start``. A notification falling inside is held until the end instant."""

from __future__ import annotations

from datetime import datetime, timedelta

from deadlinewatch.domain.localtime import to_instant, to_local
from deadlinewatch.domain.model import QuietHours


def release_instant(quiet: QuietHours | None, instant: datetime) -> datetime:
    """``instant`` itself, or the end of the quiet range it falls in."""
    if quiet is None or quiet.start == quiet.end:
        return instant
    local = to_local(instant, quiet.timezone)
    now = local.time()
    end_today = datetime.combine(local.date(), quiet.end)
    if quiet.start < quiet.end:
        inside = quiet.start <= now < quiet.end
        release = end_today
    elif now >= quiet.start:
        inside, release = True, end_today + timedelta(days=1)
    else:
        inside, release = now < quiet.end, end_today
    if not inside:
        return instant
    return max(to_instant(release, quiet.timezone), instant)
