"""Money amounts as integer cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def parse_price(text: str) -> int:
    """Cents in a price such as "12.99", "$3" or "0.5"; fractions of a cent round half up."""
    cleaned = text.strip().lstrip("$").replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not a price: {text!r}") from None
    if amount < 0:
        raise ValueError(f"price must not be negative: {text!r}")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_cents(cents: int) -> str:
    """An amount in cents as "$1,234.50" (negative amounts as "-$3.00")."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def percent_of(cents: int, percent: float) -> int:
    """`percent` per cent of an amount in cents, to the nearest cent, halves rounding up."""
    exact = Decimal(cents) * Decimal(str(percent)) / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
