"""Parsing the five fields of a cron expression into sets of allowed values."""

from __future__ import annotations

from dataclasses import dataclass

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
MONTH_NAMES = {name: number for number, name in enumerate(MONTHS, start=1)}
WEEKDAY_NAMES = {name: number for number, name in enumerate(WEEKDAYS)}


@dataclass(frozen=True)
class CronSpec:
    """The values each field allows, and which of the two day fields were restricted."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    day_restricted: bool
    weekday_restricted: bool


def parse_value(token: str, names: dict[str, int]) -> int:
    """A single number, or a month or weekday name such as "jan" or "Mon"."""
    token = token.lower()
    if token in names:
        return names[token]
    if not token.isdigit():
        raise ValueError(f"not a number or name: {token!r}")
    return int(token)


def parse_field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """The values one field allows.

    A field is a comma-separated list of "*", a value, a range "a-b", each
    optionally followed by a step ("*/15", "10-40/10"); "5/20" means from 5
    to the top of the field in steps of 20.
    """
    names = names or {}
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"step must be positive in {part!r}")
        if body == "*":
            start, end = low, high
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = parse_value(first, names), parse_value(last, names)
        else:
            start = parse_value(body, names)
            end = high if step_text else start
        if start < low or end > high or start > end:
            raise ValueError(f"{part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse_cron(expression: str) -> CronSpec:
    """Parse "minute hour day-of-month month day-of-week"; 7 is accepted for Sunday."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields, got {len(fields)} in {expression!r}")
    minute, hour, day, month, weekday = fields
    weekdays = parse_field(weekday, 0, 7, WEEKDAY_NAMES)
    return CronSpec(
        minutes=parse_field(minute, 0, 59),
        hours=parse_field(hour, 0, 23),
        days=parse_field(day, 1, 31),
        months=parse_field(month, 1, 12, MONTH_NAMES),
        weekdays=frozenset(value % 7 for value in weekdays),
        day_restricted=day != "*",
        weekday_restricted=weekday != "*",
    )
