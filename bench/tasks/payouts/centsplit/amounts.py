"""Convert between written money amounts and integer cents."""

from __future__ import annotations

import re

_AMOUNT = re.compile(r"-?\d+(\.\d{1,2})?")


class AmountError(ValueError):
    """A written amount cannot be read as money."""


def _clean(text: str) -> str:
    """Strip whitespace, a leading currency sign and thousands separators.

    A minus sign may come before or after the currency sign: "-$5" and "$-5"
    are both minus five dollars.
    """
    cleaned = text.strip().replace(",", "").replace("_", "")
    negative = cleaned.startswith("-")
    cleaned = cleaned.lstrip("-").removeprefix("$").strip()
    if negative:
        cleaned = "-" + cleaned
    return cleaned


def parse_amount(text: str) -> int:
    """Parse an amount such as "12.34", "$1,234.50", "-0.5" or "7" into cents.

    At most two decimal places are accepted; anything else raises AmountError.
    """
    cleaned = _clean(text)
    if not _AMOUNT.fullmatch(cleaned):
        raise AmountError(f"not a money amount: {text!r}")
    return int(float(cleaned) * 100)


def format_amount(cents: int, symbol: str = "", thousands: str = ",") -> str:
    """Format `cents` as "1,234.56" (or "-$0.05" with symbol="$").

    The sign goes before the currency symbol and the cents always have two digits.
    """
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    grouped = f"{units:,}".replace(",", thousands)
    return f"{sign}{symbol}{grouped}.{rest:02d}"


def sum_amounts(texts: list[str]) -> int:
    """Total of several written amounts, in cents."""
    return sum(parse_amount(text) for text in texts)
