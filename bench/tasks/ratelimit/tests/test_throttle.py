import pytest

from throttle import KeyedLimiter, RateLimited, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_full_bucket_allows_its_whole_capacity():
    bucket = TokenBucket(capacity=3, rate=1, clock=FakeClock())
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]


def test_request_costing_the_whole_bucket_is_allowed():
    bucket = TokenBucket(capacity=5, rate=1, clock=FakeClock())
    assert bucket.try_acquire(5)


def test_request_larger_than_bucket_is_refused():
    bucket = TokenBucket(capacity=5, rate=1, clock=FakeClock())
    assert not bucket.try_acquire(6)
    assert bucket.tokens == 5


def test_tokens_refill_over_time_up_to_capacity():
    clock = FakeClock()
    bucket = TokenBucket(capacity=4, rate=2, clock=clock)
    bucket.try_acquire(3)
    clock.now += 1.0
    assert bucket.tokens == 3
    clock.now += 10.0
    assert bucket.tokens == 4


def test_wait_time_for_missing_tokens():
    clock = FakeClock()
    bucket = TokenBucket(capacity=2, rate=0.5, clock=clock)
    bucket.try_acquire(2)
    assert bucket.wait_time(1) == pytest.approx(2.0)


def test_keys_have_separate_buckets():
    limiter = KeyedLimiter(capacity=1, rate=1, clock=FakeClock())
    assert limiter.allow("alice", 0.5)
    assert limiter.allow("bob", 0.5)
    assert not limiter.allow("alice", 0.75)


def test_check_raises_with_retry_after():
    clock = FakeClock()
    limiter = KeyedLimiter(capacity=2, rate=1, clock=clock)
    limiter.check("carol")
    clock.now += 0.5
    limiter.check("carol")
    with pytest.raises(RateLimited) as info:
        limiter.check("carol")
    assert info.value.retry_after == pytest.approx(0.5)
