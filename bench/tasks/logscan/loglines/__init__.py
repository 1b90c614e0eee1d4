"""Reading application logs into entries and summarising them."""

from loglines.parse import Entry, parse_line, parse_log
from loglines.summary import at_least, count_by_level, first_and_last, worst_components

__all__ = [
    "Entry",
    "at_least",
    "count_by_level",
    "first_and_last",
    "parse_line",
    "parse_log",
    "worst_components",
]
