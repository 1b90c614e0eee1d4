"""Billing periods and renewal dates for monthly, quarterly and yearly plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cyclecal.months import add_months, months_between

PLAN_MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "yearly": 12}


@dataclass(frozen=True)
class Period:
    """A billing period from `start` (inclusive) to `end` (exclusive)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """Length of the period in days."""
        return (self.end - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end


def plan_length(plan: str) -> int:
    """Length of one billing cycle of `plan`, in months."""
    try:
        return PLAN_MONTHS[plan]
    except KeyError:
        known = ", ".join(sorted(PLAN_MONTHS))
        raise ValueError(f"unknown plan {plan!r} (known: {known})") from None


def renewal_dates(anchor: date, plan: str, count: int) -> list[date]:
    """The first `count` renewal dates after the subscription started on `anchor`.

    Every date is computed from the anchor rather than from the previous
    renewal, so a plan started on the 31st renews on the 31st whenever the
    month has one.
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    step = plan_length(plan)
    return [add_months(anchor, step * number) for number in range(1, count + 1)]


def current_period(anchor: date, plan: str, today: date) -> Period:
    """The billing period of a subscription started on `anchor` that contains `today`."""
    if today < anchor:
        raise ValueError(f"{today} is before the subscription start {anchor}")
    step = plan_length(plan)
    cycles = months_between(anchor, today) // step
    return Period(add_months(anchor, step * cycles), add_months(anchor, step * (cycles + 1)))


def prorate(amount_cents: int, period: Period, switch_day: date) -> int:
    """Credit for the unused part of `period` when the plan changes on `switch_day`.

    The credit is the share of `amount_cents` for the days from `switch_day` to
    the end of the period, rounded half up to whole cents.
    """
    if switch_day not in period:
        raise ValueError(f"{switch_day} is outside {period.start}..{period.end}")
    unused = (period.end - switch_day).days
    return (amount_cents * unused * 2 + period.days) // (period.days * 2)
