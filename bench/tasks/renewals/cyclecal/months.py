"""Calendar-month arithmetic: month lengths, adding months and month differences."""

from __future__ import annotations

import calendar
from datetime import date


def days_in_month(year: int, month: int) -> int:
    """Number of days in `month` (1-12) of `year`, leap years included."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be in 1..12, got {month}")
    return calendar.monthrange(year, month)[1]


def month_end(day: date) -> date:
    """The last day of the month that contains `day`."""
    return day.replace(day=days_in_month(day.year, day.month))


def add_months(start: date, months: int) -> date:
    """The date `months` calendar months after `start` (a negative count goes back).

    The day of the month is kept when the target month has it and clamped to
    the target month's last day otherwise, so 31 January plus one month is
    28 or 29 February.
    """
    total = start.month - 1 + months
    year = start.year + months // 12
    month = total % 12 + 1
    day = min(start.day, days_in_month(year, month))
    return date(year, month, day)


def months_between(earlier: date, later: date) -> int:
    """Number of whole calendar months from `earlier` to `later`.

    A month counts once the same day of the month is reached (or the month's
    last day, for days the later month does not have). Raises ValueError if
    `later` comes before `earlier`.
    """
    if later < earlier:
        raise ValueError(f"{later} is before {earlier}")
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if add_months(earlier, months) > later:
        months -= 1
    return months
