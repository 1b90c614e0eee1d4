import random
from datetime import datetime, timezone

import pytest

from backoffcalc import RetryPolicy, backoff_delay, delay_schedule, full_jitter, parse_retry_after


def test_delays_double_from_the_base():
    assert delay_schedule(4) == [0.5, 1.0, 2.0, 4.0]


def test_late_retries_are_capped():
    assert backoff_delay(20) == 30.0
    assert backoff_delay(6, base=1.0, max_delay=10.0) == 10.0


def test_jitter_stays_below_the_backoff_delay():
    rng = random.Random(7)
    delays = [full_jitter(3, rng) for _ in range(200)]
    assert all(0.0 <= delay <= 2.0 for delay in delays)


def test_attempt_numbers_start_at_one():
    with pytest.raises(ValueError):
        backoff_delay(0)


def test_retry_after_in_seconds_and_as_date():
    now = datetime(2015, 10, 21, 7, 27, 30, tzinfo=timezone.utc)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 30.0
    assert parse_retry_after("soon") is None


def test_policy_retries_only_listed_statuses():
    policy = RetryPolicy(max_retries=3)
    assert policy.should_retry(503, 0)
    assert not policy.should_retry(404, 0)
    assert not policy.should_retry(503, 3)


def test_policy_uses_backoff_without_header():
    policy = RetryPolicy(base=1.0, max_delay=60.0)
    assert policy.wait_for(1) == 1.0
    assert policy.wait_for(2, retry_after="5") == 5.0


def test_retry_after_date_in_the_past_means_no_wait():
    now = datetime(2015, 10, 21, 8, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 0.0
