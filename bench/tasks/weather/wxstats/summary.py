"""Per-day statistics over readings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from wxstats.readings import Reading


@dataclass(frozen=True)
class DaySummary:
    """Lowest, highest and mean temperature of a set of readings, in Celsius."""

    low: float
    high: float
    mean: float
    count: int

    @property
    def spread(self) -> float:
        """Difference between the day's highest and lowest reading."""
        return self.high - self.low


def daily_summary(readings: list[Reading]) -> DaySummary:
    """Summary of ``readings``; the mean is rounded to one decimal place."""
    if not readings:
        raise ValueError("cannot summarise zero readings")
    total = 0.0
    low = high = 0.0
    for reading in readings:
        total += reading.celsius
        if reading.celsius < low:
            low = reading.celsius
        if reading.celsius > high:
            high = reading.celsius
    return DaySummary(low=low, high=high, mean=round(total / len(readings), 1), count=len(readings))


def summarize_by_day(readings: Iterable[Reading], station: str | None = None) -> dict[date, DaySummary]:
    """One summary per calendar day, in date order, optionally for one station only."""
    by_day: dict[date, list[Reading]] = defaultdict(list)
    for reading in readings:
        if station is None or reading.station == station:
            by_day[reading.taken_at.date()].append(reading)
    return {day: daily_summary(by_day[day]) for day in sorted(by_day)}
