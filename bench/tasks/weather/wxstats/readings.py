"""Station readings and their CSV form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Reading:
    """One temperature reading, in degrees Celsius."""

    station: str
    taken_at: datetime
    celsius: float


def to_fahrenheit(celsius: float) -> float:
    """Degrees Fahrenheit for ``celsius``."""
    return celsius * 9 / 5 + 32


def parse_readings(lines: list[str]) -> list[Reading]:
    """Parse ``station,ISO timestamp,celsius`` lines.

    Blank lines and lines starting with ``#`` are skipped; a malformed line
    raises ValueError naming its line number (1-based).
    """
    readings = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != 3:
            raise ValueError(f"line {number}: expected 3 fields, got {len(fields)}")
        station, stamp, value = fields
        try:
            readings.append(Reading(station, datetime.fromisoformat(stamp), float(value)))
        except ValueError as error:
            raise ValueError(f"line {number}: {error}") from None
    return readings
