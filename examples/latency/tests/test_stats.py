import pytest

from latency import Summary, percentile, samples_for, summarize


def test_median_of_odd_count():
    assert percentile([30.0, 10.0, 20.0], 50) == 20.0


def test_p95_of_one_to_hundred():
    assert percentile([float(n) for n in range(1, 101)], 95) == 95.0


def test_percentile_out_of_range_is_rejected():
    with pytest.raises(ValueError):
        percentile([1.0], 0)


def test_percentile_of_no_samples_is_none():
    assert percentile([], 95) is None


def test_summary_of_samples():
    assert summarize([120.0, 80.0, 100.0]) == Summary(count=3, mean=100.0, p50=100.0, p95=120.0, max=120.0)


def test_summary_of_no_samples():
    assert summarize([]) == Summary(count=0, mean=None, p50=None, p95=None, max=None)


def test_samples_keep_successful_requests_under_prefix():
    lines = ["GET /api/users 200 42ms", "GET /api/users 500 900ms", "GET /health 200 1ms", ""]
    assert samples_for(lines, "/api") == [42.0]
