"""Calendar-month arithmetic and renewal dates for subscription billing."""

from cyclecal.cycles import PLAN_MONTHS, Period, current_period, plan_length, prorate, renewal_dates
from cyclecal.months import add_months, days_in_month, month_end, months_between

__all__ = [
    "PLAN_MONTHS",
    "Period",
    "add_months",
    "current_period",
    "days_in_month",
    "month_end",
    "months_between",
    "plan_length",
    "prorate",
    "renewal_dates",
]
