"""Per-key rate limiting built on TokenBucket."""

from __future__ import annotations

import time
from collections.abc import Callable

from throttle.bucket import TokenBucket


class RateLimited(Exception):
    """A request was refused; ``retry_after`` says how long to wait, in seconds."""

    def __init__(self, key: str, retry_after: float) -> None:
        super().__init__(f"rate limit exceeded for {key!r}; retry after {retry_after:.2f}s")
        self.key = key
        self.retry_after = retry_after


class KeyedLimiter:
    """One independent token bucket per key (user, IP address, API token...)."""

    def __init__(
        self,
        capacity: float,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.rate = rate
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, key: str) -> TokenBucket:
        """The bucket for ``key``, created full on first use."""
        if key not in self._buckets:
            self._buckets[key] = TokenBucket(self.capacity, self.rate, self._clock)
        return self._buckets[key]

    def allow(self, key: str, cost: float = 1.0) -> bool:
        """Whether ``key`` may make a request costing ``cost`` now."""
        return self.bucket(key).try_acquire(cost)

    def check(self, key: str, cost: float = 1.0) -> None:
        """Like allow(), but raise RateLimited instead of returning False."""
        bucket = self.bucket(key)
        if not bucket.try_acquire(cost):
            raise RateLimited(key, bucket.wait_time(cost))

    def forget(self, key: str) -> None:
        """Drop the bucket for ``key``; its next request starts from a full bucket."""
        self._buckets.pop(key, None)
