"""Time slots within a working day: parsing, merging and finding free time."""

from slotbook.slots import Slot, format_slot, overlaps, parse_slot
from slotbook.planner import free_slots, merge_slots, total_busy

__all__ = ["Slot", "format_slot", "free_slots", "merge_slots", "overlaps", "parse_slot", "total_busy"]
