"""Read and write human-friendly durations such as ``"1h30m"`` or ``"2d 4h"``."""

from durparse.parse import DurationError, format_duration, parse_duration, unit_seconds

__all__ = ["DurationError", "format_duration", "parse_duration", "unit_seconds"]
