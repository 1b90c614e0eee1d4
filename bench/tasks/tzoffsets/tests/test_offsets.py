from datetime import datetime

import pytest

from utcoffsets import convert, format_offset, format_timestamp, parse_offset, parse_timestamp


def test_parse_offsets():
    assert parse_offset("+05:30") == 330
    assert parse_offset("-0800") == -480
    assert parse_offset("-03") == -180
    assert parse_offset("Z") == 0


def test_invalid_offsets():
    for text in ["+5:30", "+05:75", "+19:00", "05:00", ""]:
        with pytest.raises(ValueError):
            parse_offset(text)


def test_format_positive_offsets():
    assert format_offset(330) == "+05:30"
    assert format_offset(60, separator="") == "+0100"
    assert format_offset(0) == "+00:00"
    assert format_offset(0, utc_as_z=True) == "Z"


def test_format_negative_offsets():
    assert format_offset(-300) == "-05:00"
    assert format_offset(-570) == "-09:30"
    assert format_offset(-45, separator="") == "-0045"


def test_offsets_round_trip():
    for minutes in [-720, -210, -60, 0, 345, 840]:
        assert parse_offset(format_offset(minutes)) == minutes


def test_parse_timestamps():
    assert parse_timestamp("2024-07-01T09:30:00+02:00") == (datetime(2024, 7, 1, 9, 30), 120)
    assert parse_timestamp("2024-07-01T07:30:00Z") == (datetime(2024, 7, 1, 7, 30), 0)
    with pytest.raises(ValueError):
        parse_timestamp("2024-07-01T07:30:00")


def test_convert_between_offsets():
    assert convert(datetime(2024, 7, 1, 9, 30), 120, -240) == datetime(2024, 7, 1, 3, 30)
    assert convert(datetime(2024, 1, 1, 1, 0), 0, 330) == datetime(2024, 1, 1, 6, 30)


def test_format_timestamps():
    assert format_timestamp(datetime(2024, 7, 1, 7, 30), 0) == "2024-07-01T07:30:00Z"
    assert format_timestamp(datetime(2024, 7, 1, 3, 30), -240) == "2024-07-01T03:30:00-04:00"
