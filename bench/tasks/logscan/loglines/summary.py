"""Summaries over parsed log entries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from loglines.parse import LEVELS, Entry


def count_by_level(entries: Iterable[Entry]) -> dict[str, int]:
    """How many entries each level has, listing every level from DEBUG to FATAL."""
    counts = Counter(entry.level for entry in entries)
    return {level: counts.get(level, 0) for level in LEVELS}


def at_least(entries: Iterable[Entry], level: str) -> list[Entry]:
    """The entries whose level is `level` or more severe."""
    threshold = LEVELS.index(level)
    return [entry for entry in entries if LEVELS.index(entry.level) >= threshold]


def worst_components(entries: Iterable[Entry], top: int = 3) -> list[tuple[str, int]]:
    """Components with the most ERROR or FATAL entries, most first, ties by name."""
    counts = Counter(entry.component for entry in at_least(entries, "ERROR"))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


def first_and_last(entries: list[Entry]) -> tuple[datetime, datetime] | None:
    """The earliest and latest timestamps, or None for no entries."""
    if not entries:
        return None
    times = [entry.time for entry in entries]
    return min(times), max(times)
