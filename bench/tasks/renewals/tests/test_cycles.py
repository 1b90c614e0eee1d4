from datetime import date

import pytest

from cyclecal import Period, add_months, current_period, days_in_month, prorate, renewal_dates


def test_leap_february_has_29_days():
    assert days_in_month(2024, 2) == 29
    assert days_in_month(2023, 2) == 28


def test_month_end_is_clamped():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_adding_months_across_year_end():
    assert add_months(date(2023, 11, 15), 3) == date(2024, 2, 15)


def test_going_back_one_month():
    assert add_months(date(2024, 3, 10), -1) == date(2024, 2, 10)


def test_monthly_renewals_keep_the_anchor_day():
    assert renewal_dates(date(2024, 1, 31), "monthly", 3) == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    ]


def test_monthly_renewals_into_next_year():
    assert renewal_dates(date(2024, 11, 30), "monthly", 3) == [
        date(2024, 12, 30),
        date(2025, 1, 30),
        date(2025, 2, 28),
    ]


def test_current_quarterly_period():
    period = current_period(date(2024, 1, 15), "quarterly", date(2024, 5, 1))
    assert period == Period(date(2024, 4, 15), date(2024, 7, 15))


def test_prorated_credit_for_half_a_period():
    period = Period(date(2024, 4, 1), date(2024, 5, 1))
    assert prorate(1000, period, date(2024, 4, 16)) == 500


def test_unknown_plan_is_rejected():
    with pytest.raises(ValueError, match="unknown plan"):
        renewal_dates(date(2024, 1, 1), "weekly", 2)
