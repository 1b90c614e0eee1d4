import pytest

from durparse import DurationError, format_duration, parse_duration, unit_seconds


def test_hours_and_minutes():
    assert parse_duration("1h30m") == 5400


def test_spaces_between_groups_are_allowed():
    assert parse_duration("2m 15s") == 135


def test_milliseconds():
    assert parse_duration("250ms") == pytest.approx(0.25)


def test_days():
    assert parse_duration("2d") == 172800


def test_one_week_is_seven_days():
    assert unit_seconds("w") == 7 * 24 * 3600


def test_format_uses_largest_units_first():
    assert format_duration(90061) == "1d1h1m1s"


def test_format_zero():
    assert format_duration(0) == "0s"


def test_garbage_is_rejected():
    with pytest.raises(DurationError):
        parse_duration("ten minutes")
