"""Temperature readings from weather stations, and daily summaries of them."""

from wxstats.readings import Reading, parse_readings, to_fahrenheit
from wxstats.summary import DaySummary, daily_summary, summarize_by_day

__all__ = [
    "DaySummary",
    "Reading",
    "daily_summary",
    "parse_readings",
    "summarize_by_day",
    "to_fahrenheit",
]
