"""Slots of a day as minutes since midnight, written like "09:30-10:15"."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True, order=True)
class Slot:
    """A half-open span [start, end) in minutes since midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= 24 * 60:
            raise ValueError(f"invalid slot {self.start}..{self.end}")

    @property
    def minutes(self) -> int:
        return self.end - self.start


def parse_clock(text: str) -> int:
    """Minutes since midnight for "H:MM" or "HH:MM"; "24:00" means end of day."""
    text = text.strip()
    if text == "24:00":
        return 24 * 60
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError(f"bad clock time: {text!r}")
    return int(match.group(1)) * 60 + int(match.group(2))


def format_clock(minutes: int) -> str:
    """Format minutes since midnight as "HH:MM"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_slot(text: str) -> Slot:
    """A slot from "09:00-10:30"; the end must be after the start."""
    start_text, sep, end_text = text.partition("-")
    if not sep:
        raise ValueError(f"slot needs a start and an end: {text!r}")
    return Slot(parse_clock(start_text), parse_clock(end_text))


def format_slot(slot: Slot) -> str:
    """The "HH:MM-HH:MM" form of `slot`."""
    return f"{format_clock(slot.start)}-{format_clock(slot.end)}"


def overlaps(a: Slot, b: Slot) -> bool:
    """True if the slots share any time; back-to-back slots do not overlap."""
    return a.start < b.end and b.start < a.end
