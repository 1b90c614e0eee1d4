"""Reading HTTP Retry-After headers and deciding whether a response is worth retrying."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from backoffcalc.delays import backoff_delay


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a Retry-After header value.

    The header holds either a number of seconds ("120") or an HTTP date
    ("Wed, 21 Oct 2015 07:28:00 GMT"). Dates in the past give 0; values that
    are neither give None.
    """
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max((when - now).total_seconds(), 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """Which responses to retry, how often, and how long to wait between tries."""

    max_retries: int = 5
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    base: float = 0.5
    max_delay: float = 30.0

    def should_retry(self, status: int, attempt: int) -> bool:
        """True if a response with `status` after `attempt` retries should be retried."""
        return status in self.retry_statuses and attempt < self.max_retries

    def wait_for(self, attempt: int, retry_after: str | None = None) -> float:
        """Delay before retry `attempt`; a server's Retry-After wins when it is valid."""
        if retry_after is not None:
            seconds = parse_retry_after(retry_after)
            if seconds is not None:
                return seconds
        return backoff_delay(attempt, base=self.base, max_delay=self.max_delay)
