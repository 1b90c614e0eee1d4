"""Conversion between duration strings and a number of seconds.

A duration string is a sequence of ``<number><unit>`` groups, optionally
separated by spaces, e.g. ``"1h30m"``, ``"2d 4h"`` or ``"1.5s"``.  Supported
units are ``ms``, ``s``, ``m``, ``h``, ``d`` and ``w``.
"""

from __future__ import annotations

import re

_GROUP = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")

# Units used by format_duration, largest first.
_FORMAT_UNITS = ("w", "d", "h", "m", "s")


class DurationError(ValueError):
    """The text is not a valid duration."""


def unit_seconds(unit: str) -> float:
    """Length of one ``unit`` in seconds.

    >>> unit_seconds("h")
    3600
    """
    minute = 60
    hour = 60 * minute
    day = 24 * 60
    week = 7 * day
    table: dict[str, float] = {
        "ms": 0.001,
        "s": 1,
        "m": minute,
        "h": hour,
        "d": day,
        "w": week,
    }
    try:
        return table[unit]
    except KeyError:
        raise DurationError(f"unknown unit {unit!r}") from None


def parse_duration(text: str) -> float:
    """Total number of seconds in ``text``.

    Raises DurationError for empty text or for anything that is not a
    sequence of ``<number><unit>`` groups.
    """
    cleaned = text.strip().lower()
    if not cleaned:
        raise DurationError("empty duration")
    total = 0.0
    position = 0
    for match in _GROUP.finditer(cleaned):
        gap = cleaned[position : match.start()]
        if gap.strip():
            raise DurationError(f"unexpected {gap.strip()!r} in {text!r}")
        amount, unit = match.groups()
        total += float(amount) * unit_seconds(unit)
        position = match.end()
    if position == 0 or cleaned[position:].strip():
        raise DurationError(f"cannot parse duration {text!r}")
    return total


def format_duration(seconds: float) -> str:
    """Render ``seconds`` compactly, largest unit first, e.g. ``"1d2h5m"``.

    Fractions of a second are dropped; zero is written ``"0s"``.
    """
    if seconds < 0:
        raise DurationError(f"negative duration {seconds}")
    remaining = int(seconds)
    pieces: list[str] = []
    for unit in _FORMAT_UNITS:
        size = int(unit_seconds(unit))
        count, remaining = divmod(remaining, size)
        if count:
            pieces.append(f"{count}{unit}")
    return "".join(pieces) or "0s"
