"""RGB colours and their ``#rrggbb`` spelling."""

from __future__ import annotations

from typing import NamedTuple


class Color(NamedTuple):
    """An sRGB colour with 8-bit channels."""

    red: int
    green: int
    blue: int

    def clamped(self) -> Color:
        """The same colour with every channel forced into 0..255."""
        return Color(*(min(255, max(0, channel)) for channel in self))


def parse_hex(text: str) -> Color:
    """Parse ``"#1e90ff"``, ``"1E90FF"`` or the short form ``"#19f"``."""
    digits = text.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    if len(digits) != 6:
        raise ValueError(f"not a hex colour: {text!r}")
    try:
        value = int(digits, 16)
    except ValueError:
        raise ValueError(f"not a hex colour: {text!r}") from None
    return Color(value >> 16 & 0xFF, value >> 8 & 0xFF, value & 0xFF)


def to_hex(color: Color) -> str:
    """Lower-case ``#rrggbb`` for ``color`` (channels clamped to 0..255)."""
    red, green, blue = color.clamped()
    return f"#{red:02x}{green:02x}{blue:02x}"


def parse_rgb(text: str) -> Color:
    """Parse the CSS functional form ``"rgb(30, 144, 255)"``."""
    cleaned = text.strip().lower()
    if not (cleaned.startswith("rgb(") and cleaned.endswith(")")):
        raise ValueError(f"not an rgb() colour: {text!r}")
    parts = [part.strip() for part in cleaned[4:-1].split(",")]
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"not an rgb() colour: {text!r}")
    color = Color(*(int(part) for part in parts))
    if color != color.clamped():
        raise ValueError(f"channel out of range in {text!r}")
    return color
