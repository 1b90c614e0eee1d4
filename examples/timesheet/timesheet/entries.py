"""Time spans within a day, totals per date and a plain-text report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Entry:
    """Work on `task` during `span` ("HH:MM-HH:MM") on `day`."""

    day: date
    span: str
    task: str


def span_minutes(span: str) -> int:
    """Length in minutes of a span such as "09:15-12:30"; the end must be after the start."""
    try:
        start_text, end_text = span.split("-")
        start = datetime.strptime(start_text.strip(), "%H:%M")
        end = datetime.strptime(end_text.strip(), "%H:%M")
    except ValueError:
        raise ValueError(f"not a time span: {span!r}") from None
    if end <= start:
        raise ValueError(f"span ends before it starts: {span!r}")
    return int((end - start).total_seconds()) // 60


def minutes_per_day(entries: list[Entry]) -> dict[date, int]:
    """Total minutes worked on each day, in date order."""
    totals: dict[date, int] = defaultdict(int)
    for entry in entries:
        totals[entry.day] += span_minutes(entry.span)
    return dict(sorted(totals.items()))


def format_minutes(minutes: int) -> str:
    """Render a duration as hours and two-digit minutes, e.g. 95 -> "1:35"."""
    hours, rest = divmod(minutes, 60)
    return f"{hours}:{rest}"


def daily_report(entries: list[Entry]) -> list[str]:
    """One line a day: ISO date, weekday and time worked, e.g. "2024-03-04 Mon 7:30"."""
    return [
        f"{day.isoformat()} {_WEEKDAYS[day.weekday()]} {format_minutes(total)}"
        for day, total in minutes_per_day(entries).items()
    ]
