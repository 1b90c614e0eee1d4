"""Shopping-cart arithmetic in integer cents: offers, coupons, tax and receipts."""

from cartcalc.money import format_cents, parse_price, percent_of
from cartcalc.pricing import LineItem, Receipt, checkout, marked_down, multibuy_price, subtotal

__all__ = [
    "LineItem",
    "Receipt",
    "checkout",
    "format_cents",
    "marked_down",
    "multibuy_price",
    "parse_price",
    "percent_of",
    "subtotal",
]
