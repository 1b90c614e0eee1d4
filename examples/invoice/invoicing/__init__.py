"""Invoices with line items, a percentage discount and tax, in integer cents."""

from invoicing.invoice import Invoice, LineItem, format_cents

__all__ = ["Invoice", "LineItem", "format_cents"]
