"""UTC offsets in whole minutes, read from and written as ISO 8601 text."""

from __future__ import annotations

import re

MAX_OFFSET = 18 * 60
OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})?")


def parse_offset(text: str) -> int:
    """Minutes east of UTC in "Z", "+05:30", "+0530" or "-08"."""
    text = text.strip()
    if text.upper() == "Z":
        return 0
    found = OFFSET.fullmatch(text)
    if found is None:
        raise ValueError(f"not a UTC offset: {text!r}")
    sign, hours, minutes = found.groups()
    if int(minutes or 0) >= 60:
        raise ValueError(f"minutes out of range in {text!r}")
    total = int(hours) * 60 + int(minutes or 0)
    if total > MAX_OFFSET:
        raise ValueError(f"offset beyond 18 hours: {text!r}")
    return -total if sign == "-" else total


def format_offset(minutes: int, separator: str = ":", utc_as_z: bool = False) -> str:
    """An offset in minutes east of UTC as ISO 8601 text.

    330 gives "+05:30" and -300 gives "-05:00": a sign, then two-digit hours
    and minutes. Zero is "+00:00", or "Z" when `utc_as_z` is set.
    """
    if not -MAX_OFFSET <= minutes <= MAX_OFFSET:
        raise ValueError(f"offset must be within 18 hours, got {minutes} minutes")
    if minutes == 0 and utc_as_z:
        return "Z"
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(minutes, 60)
    return f"{sign}{hours:02d}{separator}{rest:02d}"
