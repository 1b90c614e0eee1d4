"""Combining busy slots and finding the gaps between them."""

from __future__ import annotations

from collections.abc import Iterable

from slotbook.slots import Slot, parse_slot


def merge_slots(slots: Iterable[Slot]) -> list[Slot]:
    """Sorted, non-overlapping slots covering exactly the same time as `slots`.

    Overlapping and back-to-back slots are joined into one.
    """
    merged: list[Slot] = []
    for slot in sorted(slots):
        if merged and slot.start <= merged[-1].end:
            merged[-1] = Slot(merged[-1].start, slot.end)
        else:
            merged.append(slot)
    return merged


def total_busy(slots: Iterable[Slot]) -> int:
    """Minutes covered by at least one of `slots`."""
    return sum(slot.minutes for slot in merge_slots(slots))


def free_slots(
    busy: Iterable[Slot],
    day: Slot = Slot(9 * 60, 17 * 60),
    min_minutes: int = 1,
) -> list[Slot]:
    """Gaps of at least `min_minutes` within `day` not covered by any busy slot."""
    gaps: list[Slot] = []
    cursor = day.start
    for slot in merge_slots(busy):
        if slot.end <= day.start or slot.start >= day.end:
            continue
        if slot.start - cursor >= min_minutes:
            gaps.append(Slot(cursor, slot.start))
        cursor = max(cursor, slot.end)
    if day.end - cursor >= min_minutes:
        gaps.append(Slot(cursor, day.end))
    return gaps


def parse_calendar(lines: Iterable[str]) -> list[Slot]:
    """Busy slots from lines like "09:00-10:00 standup"; text after the slot is ignored."""
    slots = []
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            slots.append(parse_slot(line.split(maxsplit=1)[0]))
    return slots
