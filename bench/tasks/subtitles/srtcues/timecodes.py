"""SubRip timecodes ("HH:MM:SS,mmm") to and from milliseconds."""

from __future__ import annotations

import re

_TIMECODE = re.compile(r"(\d{1,2}):([0-5]\d):([0-5]\d)[,.](\d{3})")


def parse_timecode(text: str) -> int:
    """Milliseconds for a timecode such as "01:02:03,450".

    A dot is accepted in place of the comma, as some editors write it.
    Raises ValueError for anything else.
    """
    match = _TIMECODE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"bad timecode: {text!r}")
    hours, minutes, seconds, millis = (int(group) for group in match.groups())
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def format_timecode(millis: int) -> str:
    """The SubRip timecode for a non-negative number of milliseconds."""
    if millis < 0:
        raise ValueError(f"timecodes cannot be negative: {millis}")
    seconds, millis = divmod(millis, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d},{millis:03d}"


_OFFSET = re.compile(r"([+-]?)(\d+(?:\.\d+)?)(ms|s|m)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000}


def parse_offset(text: str) -> int:
    """Milliseconds for a signed offset such as "+1.5s", "-250ms" or "2m".

    Used for command-line retiming; the result is rounded to whole
    milliseconds. Raises ValueError for anything else.
    """
    match = _OFFSET.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"bad offset: {text!r}")
    sign, amount, unit = match.groups()
    millis = round(float(amount) * _UNIT_MS[unit])
    return -millis if sign == "-" else millis
