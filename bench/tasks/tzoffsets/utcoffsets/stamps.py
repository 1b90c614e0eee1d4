"""Timestamps as (naive local time, offset in minutes) pairs."""

from __future__ import annotations

from datetime import datetime, timedelta

from utcoffsets.offsets import format_offset, parse_offset


def parse_timestamp(text: str) -> tuple[datetime, int]:
    """The local time and offset of "2024-07-01T09:30:00+02:00" (or with a trailing Z)."""
    text = text.strip()
    if text.upper().endswith("Z"):
        return datetime.fromisoformat(text[:-1]), 0
    cut = max(text.rfind("+"), text.rfind("-"))
    if cut <= text.find("T"):
        raise ValueError(f"timestamp has no UTC offset: {text!r}")
    return datetime.fromisoformat(text[:cut]), parse_offset(text[cut:])


def convert(local: datetime, offset: int, new_offset: int) -> datetime:
    """The same instant as `local` at `offset`, as local time at `new_offset`."""
    return local - timedelta(minutes=offset) + timedelta(minutes=new_offset)


def format_timestamp(local: datetime, offset: int, utc_as_z: bool = True) -> str:
    """ISO 8601 text such as "2024-07-01T09:30:00+02:00"; UTC is written with Z."""
    return local.isoformat(timespec="seconds") + format_offset(offset, utc_as_z=utc_as_z)
