"""Line items, multi-buy offers and the checkout total."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cartcalc.money import percent_of


@dataclass(frozen=True)
class LineItem:
    """A product in the cart: price per unit in cents, and how many."""

    sku: str
    unit_cents: int
    quantity: int = 1


@dataclass(frozen=True)
class Receipt:
    """The amounts printed at the bottom of a receipt, in cents."""

    subtotal: int
    discount: int
    tax: int
    total: int


def multibuy_price(item: LineItem, buy: int, pay: int) -> int:
    """Cost of a line under a "buy `buy`, pay for `pay`" offer (3-for-2 is buy=3, pay=2)."""
    if not 0 < pay <= buy:
        raise ValueError(f"offer must have 0 < pay <= buy, got buy={buy}, pay={pay}")
    groups, single = divmod(item.quantity, buy)
    return (groups * pay + single) * item.unit_cents


def marked_down(item: LineItem, percent: float) -> int:
    """Cost of a line with `percent` off the whole line, as for damaged or clearance stock."""
    line = item.unit_cents * item.quantity
    return line - percent_of(line, percent)


def subtotal(items: Iterable[LineItem], offers: dict[str, tuple[int, int]] | None = None) -> int:
    """Sum of every line in cents, with multi-buy `offers` applied by SKU."""
    offers = offers or {}
    total = 0
    for item in items:
        if item.sku in offers:
            total += multibuy_price(item, *offers[item.sku])
        else:
            total += item.unit_cents * item.quantity
    return total


def checkout(
    items: Iterable[LineItem],
    coupon_percent: float = 0,
    tax_percent: float = 0,
    offers: dict[str, tuple[int, int]] | None = None,
) -> Receipt:
    """The receipt for a cart.

    The coupon takes `coupon_percent` off the subtotal (after multi-buy
    offers), and tax is charged at `tax_percent` on what remains. The
    discount and the tax are each rounded to the nearest cent, halves
    rounding up, before they are used.
    """
    if not 0 <= coupon_percent <= 100:
        raise ValueError(f"coupon must be 0-100%, got {coupon_percent}")
    before = subtotal(items, offers)
    discount = round(before * coupon_percent / 100)
    taxable = before - discount
    tax = round(taxable * tax_percent / 100)
    return Receipt(subtotal=before, discount=discount, tax=tax, total=taxable + tax)
