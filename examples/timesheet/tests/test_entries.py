from datetime import date

import pytest

from timesheet import Entry, daily_report, format_minutes, minutes_per_day, span_minutes

MONDAY = date(2024, 3, 4)
TUESDAY = date(2024, 3, 5)
ENTRIES = [
    Entry(TUESDAY, "09:00-09:45", "standup"),
    Entry(MONDAY, "08:30-12:00", "review"),
    Entry(MONDAY, "13:00-16:35", "release"),
]


def test_span_length():
    assert span_minutes("09:15-12:30") == 195


def test_reversed_span_is_rejected():
    with pytest.raises(ValueError):
        span_minutes("17:00-09:00")


def test_minutes_are_summed_per_day():
    assert minutes_per_day(ENTRIES) == {MONDAY: 425, TUESDAY: 45}


def test_format_two_digit_minutes():
    assert format_minutes(95) == "1:35"


def test_format_pads_single_digit_minutes():
    assert format_minutes(425) == "7:05"


def test_daily_report():
    assert daily_report(ENTRIES) == ["2024-03-04 Mon 7:05", "2024-03-05 Tue 0:45"]
