"""Backoff: exponential ceiling with a cap, full jitter, Retry-After as a floor, giving up."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deadlinewatch.services.backoff import Backoff

DUE = datetime(2016, 9, 3, 6, 0, tzinfo=UTC)


def test_ceiling_doubles_from_two_seconds_up_to_five_minutes() -> None:
    backoff = Backoff()
    assert [backoff.ceiling(n) for n in range(1, 10)] == [2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert backoff.ceiling(10_000) == 300  # no float overflow on huge attempt counts


@given(st.integers(min_value=1, max_value=500), st.integers(min_value=0, max_value=2**32))
def test_full_jitter_stays_within_the_ceiling(attempt: int, seed: int) -> None:
    backoff = Backoff(rng=random.Random(seed))
    assert 0 <= backoff.delay(attempt) <= backoff.ceiling(attempt)


@given(
    st.integers(min_value=1, max_value=50),
    st.floats(min_value=0, max_value=3600),
    st.integers(min_value=0, max_value=2**32),
)
def test_retry_after_is_a_floor(attempt: int, retry_after: float, seed: int) -> None:
    backoff = Backoff(rng=random.Random(seed))
    delay = backoff.delay(attempt, retry_after)
    assert delay >= retry_after
    assert delay <= max(retry_after, backoff.ceiling(attempt))


def test_jitter_spreads_delays() -> None:
    backoff = Backoff(rng=random.Random(7))
    delays = {round(backoff.delay(8), 3) for _ in range(50)}
    assert len(delays) > 40


def test_gives_up_after_48_hours_and_enough_attempts() -> None:
    backoff = Backoff()
    assert not backoff.gives_up(DUE, 100, DUE + timedelta(hours=47, minutes=59))
    assert backoff.gives_up(DUE, 100, DUE + timedelta(hours=48))
    # Due long ago (the service was down): a first transient error is no reason to give up.
    assert not backoff.gives_up(DUE, 1, DUE + timedelta(days=5))
    assert backoff.gives_up(DUE, backoff.min_attempts, DUE + timedelta(days=5))


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Backoff(base=0)
    with pytest.raises(ValueError):
        Backoff(factor=0.5)
