"""Retry timing: exponential backoff, jitter and Retry-After headers."""

from backoffcalc.delays import backoff_delay, delay_schedule, full_jitter, total_wait
from backoffcalc.headers import RetryPolicy, parse_retry_after

__all__ = [
    "RetryPolicy",
    "backoff_delay",
    "delay_schedule",
    "full_jitter",
    "parse_retry_after",
    "total_wait",
]
