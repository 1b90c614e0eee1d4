import pytest

from wxstats import daily_summary, parse_readings, summarize_by_day, to_fahrenheit

CSV = """\
# station,taken_at,celsius
oslo,2024-01-15T06:00,-8.5
oslo,2024-01-15T12:00,-2.0
oslo,2024-01-15T18:00,-5.5
rome,2024-07-02T06:00,21.0
rome,2024-07-02T14:00,33.5
rome,2024-07-02T22:00,25.0
bern,2024-04-10T06:00,-1.5
bern,2024-04-10T15:00,12.0
""".splitlines()


@pytest.fixture
def readings():
    return parse_readings(CSV)


def test_parse_skips_comments(readings):
    assert len(readings) == 8
    assert readings[0].station == "oslo"


def test_malformed_line_names_its_number():
    with pytest.raises(ValueError, match="line 2"):
        parse_readings(["oslo,2024-01-15T06:00,-8.5", "oslo,2024-01-15T12:00"])


def test_fahrenheit():
    assert to_fahrenheit(-40) == -40
    assert to_fahrenheit(100) == 212


def test_day_crossing_zero(readings):
    summary = summarize_by_day(readings, station="bern")
    (day,) = summary.values()
    assert (day.low, day.high, day.mean) == (-1.5, 12.0, 5.2)


def test_summer_day(readings):
    summary = daily_summary([r for r in readings if r.station == "rome"])
    assert (summary.low, summary.high) == (21.0, 33.5)
    assert summary.spread == 12.5


def test_winter_day(readings):
    summary = daily_summary([r for r in readings if r.station == "oslo"])
    assert (summary.low, summary.high, summary.mean) == (-8.5, -2.0, -5.3)


def test_days_in_date_order(readings):
    days = list(summarize_by_day(readings))
    assert [d.isoformat() for d in days] == ["2024-01-15", "2024-04-10", "2024-07-02"]


def test_single_reading():
    (reading,) = parse_readings(["rome,2024-07-03T09:00,27.0"])
    summary = daily_summary([reading])
    assert (summary.low, summary.high, summary.mean, summary.count) == (27.0, 27.0, 27.0, 1)
