"""A single token bucket with an injectable clock."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Holds up to ``capacity`` tokens, refilled at ``rate`` tokens per second.

    The bucket starts full.  Each request spends ``cost`` tokens; a request is
    allowed as long as the bucket holds at least that many tokens.
    """

    def __init__(
        self,
        capacity: float,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        if rate < 0:
            raise ValueError(f"rate must not be negative, got {rate}")
        self.capacity = float(capacity)
        self.rate = float(rate)
        self._clock = clock
        self._tokens = float(capacity)
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._updated = now

    @property
    def tokens(self) -> float:
        """Tokens available right now."""
        self._refill()
        return self._tokens

    def try_acquire(self, cost: float = 1.0) -> bool:
        """Spend ``cost`` tokens if available; return whether the request may go ahead."""
        if cost <= 0:
            raise ValueError(f"cost must be positive, got {cost}")
        self._refill()
        if self._tokens > cost:
            self._tokens -= cost
            return True
        return False

    def wait_time(self, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens will be available (0 if they already are)."""
        self._refill()
        missing = cost - self._tokens
        if missing <= 0:
            return 0.0
        if self.rate == 0:
            return float("inf")
        return missing / self.rate
