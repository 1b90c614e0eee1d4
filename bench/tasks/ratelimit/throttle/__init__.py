"""Token-bucket rate limiting, for one caller or many keyed callers."""

from throttle.bucket import TokenBucket
from throttle.limiter import KeyedLimiter, RateLimited

__all__ = ["KeyedLimiter", "RateLimited", "TokenBucket"]
