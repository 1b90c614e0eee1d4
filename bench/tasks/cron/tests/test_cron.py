from datetime import datetime

import pytest

from cronmatch import matches, next_run, parse_cron, parse_field, upcoming


def test_field_forms():
    assert parse_field("*/15", 0, 59) == {0, 15, 30, 45}
    assert parse_field("1-5", 0, 6) == {1, 2, 3, 4, 5}
    assert parse_field("10-40/10", 0, 59) == {10, 20, 30, 40}
    assert parse_field("5/20", 0, 59) == {5, 25, 45}
    assert parse_field("1,3,5", 0, 59) == {1, 3, 5}


def test_names_and_sunday_as_seven():
    spec = parse_cron("0 9 * jan-mar MON,7")
    assert spec.months == {1, 2, 3}
    assert spec.weekdays == {0, 1}
    assert not spec.day_restricted and spec.weekday_restricted


def test_invalid_expressions_are_rejected():
    with pytest.raises(ValueError):
        parse_cron("60 * * * *")
    with pytest.raises(ValueError):
        parse_cron("* * *")
    with pytest.raises(ValueError):
        parse_cron("*/0 * * * *")


def test_office_hours_schedule():
    spec = parse_cron("*/15 9-17 * * mon-fri")
    assert matches(spec, datetime(2024, 3, 4, 9, 30))
    assert not matches(spec, datetime(2024, 3, 4, 9, 31))
    assert not matches(spec, datetime(2024, 3, 9, 10, 0))


def test_day_of_month_or_day_of_week():
    spec = parse_cron("0 12 1 * mon")
    assert matches(spec, datetime(2024, 4, 1, 12, 0))
    assert matches(spec, datetime(2024, 4, 8, 12, 0))
    assert matches(spec, datetime(2024, 5, 1, 12, 0))
    assert not matches(spec, datetime(2024, 5, 2, 12, 0))


def test_next_run_moves_to_the_following_day():
    spec = parse_cron("30 2 * * *")
    assert next_run(spec, datetime(2024, 1, 1, 2, 30)) == datetime(2024, 1, 2, 2, 30)
    assert next_run(spec, datetime(2024, 1, 1, 2, 29, 59)) == datetime(2024, 1, 1, 2, 30)


def test_next_run_on_the_first_or_on_fridays():
    spec = parse_cron("0 0 1 * fri")
    assert next_run(spec, datetime(2024, 3, 2)) == datetime(2024, 3, 8)


def test_upcoming_runs():
    spec = parse_cron("0 */6 * * *")
    assert upcoming(spec, datetime(2024, 2, 28, 20, 0), 3) == [
        datetime(2024, 2, 29, 0, 0),
        datetime(2024, 2, 29, 6, 0),
        datetime(2024, 2, 29, 12, 0),
    ]


def test_leap_day_schedule():
    spec = parse_cron("0 0 29 feb *")
    assert next_run(spec, datetime(2024, 3, 1), max_days=1500) == datetime(2028, 2, 29)
