"""Invoice arithmetic done in integer cents so that totals never drift."""

from __future__ import annotations

from dataclasses import dataclass, field


def round_half_up(numerator: int, denominator: int) -> int:
    """Divide two non-negative integers, rounding halves up."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class LineItem:
    """A product or service on the invoice."""

    description: str
    unit_price_cents: int
    quantity: int = 1

    @property
    def subtotal_cents(self) -> int:
        return self.unit_price_cents * self.quantity


@dataclass
class Invoice:
    """Line items plus a discount and a tax rate, both in whole percent."""

    lines: list[LineItem] = field(default_factory=list)
    discount_percent: int = 0
    tax_percent: int = 0

    def add(self, description: str, unit_price_cents: int, quantity: int = 1) -> LineItem:
        """Append a line item and return it."""
        if unit_price_cents < 0 or quantity <= 0:
            raise ValueError(f"invalid line item {description!r}: price and quantity must be positive")
        item = LineItem(description, unit_price_cents, quantity)
        self.lines.append(item)
        return item

    def subtotal_cents(self) -> int:
        """Sum of all line items before discount and tax."""
        return sum(item.subtotal_cents for item in self.lines)

    def discounted_cents(self) -> int:
        """Subtotal after the percentage discount, rounded half up to the cent."""
        subtotal = self.subtotal_cents()
        return round_half_up(subtotal * (100 + self.discount_percent), 100)

    def tax_cents(self) -> int:
        """Tax charged on the discounted amount."""
        return round_half_up(self.discounted_cents() * self.tax_percent, 100)

    def total_cents(self) -> int:
        """What the customer pays: discounted amount plus tax."""
        return self.discounted_cents() + self.tax_cents()


def format_cents(cents: int, currency: str = "EUR") -> str:
    """Render an amount such as 123456 as "1234.56 EUR"."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d} {currency}"
