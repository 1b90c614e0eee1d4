"""Dotted-quad IPv4 addresses as 32-bit integers."""

from __future__ import annotations

MAX_ADDRESS = 0xFFFFFFFF


def parse_ipv4(text: str) -> int:
    """The integer value of an address such as "192.168.0.1"."""
    parts = text.strip().split(".")
    if len(parts) != 4:
        raise ValueError(f"not an IPv4 address: {text!r}")
    value = 0
    for part in parts:
        if not part.isdigit() or len(part) > 3 or int(part) > 255:
            raise ValueError(f"not an IPv4 address: {text!r}")
        if len(part) > 1 and part.startswith("0"):
            raise ValueError(f"leading zeros are ambiguous in {text!r}")
        value = value << 8 | int(part)
    return value


def format_ipv4(value: int) -> str:
    """The dotted-quad form of a 32-bit address value."""
    if not 0 <= value <= MAX_ADDRESS:
        raise ValueError(f"not a 32-bit address value: {value}")
    return ".".join(str(value >> shift & 0xFF) for shift in (24, 16, 8, 0))
