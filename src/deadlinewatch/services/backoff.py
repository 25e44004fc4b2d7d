"""When to try a notification again after a transient delivery error.

Exponential backoff with full jitter (the delay is uniform in ``[0, min(cap, base × factor^(n-1))]``
for the n-th failed attempt), with a server's ``Retry-After`` as a floor. A row gives up (becomes
``failed``) once it has been due for ``give_up_after`` and has been tried at least
``min_attempts`` times — the attempt floor keeps a row that was due long ago (the service was
down) from failing on its first transient error.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Backoff:
    base: float = 2.0
    factor: float = 2.0
    cap: float = 300.0
    give_up_after: timedelta = timedelta(hours=48)
    min_attempts: int = 20
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.base <= 0 or self.factor < 1 or self.cap < 0:
            raise ValueError("backoff needs base > 0, factor >= 1 and cap >= 0")

    def ceiling(self, attempt: int) -> float:
        """The largest delay after the ``attempt``-th failed try (1-based), before jitter."""
        exponent = max(0, attempt - 1)
        # Stop multiplying once past the cap: factor ** 10_000 would overflow a float.
        value = self.base
        for _ in range(exponent):
            value *= self.factor
            if value >= self.cap:
                return self.cap
        return min(self.cap, value)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the ``attempt``-th failed try: full jitter, at least ``retry_after``."""
        chosen = self.rng.uniform(0.0, self.ceiling(attempt))
        if retry_after is not None and retry_after > chosen:
            chosen = retry_after
        return chosen

    def gives_up(self, due: datetime, attempts: int, now: datetime) -> bool:
        """Whether a row due at ``due``, tried ``attempts`` times, should stop retrying at ``now``."""
        return attempts >= self.min_attempts and now - due >= self.give_up_after
