"""Checking times against a cron schedule and finding when it next fires."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from cronmatch.fields import CronSpec


def matches(spec: CronSpec, when: datetime) -> bool:
    """True if the schedule fires at the minute of `when`.

    Minute, hour and month must all match. The day-of-month and day-of-week
    fields follow cron's rule: when both are restricted (neither is "*"), a
    day matches if it satisfies either of them; when only one is restricted,
    that one alone decides.
    """
    if when.minute not in spec.minutes or when.hour not in spec.hours:
        return False
    if when.month not in spec.months:
        return False
    day_ok = when.day in spec.days
    weekday_ok = when.isoweekday() % 7 in spec.weekdays
    if spec.day_restricted and spec.weekday_restricted:
        return day_ok and weekday_ok
    return day_ok and weekday_ok


def next_run(spec: CronSpec, after: datetime, max_days: int = 400) -> datetime | None:
    """The first minute strictly after `after` at which the schedule fires.

    Gives None if it does not fire within `max_days` days.
    """
    start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for offset in range(max_days + 1):
        day = start.date() + timedelta(days=offset)
        if day.month not in spec.months:
            continue
        for hour in sorted(spec.hours):
            for minute in sorted(spec.minutes):
                candidate = datetime.combine(day, time(hour, minute))
                if candidate >= start and matches(spec, candidate):
                    return candidate
    return None


def upcoming(spec: CronSpec, after: datetime, count: int) -> list[datetime]:
    """The next `count` times the schedule fires after `after`, in order."""
    runs: list[datetime] = []
    current = after
    while len(runs) < count:
        found = next_run(spec, current)
        if found is None:
            break
        runs.append(found)
        current = found
    return runs
