"""Exponential backoff delays with an upper bound and optional jitter."""

from __future__ import annotations

import random


def backoff_delay(
    attempt: int,
    base: float = 0.5,
    factor: float = 2.0,
    max_delay: float = 30.0,
) -> float:
    """Seconds to wait before retry number `attempt` (1 for the first retry).

    The delay grows as base * factor ** (attempt - 1) and is capped at
    `max_delay`, so later retries never wait longer than that.
    """
    if attempt < 1:
        raise ValueError(f"attempt must be at least 1, got {attempt}")
    if base < 0 or max_delay < 0:
        raise ValueError("delays must not be negative")
    return max(base * factor ** (attempt - 1), max_delay)


def delay_schedule(retries: int, **options: float) -> list[float]:
    """The delays before each of `retries` retries, in order."""
    return [backoff_delay(attempt, **options) for attempt in range(1, retries + 1)]


def total_wait(retries: int, **options: float) -> float:
    """Worst-case time spent waiting across `retries` retries, without jitter."""
    return sum(delay_schedule(retries, **options))


def full_jitter(attempt: int, rng: random.Random | None = None, **options: float) -> float:
    """A random delay between zero and the backoff delay for `attempt`.

    Spreading retries this way keeps many clients that failed together from
    retrying in lockstep.
    """
    rng = rng or random.Random()
    return rng.uniform(0.0, backoff_delay(attempt, **options))
